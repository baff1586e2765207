"""CustomerPayment.excess_cents: a charge beyond the booking's balance, refunded."""

from __future__ import annotations

from playhouse.migrate import SchemaMigrator, migrate

from models import CustomerPayment, db


def up(migrator: SchemaMigrator) -> None:
    """CustomerPayment.excess_cents: a charge beyond the booking's balance, refunded."""
    table = CustomerPayment._meta.table_name
    if "excess_cents" not in {c.name for c in db.get_columns(table)}:
        migrate(migrator.add_column(table, "excess_cents", CustomerPayment.excess_cents))
