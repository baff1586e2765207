"""Bookings: creation with a validated cart, totals and the balance still due."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from models import Agreement, Booking, BookingAgreement, Customer, Merchant, Slot, utcnow
from services.cart import cart_total, normalize_cart
from services.codes import random_code


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


def held_participants(slot: Slot, excluding: Booking | None = None) -> int:
    """Seats other live bookings hold on a slot (canceled ones release theirs)."""
    query = Booking.select().where(Booking.slot == slot, Booking.status != "canceled")
    if excluding is not None:
        query = query.where(Booking.id != excluding.id)
    return sum(b.participants for b in query)


def slot_available(booking: Booking) -> bool:
    """A draft booking may only be paid while its slot still has room for it."""
    if booking.slot_id is None or booking.status != "draft":
        return True
    slot = booking.slot
    return held_participants(slot, excluding=booking) + booking.participants <= slot.capacity


def touch(booking: Booking) -> None:
    booking.updated_at = utcnow()
