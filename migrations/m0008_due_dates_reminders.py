"""Due dates and reminders (issue 18): Invoice.due_at, the merchant's reminder schedule,
notification address and street address, Customer.timezone."""

from __future__ import annotations

from playhouse.migrate import SchemaMigrator, migrate

from models import Customer, Invoice, Merchant, db

COLUMNS = (
    (Invoice, "due_at"), (Merchant, "reminders"), (Merchant, "notification_email"),
    (Merchant, "address"), (Customer, "timezone"),
)


def up(migrator: SchemaMigrator) -> None:
    """Add each column a schema does not have yet (a fresh one has them all), and the
    index the reminder runner's query uses (declared here, not on the model)."""
    for model, name in COLUMNS:
        table = model._meta.table_name
        if name not in {c.name for c in db.get_columns(table)}:
            migrate(migrator.add_column(table, name, getattr(model, name)))
    if "invoice_due_at" not in {i.name for i in db.get_indexes("invoice")}:
        migrate(migrator.add_index("invoice", ("due_at",), False))
