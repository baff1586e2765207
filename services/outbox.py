"""The transactional outbox: messages are rows written with the change that causes them.

Call ``enqueue`` inside the same transaction as that change; a worker delivers later
(``services.notifications``). The dedupe key makes enqueueing idempotent, so a retried
finalisation or a replayed webhook never queues a message twice.
"""

from __future__ import annotations

from typing import Any

from models import Merchant, OutboxMessage
from statements import compiled_insert

KINDS = ("email", "sms", "calendar_sync", "merchant_webhook")


def enqueue(kind: str, dedupe_key: str, payload: dict[str, Any],
            merchant: Merchant | int | None = None) -> bool:
    """Queue one message; False when a message with this key already exists."""
    return enqueue_many([(kind, dedupe_key, payload)], merchant) == 1


def enqueue_many(messages: list[tuple[str, str, dict[str, Any]]],
                 merchant: Merchant | int | None = None) -> int:
    """Queue (kind, dedupe key, payload) messages; how many were new.

    ON CONFLICT DO NOTHING (INSERT OR IGNORE on SQLite) skips a key already queued and
    leaves the caller's transaction intact, with no savepoint round trips.
    """
    return _INSERT(*_rows(messages, merchant))


def enqueue_later(messages: list[tuple[str, str, dict[str, Any]]],
                  merchant: Merchant | int | None = None) -> None:
    """As enqueue_many, when the caller needs no count: on PostgreSQL the INSERT then goes
    with the transaction's COMMIT (statements.CompiledWrite.later)."""
    _INSERT.later(*_rows(messages, merchant))


def _rows(messages: list[tuple[str, str, dict[str, Any]]],
          merchant: Merchant | int | None) -> list[dict[str, Any]]:
    for kind, _key, _payload in messages:
        if kind not in KINDS:
            raise ValueError(f"unknown outbox kind {kind!r}")
    return [{"kind": kind, "dedupe_key": key, "payload": payload, "merchant": merchant}
            for kind, key, payload in messages]


# ON CONFLICT DO NOTHING: a dedupe key already queued is skipped (statements.py).
_INSERT = compiled_insert(OutboxMessage, ignore_conflicts=True)
