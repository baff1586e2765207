"""Auto-expire (cron): close invoices past expires_at, cancel unpaid bookings past theirs."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from models import Booking, CustomerPayment, Invoice, for_update, locked_transaction, utcnow
from runtime.logs import event
from services.messaging.notifications import queue_booking_expired

log = logging.getLogger("paylink")


@dataclass
class ExpireResult:
    invoices_closed: int = 0
    bookings_canceled: int = 0


def expire_invoices(now: datetime) -> int:
    """Open invoices past their deadline close, unless a payment is in flight right now."""
    return (Invoice.update(status="closed", closed_at=now, updated_at=now)
            .where(Invoice.status == "open", Invoice.deleted_at.is_null(),
                   Invoice.expires_at <= now, Invoice.pending_intent_id.is_null())
            .execute())


def _has_payment(booking: Booking) -> bool:
    """Any money kept on the booking (a refunded deposit does not count)."""
    return (CustomerPayment.select()
            .where(CustomerPayment.booking == booking,
                   CustomerPayment.refunded_cents < CustomerPayment.amount_cents)
            .exists())


def expire_booking(booking_id: int, now: datetime) -> bool:
    """Cancel one unpaid draft/pending booking and queue the notices, all in one transaction."""
    with locked_transaction():
        booking = for_update(Booking.select().where(Booking.id == booking_id)).get()
        if (booking.status not in ("draft", "pending") or booking.expires_at is None
                or booking.expires_at > now or _has_payment(booking)):
            return False
        # A customer in the middle of 3-D Secure keeps the booking until the next run.
        in_flight = (Invoice.select().where(Invoice.booking == booking,
                                            Invoice.pending_intent_id.is_null(False)).exists())
        if in_flight:
            return False
        booking.status, booking.canceled_at, booking.updated_at = "canceled", now, now
        booking.save()
        (Invoice.update(status="closed", closed_at=now, updated_at=now)
         .where(Invoice.booking == booking, Invoice.status == "open").execute())
        queue_booking_expired(booking)
    event(log, "booking expired", booking=booking.uuid)
    return True


def expire_due(now: datetime | None = None) -> ExpireResult:
    now = now or utcnow()
    result = ExpireResult(invoices_closed=expire_invoices(now))
    candidates = [b.id for b in Booking.select(Booking.id).where(
        Booking.status.in_(("draft", "pending")), Booking.expires_at <= now)]
    result.bookings_canceled = sum(expire_booking(booking_id, now) for booking_id in candidates)
    return result
