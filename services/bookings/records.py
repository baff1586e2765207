"""Bookings: creation with a validated cart, totals and the balance still due."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from peewee import fn

from models import (
    Agreement,
    Booking,
    BookingAgreement,
    Customer,
    Invoice,
    Merchant,
    Slot,
    utcnow,
)
from services.bookings.cart import cart_total, normalize_cart
from services.common import text
from services.common.codes import random_code


def create_booking(
    merchant: Merchant,
    customer: Customer,
    *,
    activity: str,
    day: date,
    cart: dict[str, Any],
    start_time: time | None = None,
    end_time: time | None = None,
    end_date: date | None = None,
    participants: int = 1,
    status: str = "draft",
    agreements: list[Agreement] = (),  # type: ignore[assignment]
    slot: Slot | None = None,
    expires_at: datetime | None = None,
    external_ref: str | None = None,
) -> Booking:
    """Create a booking whose balance is its whole cart total."""
    text.check(activity, "activity")
    text.check_optional(external_ref, "external_ref")
    cart = normalize_cart(cart)
    total = cart_total(cart)
    booking = Booking.create(
        merchant=merchant, customer=customer, activity=activity, date=day,
        start_time=start_time, end_time=end_time, end_date=end_date,
        participants=participants, status=status, cart=cart, total_cents=total,
        balance_cents=total, slot=slot, expires_at=expires_at, external_ref=external_ref,
        confirmation_code=random_code(8),
    )
    for agreement in agreements:
        BookingAgreement.create(booking=booking, agreement=agreement)
    return booking


def held_seats(slot_id: Any, booking_id: Any) -> Any:
    """Seats other bookings hold on a slot, as a query.

    A booking holds its seats once it is pending or confirmed, once anything has been
    paid on it, or while a payment for it is in flight. A draft nobody has paid holds
    nothing, so two drafts that together overfill a slot do not block each other: the
    first to pay takes the seats. Usable as a scalar subquery with column references,
    or run with plain ids.
    """
    other = Booking.alias()
    in_flight = Invoice.select(Invoice.id).where(Invoice.booking == other.id,
                                                 Invoice.pending_intent_id.is_null(False))
    query = other.select(fn.COALESCE(fn.SUM(other.participants), 0)).where(
        other.slot == slot_id, other.status != "canceled",
        (other.status != "draft") | (other.balance_cents < other.total_cents)
        | fn.EXISTS(in_flight))
    return query if booking_id is None else query.where(other.id != booking_id)


def joined_agreements(rows: list[Any]) -> list[Agreement]:
    """The booking's agreements from a query that LEFT JOINs them as ``agreement_link``
    (a row per agreement, in order; one row with no link when there are none)."""
    links = (row.booking.agreement_link for row in rows)
    return [link.agreement for link in links if link is not None]


def slot_available(booking: Booking, held: int | None = None) -> bool:
    """A draft booking may only be paid while its slot still has room for it.

    ``held`` is the seats other bookings hold, when the caller already selected it.
    """
    if booking.slot_id is None or booking.status != "draft":
        return True
    if booking.balance_cents < booking.total_cents:  # paid on already: its seats are held
        return True
    if held is None:
        held = held_seats(booking.slot_id, booking.id).scalar()
    slot = booking.slot
    return slot is None or held + booking.participants <= slot.capacity


def touch(booking: Booking) -> None:
    booking.updated_at = utcnow()
