"""Stripe Connect: the merchant's connected account state and fee override; each payment's
account and application fee."""

from __future__ import annotations

from playhouse.migrate import SchemaMigrator, migrate

from models import CustomerPayment, Merchant, db

MERCHANT_COLUMNS = ("stripe_charges_enabled", "stripe_payouts_enabled",
                    "stripe_details_submitted", "stripe_requirements", "stripe_disconnected_at",
                    "platform_fee_percent_bp", "platform_fee_fixed_cents")
PAYMENT_COLUMNS = ("stripe_account", "application_fee_cents")


def up(migrator: SchemaMigrator) -> None:
    """Add the Connect columns that are missing (a fresh schema has them all)."""
    for model, names in ((Merchant, MERCHANT_COLUMNS), (CustomerPayment, PAYMENT_COLUMNS)):
        table = model._meta.table_name
        have = {c.name for c in db.get_columns(table)}
        steps = [migrator.add_column(table, name, model._meta.fields[name])
                 for name in names if name not in have]
        if steps:
            migrate(*steps)
