"""The transactional outbox: messages are rows written with the change that causes them.

Call ``enqueue`` inside the same transaction as that change; a worker delivers later
(``services.notifications``). The dedupe key makes enqueueing idempotent, so a retried
finalisation or a replayed webhook never queues a message twice.
"""

from __future__ import annotations

from typing import Any

from peewee import IntegrityError

from models import Merchant, OutboxMessage, db

KINDS = ("email", "sms", "calendar_sync", "merchant_webhook")


def enqueue(kind: str, dedupe_key: str, payload: dict[str, Any],
            merchant: Merchant | int | None = None) -> bool:
    """Queue one message; False when a message with this key already exists."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    try:
        # A savepoint: a duplicate key undoes only this insert, not the caller's transaction.
        with db.atomic():
            OutboxMessage.create(kind=kind, dedupe_key=dedupe_key, payload=payload,
                                 merchant=merchant)
    except IntegrityError:
        return False
    return True
