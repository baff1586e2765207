"""What a receipt says about one payment: the same facts in the email and the PDF."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time

from models import Booking, Customer, CustomerPayment, Merchant, Refund
from services.common.money import format_money
from services.reminders.schedule import customer_zone


@dataclass
class Receipt:
    merchant: str
    contact: list[str]
    customer: str
    activity: str
    when: str
    participants: int
    lines: list[tuple[str, str]]
    amount: str
    tip: str | None
    total: str
    card: str | None
    confirmation_number: str
    booking_code: str
    paid_at: str
    balance: str
    refunded: str | None = None
    fully_refunded: bool = False
    refunds: list[str] = field(default_factory=list)


def booking_when(booking: Booking, locale: str) -> str:
    """"Saturday, 1 June 2030, 09:00 – 11:00" in the merchant's locale."""
    text = format_date(booking.date, "full", locale=locale)
    if booking.start_time:
        text += ", " + format_time(booking.start_time, "short", locale=locale)
        if booking.end_time:
            text += " – " + format_time(booking.end_time, "short", locale=locale)
    if booking.end_date and booking.end_date != booking.date:
        text += " – " + format_date(booking.end_date, "full", locale=locale)
    return text


def _at(moment: datetime, tz: ZoneInfo, locale: str) -> str:
    return format_datetime(moment.replace(tzinfo=UTC), "medium", tzinfo=tz, locale=locale)


def _lines(cart: dict[str, Any], money: Callable[[int], str]) -> list[tuple[str, str]]:
    lines = [(line["name"] + (f" × {line['quantity']}" if line.get("quantity", 1) > 1 else ""),
              money(line["amount_cents"]))
             for section in ("line_items", "fees", "taxes") for line in cart.get(section, [])]
    return lines + [(line["name"], "−" + money(line["amount_cents"]))
                    for line in cart.get("discounts", [])]


def build_receipt(payment: CustomerPayment) -> Receipt:
    """The receipt of a payment as it stands now (refunds included)."""
    booking = Booking.get_by_id(payment.booking_id)
    merchant = Merchant.get_by_id(booking.merchant_id)
    customer = Customer.get_by_id(booking.customer_id)
    locale, tz = merchant.locale, customer_zone(customer, merchant)

    def money(cents: int) -> str:
        return format_money(cents, payment.currency, locale)

    paid = payment.amount_cents + payment.tip_cents
    refunds = list(Refund.select().where(Refund.payment == payment).order_by(Refund.id))
    return Receipt(
        merchant=merchant.name,
        contact=[c for c in (merchant.address, merchant.support_email) if c],
        customer=customer.name, activity=booking.activity, when=booking_when(booking, locale),
        participants=booking.participants, lines=_lines(booking.cart or {}, money),
        amount=money(payment.amount_cents),
        tip=money(payment.tip_cents) if payment.tip_cents else None, total=money(paid),
        card=(f"{(payment.card_brand or 'card').capitalize()} •••• {payment.card_last4}"
              if payment.card_last4 else None),
        confirmation_number=payment.confirmation_number,
        booking_code=booking.confirmation_code,
        paid_at=_at(payment.created_at, tz, locale), balance=money(booking.balance_cents),
        refunded=money(payment.refunded_cents) if payment.refunded_cents else None,
        fully_refunded=payment.refunded_cents >= paid > 0,
        refunds=[f"{money(r.amount_cents)} · {_at(r.created_at, tz, locale)}" for r in refunds],
    )
