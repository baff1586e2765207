"""Queue the reminders that are due: each (invoice, offset) row is inserted once, in the
same transaction as its outbox message, so two runners (two hosts) never send one twice.

An invoice qualifies while it is open, sent, not deleted, its booking not canceled, with a
due date. When the runner missed several offsets, only the latest is sent (the others are
recorded as skipped); an offset that came before the invoice was sent is skipped too. SMS
reminders wait while it is night in the customer's zone (the row is not claimed yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models import Booking, Customer, Invoice, InvoiceReminder, Merchant, db
from services.messaging.notifications import queue_reminder
from services.reminders.schedule import (
    MAX_OFFSET_DAYS,
    customer_zone,
    offsets,
    quiet,
    send_time,
)


@dataclass
class ReminderResult:
    queued: int = 0
    skipped: int = 0
    deferred: int = 0


def candidates(now: datetime) -> list[Invoice]:
    window = timedelta(days=MAX_OFFSET_DAYS + 1)
    return list(
        Invoice.select(Invoice, Booking, Customer, Merchant)
        .join(Booking).join(Customer).switch(Invoice).join(Merchant)
        .where(Invoice.due_at.is_null(False), Invoice.status == "open",
               Invoice.deleted_at.is_null(), Invoice.sent_at.is_null(False),
               Booking.status != "canceled",
               Invoice.due_at.between(now - window, now + window))
        .order_by(Invoice.id))


def _claim(invoice: Invoice, offset: int, status: str, key: str | None) -> bool:
    """Insert the row; False when another runner (or an earlier pass) has it."""
    row = {"invoice": invoice.id, "offset_days": offset, "status": status, "outbox_key": key}
    return InvoiceReminder.insert_many([row]).on_conflict_ignore().as_rowcount().execute() == 1


def queue_due_reminders(now: datetime) -> ReminderResult:
    """One pass as of ``now`` (naive UTC)."""
    result = ReminderResult()
    rows = candidates(now)
    claimed: dict[int, set[int]] = {}
    for r in InvoiceReminder.select().where(InvoiceReminder.invoice.in_([i.id for i in rows])):
        claimed.setdefault(r.invoice_id, set()).add(r.offset_days)
    for invoice in rows:
        merchant, customer = invoice.merchant, invoice.booking.customer
        due, sent = invoice.due_at, invoice.sent_at
        if due is None or sent is None:  # the query says not; for the type checker
            continue
        todo = [o for o in offsets(merchant)
                if send_time(due, o) <= now and o not in claimed.get(invoice.id, ())]
        if not todo:
            continue
        latest = todo[-1]
        if (invoice.send_type == "sms" and send_time(due, latest) >= sent
                and quiet(now, customer_zone(customer, merchant))):
            result.deferred += 1
            continue
        with db.atomic():
            for offset in todo[:-1]:
                result.skipped += _claim(invoice, offset, "skipped", None)
            if send_time(due, latest) < sent:
                result.skipped += _claim(invoice, latest, "skipped", None)
                continue
            key = f"reminder:{invoice.uuid}:{latest}"
            if _claim(invoice, latest, "queued", key):
                queue_reminder(invoice, latest, key)
                result.queued += 1
    return result
