"""Invoice.pending_request: the pending attempt's create call, for a safe replay."""

from __future__ import annotations

from playhouse.migrate import SchemaMigrator, migrate

from models import Invoice, db


def up(migrator: SchemaMigrator) -> None:
    """Invoice.pending_request: the pending attempt's create call, for a safe replay."""
    if "pending_request" not in {c.name for c in db.get_columns("invoice")}:
        migrate(migrator.add_column("invoice", "pending_request", Invoice.pending_request))
