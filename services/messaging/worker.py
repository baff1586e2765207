"""The outbox worker: claim due messages, deliver, retry with exponential backoff.

Claiming is a compare-and-set on ``next_attempt_at`` (portable: SQLite and PostgreSQL):
the UPDATE only matches while the row still has the value this worker read, so of two
workers exactly one wins, and the winner's new ``next_attempt_at`` is a lease. If the
worker dies mid-delivery the lease runs out and another worker retries the message.
A failure records ``last_error`` and schedules the next try; nothing is ever dropped.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from peewee import PeeweeException

from models import OutboxMessage, db, utcnow
from runtime.logs import event
from services.messaging.delivery import deliver

log = logging.getLogger("paylink")
LEASE = timedelta(minutes=5)


@dataclass
class RunResult:
    delivered: int = 0
    skipped: int = 0
    failed: int = 0


def backoff(app: Flask, attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped (OUTBOX_RETRY_SECONDS, OUTBOX_MAX_BACKOFF_SECONDS)."""
    base = app.config.get("OUTBOX_RETRY_SECONDS", 30)
    cap = app.config.get("OUTBOX_MAX_BACKOFF_SECONDS", 3600)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def claim(row: OutboxMessage, now: datetime) -> bool:
    taken = (OutboxMessage.update(next_attempt_at=now + LEASE,
                                  attempts=OutboxMessage.attempts + 1)
             .where(OutboxMessage.id == row.id, OutboxMessage.delivered_at.is_null(),
                    OutboxMessage.next_attempt_at == row.next_attempt_at)
             .execute())
    return taken == 1


def run_once(app: Flask, now: datetime | None = None, limit: int = 100) -> RunResult:
    """Deliver what is due now, once each; returns the counts."""
    now = now or utcnow()
    result = RunResult()
    due = list(OutboxMessage.select()
               .where(OutboxMessage.delivered_at.is_null(), OutboxMessage.next_attempt_at <= now)
               .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
    for row in due:
        if not claim(row, now):
            continue  # another worker has it
        row = OutboxMessage.get_by_id(row.id)
        try:
            note = deliver(app, row)
        except Exception as exc:  # any channel failure: keep the message, try again later
            _failed(app, row, exc)
            result.failed += 1
            continue
        (OutboxMessage.update(delivered_at=utcnow(), last_error=note)
         .where(OutboxMessage.id == row.id).execute())
        result.skipped += note is not None
        result.delivered += note is None
        event(log, "outbox delivered", kind=row.kind, message=row.uuid, note=note,
              attempts=row.attempts)
    return result


def _failed(app: Flask, row: OutboxMessage, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"[:1000]
    retry_at = utcnow() + backoff(app, row.attempts)
    (OutboxMessage.update(next_attempt_at=retry_at, last_error=error)
     .where(OutboxMessage.id == row.id, OutboxMessage.delivered_at.is_null()).execute())
    log.warning("outbox delivery failed", extra={"fields": {
        "kind": row.kind, "message": row.uuid, "attempts": row.attempts, "error": error,
        "retry_at": retry_at.isoformat()}})


def run_forever(app: Flask, poll_seconds: float, limit: int = 100) -> None:
    """The worker loop; each pass opens and closes its own connection."""
    while True:
        try:
            with db.connection_context():
                result = run_once(app, limit=limit)
        except PeeweeException as exc:  # database restarting: wait, the rows are still there
            log.warning("outbox pass failed", extra={"fields": {"error": type(exc).__name__}})
            time.sleep(poll_seconds)
            continue
        if result.delivered + result.skipped + result.failed < limit:
            time.sleep(poll_seconds)
