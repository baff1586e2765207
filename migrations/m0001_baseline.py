"""The first schema: created by create_tables, nothing to alter."""

from __future__ import annotations

from playhouse.migrate import SchemaMigrator


def up(migrator: SchemaMigrator) -> None:
    """The first schema: created by create_tables, nothing to alter."""
