"""Merchant API Idempotency-Key records (issue 5); a fresh schema already has the table."""

from __future__ import annotations

from playhouse.migrate import SchemaMigrator

from models import IdempotencyKey


def up(migrator: SchemaMigrator) -> None:
    """Merchant API Idempotency-Key records (issue 5); a fresh schema already has the table."""
    if not IdempotencyKey.table_exists():
        IdempotencyKey.create_table(safe=True)
