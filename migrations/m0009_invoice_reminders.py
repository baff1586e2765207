"""The invoice_reminder claims (issue 18); a fresh schema already has the table."""

from __future__ import annotations

from playhouse.migrate import SchemaMigrator

from models import InvoiceReminder


def up(migrator: SchemaMigrator) -> None:
    """The invoice_reminder claims (issue 18); a fresh schema already has the table."""
    if not InvoiceReminder.table_exists():
        InvoiceReminder.create_table(safe=True)
