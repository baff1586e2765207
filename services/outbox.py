"""The transactional outbox: messages are rows written with the change that causes them.

Call ``enqueue`` inside the same transaction as that change; a worker delivers later
(``services.notifications``). The dedupe key makes enqueueing idempotent, so a retried
finalisation or a replayed webhook never queues a message twice.
"""

from __future__ import annotations

from typing import Any

from models import Merchant, OutboxMessage

KINDS = ("email", "sms", "calendar_sync", "merchant_webhook")


def enqueue(kind: str, dedupe_key: str, payload: dict[str, Any],
            merchant: Merchant | int | None = None) -> bool:
    """Queue one message; False when a message with this key already exists."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    # ON CONFLICT DO NOTHING (INSERT OR IGNORE on SQLite): a duplicate key leaves the
    # caller's transaction intact without a savepoint round trip.
    inserted = (OutboxMessage.insert(kind=kind, dedupe_key=dedupe_key, payload=payload,
                                     merchant=merchant)
                .on_conflict_ignore().as_rowcount().execute())
    return bool(inserted)
