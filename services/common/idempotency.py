"""Idempotency-Key for the merchant API's POSTs, with Stripe's semantics.

The first request with a key reserves it (a row with no answer yet), runs, and stores
its answer; a replay gets that answer with the same status. The same key with another
method, path or body is refused, and so is a replay while the first is still running.
Server errors (5xx) are not stored, so the client may retry them with the same key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from peewee import IntegrityError

from models import IdempotencyKey, Merchant, db, utcnow
from services.common.errors import Conflict, ServiceError

MAX_KEY = 255
# A reservation this old belongs to a crashed request: a retry may take it over.
ABANDONED_AFTER = timedelta(minutes=5)


@dataclass
class Stored:
    status: int
    body: Any


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def begin(merchant: Merchant, key: str, print_: str) -> Stored | None:
    """Reserve the key (None: go ahead) or return the first request's stored answer."""
    if not key or len(key) > MAX_KEY:
        raise ServiceError(f"Idempotency-Key must be 1 to {MAX_KEY} characters.", status=400)
    try:
        with db.atomic():
            IdempotencyKey.create(merchant=merchant, key=key, fingerprint=print_)
        return None
    except IntegrityError:
        pass
    row = IdempotencyKey.get(IdempotencyKey.merchant == merchant, IdempotencyKey.key == key)
    if row.fingerprint != print_:
        raise ServiceError("This Idempotency-Key was used with a different request; "
                           "use a new key for a new request.", code="idempotency_key_reused")
    if row.status_code is not None:
        return Stored(row.status_code, row.response)
    if utcnow() - row.created_at > ABANDONED_AFTER:
        taken = (IdempotencyKey.update(created_at=utcnow())
                 .where(IdempotencyKey.id == row.id, IdempotencyKey.created_at == row.created_at,
                        IdempotencyKey.status_code.is_null()).execute())
        if taken:
            return None
    raise Conflict("A request with this Idempotency-Key is still being processed.",
                   code="idempotency_key_in_use")


def finish(merchant: Merchant, key: str, status: int, body: Any) -> None:
    """Store the answer; a server error releases the key instead."""
    query = IdempotencyKey.merchant == merchant, IdempotencyKey.key == key
    if status >= 500:
        IdempotencyKey.delete().where(*query, IdempotencyKey.status_code.is_null()).execute()
        return
    IdempotencyKey.update(status_code=status, response=body).where(*query).execute()
