"""Versioned schema changes with peewee's migrator.

A fresh database gets every table from ``create_schema`` (below) at the newest shape,
so each migration must be safe on a schema that already has its change (check first).
Add a function to MIGRATIONS; its position (1-based) is its version number.
"""

from __future__ import annotations

from collections.abc import Callable

from playhouse.migrate import PostgresqlMigrator, SchemaMigrator, SqliteMigrator, migrate

from models import (
    MODELS,
    CustomerPayment,
    IdempotencyKey,
    Invoice,
    MerchantUser,
    SchemaVersion,
    db,
    is_sqlite,
)


def _migrator() -> SchemaMigrator:
    return SqliteMigrator(db.obj) if is_sqlite() else PostgresqlMigrator(db.obj)


def m0001_baseline(migrator: SchemaMigrator) -> None:
    """The first schema: created by create_tables, nothing to alter."""


def m0002_idempotency_keys(migrator: SchemaMigrator) -> None:
    """Merchant API Idempotency-Key records (issue 5); a fresh schema already has the table."""
    if not IdempotencyKey.table_exists():
        IdempotencyKey.create_table(safe=True)


def m0003_merchant_users(migrator: SchemaMigrator) -> None:
    """Merchant console users (issue 8); a fresh schema already has the table."""
    if not MerchantUser.table_exists():
        MerchantUser.create_table(safe=True)


def m0004_invoice_pending_request(migrator: SchemaMigrator) -> None:
    """Invoice.pending_request: the pending attempt's create call, for a safe replay."""
    if "pending_request" not in {c.name for c in db.get_columns("invoice")}:
        migrate(migrator.add_column("invoice", "pending_request", Invoice.pending_request))


def m0005_payment_excess(migrator: SchemaMigrator) -> None:
    """CustomerPayment.excess_cents: a charge beyond the booking's balance, refunded."""
    table = CustomerPayment._meta.table_name
    if "excess_cents" not in {c.name for c in db.get_columns(table)}:
        migrate(migrator.add_column(table, "excess_cents", CustomerPayment.excess_cents))


MIGRATIONS: list[Callable[[SchemaMigrator], None]] = [
    m0001_baseline,
    m0002_idempotency_keys,
    m0003_merchant_users,
    m0004_invoice_pending_request,
    m0005_payment_excess,
]


def apply_migrations() -> int:
    """Apply every migration not yet recorded; returns how many ran."""
    done = {v.version for v in SchemaVersion.select()}
    migrator = _migrator()
    ran = 0
    for version, migration in enumerate(MIGRATIONS, start=1):
        if version in done:
            continue
        with db.atomic():
            migration(migrator)
            SchemaVersion.insert(version=version).on_conflict_ignore().execute()
        ran += 1
    return ran


def create_schema() -> int:
    """Create missing tables and apply pending migrations. Safe to run twice."""
    with db.atomic():
        db.create_tables(MODELS, safe=True)
    return apply_migrations()
