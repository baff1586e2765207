"""Versioned schema changes with peewee's migrator, one numbered module a step.

A fresh database gets every table from ``create_schema`` at the newest shape, so each
step must be safe on a schema that already has its change (check first). A step is a
module ``mNNNN_name.py`` with ``up(migrator)``; NNNN is its version number.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable

from playhouse.migrate import PostgresqlMigrator, SchemaMigrator, SqliteMigrator

from models import MODELS, SchemaVersion, db, is_sqlite

STEP = re.compile(r"^m(\d{4})_\w+$")


def steps() -> list[tuple[int, Callable[[SchemaMigrator], None]]]:
    """Every step in this folder, in version order; numbers must not repeat."""
    found: dict[int, Callable[[SchemaMigrator], None]] = {}
    for module in pkgutil.iter_modules(__path__):
        match = STEP.match(module.name)
        if match is None:
            continue
        version = int(match.group(1))
        if version in found:
            raise RuntimeError(f"two migrations numbered {version}")
        found[version] = importlib.import_module(f"{__name__}.{module.name}").up
    return sorted(found.items())


def _migrator() -> SchemaMigrator:
    return SqliteMigrator(db.obj) if is_sqlite() else PostgresqlMigrator(db.obj)


def apply_migrations() -> int:
    """Apply every step not yet recorded; returns how many ran."""
    done = {v.version for v in SchemaVersion.select()}
    migrator = _migrator()
    ran = 0
    for version, up in steps():
        if version in done:
            continue
        with db.atomic():
            up(migrator)
            SchemaVersion.insert(version=version).on_conflict_ignore().execute()
        ran += 1
    return ran


def create_schema() -> int:
    """Create missing tables and apply pending migrations. Safe to run twice."""
    with db.atomic():
        db.create_tables(MODELS, safe=True)
    return apply_migrations()
