"""Merchant console users (issue 8); a fresh schema already has the table."""

from __future__ import annotations

from playhouse.migrate import SchemaMigrator

from models import MerchantUser


def up(migrator: SchemaMigrator) -> None:
    """Merchant console users (issue 8); a fresh schema already has the table."""
    if not MerchantUser.table_exists():
        MerchantUser.create_table(safe=True)
