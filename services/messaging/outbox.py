"""The transactional outbox: messages are rows written with the change that causes them.

Call ``enqueue`` inside the same transaction as that change; a worker delivers later
(``services.notifications``). The dedupe key makes enqueueing idempotent, so a retried
finalisation or a replayed webhook never queues a message twice.
"""

from __future__ import annotations

from typing import Any

from models import Merchant, OutboxMessage, new_uuid, utcnow

KINDS = ("email", "sms", "calendar_sync", "merchant_webhook", "excess_refund")


def enqueue(kind: str, dedupe_key: str, payload: dict[str, Any],
            merchant: Merchant | int | None = None) -> bool:
    """Queue one message; False when a message with this key already exists."""
    return enqueue_many([(kind, dedupe_key, payload)], merchant) == 1


def enqueue_many(messages: list[tuple[str, str, dict[str, Any]]],
                 merchant: Merchant | int | None = None) -> int:
    """Queue (kind, dedupe key, payload) messages; how many were new.

    ON CONFLICT DO NOTHING (INSERT OR IGNORE on SQLite) skips a key already queued and
    leaves the caller's transaction intact, with no savepoint.
    """
    rows = _rows(messages, merchant)
    if not rows:
        return 0
    return OutboxMessage.insert_many(rows).on_conflict_ignore().as_rowcount().execute()


def _rows(messages: list[tuple[str, str, dict[str, Any]]],
          merchant: Merchant | int | None) -> list[dict[str, Any]]:
    for kind, _key, _payload in messages:
        if kind not in KINDS:
            raise ValueError(f"unknown outbox kind {kind!r}")
    now = utcnow()
    return [{"uuid": new_uuid(), "kind": kind, "dedupe_key": key, "payload": payload,
             "merchant": merchant, "next_attempt_at": now, "created_at": now}
            for kind, key, payload in messages]
