"""One job runner for the periodic work, safe to run on several hosts at once.

Each pass, as of ``now``: auto-expire (row locks), then the reminders that are due (a
unique row per invoice and offset claims each), then the outbox (compare-and-set leases).
None of them keeps state outside the database, so runners may start and stop freely.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from peewee import PeeweeException

from models import db, utcnow
from runtime.logs import event
from services.invoices.expiry import ExpireResult, expire_due
from services.messaging.worker import RunResult, run_once
from services.reminders.runner import ReminderResult, queue_due_reminders

log = logging.getLogger("paylink")


@dataclass
class PassResult:
    expired: ExpireResult
    reminders: ReminderResult
    outbox: RunResult

    def summary(self) -> str:
        e, r, o = self.expired, self.reminders, self.outbox
        return (f"expired {e.invoices_closed} invoice(s), {e.bookings_canceled} booking(s); "
                f"reminders queued {r.queued}, skipped {r.skipped}, deferred {r.deferred}; "
                f"outbox delivered {o.delivered}, skipped {o.skipped}, failed {o.failed}")


def run_pass(app: Flask, now: datetime | None = None, limit: int = 100) -> PassResult:
    """Everything due as of ``now`` (naive UTC; default: the clock)."""
    now = now or utcnow()
    with db.connection_context():
        expired = expire_due(now)
        reminders = queue_due_reminders(now)
        outbox = run_once(app, now=now, limit=limit)
    return PassResult(expired, reminders, outbox)


def run_loop(app: Flask, poll_seconds: float, clock: Callable[[], datetime | None],
             limit: int = 100) -> None:
    """Pass after pass; sleeps when a pass found less than a full batch to deliver."""
    while True:
        try:
            result = run_pass(app, clock(), limit)
        except PeeweeException as exc:  # database restarting: the rows wait for us
            log.warning("jobs pass failed", extra={"fields": {"error": type(exc).__name__}})
            time.sleep(poll_seconds)
            continue
        o = result.outbox
        if result.reminders.queued or o.delivered or o.failed:
            event(log, "jobs pass", summary=result.summary())
        if o.delivered + o.skipped + o.failed < limit:
            time.sleep(poll_seconds)
