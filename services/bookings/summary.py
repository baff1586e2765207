"""What the pay page and the public JSON API show about an invoice's booking."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_percent
from peewee import JOIN, fn

from models import (
    Agreement,
    Booking,
    BookingAgreement,
    Customer,
    CustomerPayment,
    Invoice,
    Merchant,
    Refund,
    Slot,
)
from services.bookings.records import held_seats, joined_agreements
from services.common.compiled import CompiledSelect
from services.common.fields import isoformat
from services.common.money import format_money, minor_units, to_decimal
from services.payments.rules import amount_due_now
from services.reminders.schedule import customer_zone, due_text


@lru_cache(maxsize=1024)
def _date(day: Any, locale: str) -> str:
    return format_date(day, "full", locale=locale)


@lru_cache(maxsize=1024)
def _time(moment: Any, locale: str) -> str:
    return format_time(moment, "short", locale=locale)


@lru_cache(maxsize=256)
def _percent(pct: int, locale: str) -> str:
    return format_percent(pct / 100, locale=locale)


def when_text(date: str, start: str | None, end: str | None, locale: str) -> str:
    """The booking's date and times joined by the locale's own date-time pattern."""
    if not start:
        return date
    times = f"{start} – {end}" if end else start
    if Locale.parse(locale).character_order == "right-to-left":
        times = f"\u2068{times}\u2069"  # isolated: the range reads left to right
    return str(get_datetime_format("full", locale=locale)).replace(
        "{1}", date).replace("{0}", times)


def _lines(cart: dict[str, Any], section: str, money: Any) -> list[dict[str, Any]]:
    return [
        {**line, "amount": money(line["amount_cents"])}
        for line in cart.get(section, [])
    ]


def booking_summary(invoice: Invoice, booking: Booking, merchant: Merchant,
                    paid_cents: int, locale: str | None = None) -> dict[str, Any]:
    """Formatted summary: money with Babel in the invoice's currency, in ``locale`` (a
    Babel name: the customer's on the pay page; the merchant's by default).

    Dates and times are the booking's wall-clock ones, already in the activity's zone.
    """
    locale, currency = locale or merchant.locale, invoice.currency

    def money(cents: int) -> str:
        return format_money(cents, currency, locale)

    cart = booking.cart or {}
    due = amount_due_now(invoice, booking)
    min_partial = min(invoice.min_partial_cents or 1, due)
    multi_day = booking.end_date is not None and booking.end_date != booking.date
    date = _date(booking.date, locale)
    start = _time(booking.start_time, locale) if booking.start_time else None
    end = _time(booking.end_time, locale) if booking.end_time else None
    return {
        "when": when_text(date, start, end, locale),
        "merchant": merchant.name,
        "activity": booking.activity,
        "date": date,
        "end_date": _date(booking.end_date, locale) if multi_day else None,
        "start": start,
        "end": end,
        "participants": booking.participants,
        "line_items": _lines(cart, "line_items", money),
        "fees": _lines(cart, "fees", money),
        "discounts": _lines(cart, "discounts", money),
        "taxes": _lines(cart, "taxes", money),
        "total": money(booking.total_cents),
        "paid": money(paid_cents),
        "paid_cents": paid_cents,
        "balance": money(booking.balance_cents),
        "due_now": money(due),
        "due_now_cents": due,
        "due_now_plain": str(to_decimal(due, currency)),
        "min_partial_cents": min_partial,
        "min_partial": money(min_partial),
        "minor_units": minor_units(currency),
        "locale_tag": locale.replace("_", "-"),
        "percents": {pct: _percent(pct, locale) for pct in (10, 15, 20)},
        "memo": invoice.memo,
        "confirmation_code": booking.confirmation_code,
        "due_by": due_text(invoice.due_at, customer_zone(booking.customer, merchant), locale)
        if invoice.due_at else None,
    }


def invoice_page_query() -> Any:
    """One query for everything a pay page or the public read shows.

    The invoice with its booking, customer, merchant, slot and the booking's agreements (a
    row per agreement, in order), plus two scalar subqueries: what the booking has been
    paid (``paid_cents``) and the seats other bookings hold on its slot (``held_seats``).
    One round trip to the database whatever the data.
    """
    paid = (CustomerPayment.select(fn.COALESCE(fn.SUM(CustomerPayment.amount_cents), 0))
            .where(CustomerPayment.booking == Booking.id))
    return (
        Invoice.select(Invoice, Booking, Customer, Merchant, Slot, BookingAgreement, Agreement,
                       paid.alias("paid_cents"),
                       held_seats(Booking.slot, Booking.id).alias("held_seats"))
        .join(Booking).join(Customer)
        .switch(Booking).join(Slot, JOIN.LEFT_OUTER)
        .switch(Booking).join(BookingAgreement, JOIN.LEFT_OUTER, attr="agreement_link",
                              on=(BookingAgreement.booking == Booking.id))
        .join(Agreement, JOIN.LEFT_OUTER)
        .switch(Invoice).join(Merchant)
        .order_by(BookingAgreement.id)
    )


# Every view of a pay link runs these; their SQL text is built once (common.compiled).
_BY_NONCE = CompiledSelect(lambda nonce: invoice_page_query().where(
    Invoice.token == nonce, Invoice.deleted_at.is_null()))
_BY_UUID = CompiledSelect(lambda uuid: invoice_page_query().where(
    Invoice.uuid == uuid, Invoice.deleted_at.is_null()))


def _page(select: CompiledSelect, value: str) -> tuple[Invoice, list[Agreement]] | None:
    rows = select.rows(value)
    return (rows[0], joined_agreements(rows)) if rows else None


def page_rows(nonce: str) -> tuple[Invoice, list[Agreement]] | None:
    """A live invoice by its link nonce, with its booking's agreements; None otherwise."""
    return _page(_BY_NONCE, nonce)


def read_rows(uuid: str) -> tuple[Invoice, list[Agreement]] | None:
    """A live invoice by uuid, with its booking's agreements; None otherwise."""
    return _page(_BY_UUID, uuid)


def invoice_by_nonce(nonce: str) -> Invoice | None:
    """A live invoice by its link nonce, with all a page shows of it."""
    found = page_rows(nonce)
    return found[0] if found else None


_PAYMENTS = CompiledSelect(lambda booking_id: (
    CustomerPayment.select(CustomerPayment, Refund)
    .join(Refund, JOIN.LEFT_OUTER, on=(Refund.payment == CustomerPayment.id), attr="refund")
    .where(CustomerPayment.booking == booking_id)
    .order_by(CustomerPayment.id, Refund.id)))


def payment_history(invoice: Invoice) -> list[dict[str, Any]]:
    """The booking's payments, oldest first, each with its refunds: amounts in cents, the
    card's brand and last 4 only (no other card data is ever stored)."""
    rows = _PAYMENTS.rows(invoice.booking_id)
    payments: dict[int, dict[str, Any]] = {}
    for payment in rows:
        entry = payments.get(payment.id)
        if entry is None:
            paid, refunded = payment.amount_cents + payment.tip_cents, payment.refunded_cents
            entry = payments[payment.id] = {
                "amountCents": payment.amount_cents, "tipCents": payment.tip_cents,
                "currency": payment.currency, "createdAt": isoformat(payment.created_at),
                "refundedCents": refunded, "refunds": [],
                "cardBrand": payment.card_brand, "cardLast4": payment.card_last4,
                "confirmationNumber": payment.confirmation_number,
                "status": ("succeeded" if refunded == 0 else
                           "refunded" if refunded >= paid else "partially_refunded"),
            }
        refund = getattr(payment, "refund", None)
        if refund is not None and refund.id is not None:
            entry["refunds"].append({"amountCents": refund.amount_cents,
                                     "createdAt": isoformat(refund.created_at)})
    return list(payments.values())
