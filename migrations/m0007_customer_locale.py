"""Customer.locale: the customer's language for the pay page, emails and SMS (issue 17)."""

from __future__ import annotations

from playhouse.migrate import SchemaMigrator, migrate

from models import Customer, db


def up(migrator: SchemaMigrator) -> None:
    """Customer.locale: the customer's language for the pay page, emails and SMS."""
    table = Customer._meta.table_name
    if "locale" not in {c.name for c in db.get_columns(table)}:
        migrate(migrator.add_column(table, "locale", Customer.locale))
