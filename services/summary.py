"""What the pay page and the public JSON API show about an invoice's booking."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from babel.dates import format_date, format_time
from peewee import JOIN, SQL, fn

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
    is_postgres,
)
from services.bookings import held_seats, joined_agreements
from services.fields import isoformat
from services.money import format_money, minor_units, to_decimal
from services.payments import amount_due_now
from services.view_cache import digest
from statements import CompiledSelect, Rows


@lru_cache(maxsize=1024)
def _date(day: Any, locale: str) -> str:
    return format_date(day, "full", locale=locale)


@lru_cache(maxsize=1024)
def _time(moment: Any, locale: str) -> str:
    return format_time(moment, "short", locale=locale)


def _lines(cart: dict[str, Any], section: str, money: Any) -> list[dict[str, Any]]:
    return [
        {**line, "amount": money(line["amount_cents"])}
        for line in cart.get(section, [])
    ]


def booking_summary(invoice: Invoice, booking: Booking, merchant: Merchant,
                    paid_cents: int) -> dict[str, Any]:
    """Formatted summary: money with Babel in the merchant's currency and locale."""
    locale, currency = merchant.locale, invoice.currency

    def money(cents: int) -> str:
        return format_money(cents, currency, locale)

    cart = booking.cart or {}
    due = amount_due_now(invoice, booking)
    min_partial = min(invoice.min_partial_cents or 1, due)
    multi_day = booking.end_date is not None and booking.end_date != booking.date
    return {
        "merchant": merchant.name,
        "activity": booking.activity,
        "date": _date(booking.date, locale),
        "end_date": _date(booking.end_date, locale) if multi_day else None,
        "start": _time(booking.start_time, locale) if booking.start_time else None,
        "end": _time(booking.end_time, locale) if booking.end_time else None,
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
        "memo": invoice.memo,
        "confirmation_code": booking.confirmation_code,
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


# The pay page's and the public API's lookups, compiled once (statements.CompiledSelect).
PAGE_BY_NONCE = CompiledSelect(lambda nonce: invoice_page_query().where(
    Invoice.token == nonce, Invoice.deleted_at.is_null()))
PAGE_BY_UUID = CompiledSelect(lambda uuid: with_payment_history(invoice_page_query()).where(
    Invoice.uuid == uuid, Invoice.deleted_at.is_null()))


@dataclass(frozen=True)
class PageRows:
    """What a pay page or the public read is made from, as fetched (by link nonce or uuid):
    the invoice's rows, one per agreement of its booking."""

    key: str
    rows: Rows
    query: CompiledSelect

    def digest(self) -> bytes:
        return digest(self.rows)

    def models(self) -> tuple[Invoice, list[Agreement]]:
        invoices = list(self.query.objects(self.rows))
        return invoices[0], joined_agreements(invoices)


def _rows(query: CompiledSelect, key: str) -> PageRows | None:
    rows = query.fetch(key)
    return PageRows(key, rows, query) if rows.values else None


def page_rows(nonce: str) -> PageRows | None:
    """The pay page's query for a live invoice's link nonce; None when there is none."""
    return _rows(PAGE_BY_NONCE, nonce)


def read_rows(uuid: str) -> PageRows | None:
    """The public read's query for a live invoice's uuid; None when there is none."""
    return _rows(PAGE_BY_UUID, uuid)


# ---- payment history (the public read) ------------------------------------------------------

_HISTORY_FIELDS = {  # JSON key → column of the history subquery (P: payment, R: its refunds)
    "id": "P.id", "amountCents": "P.amount_cents", "tipCents": "P.tip_cents",
    "currency": "P.currency", "createdAt": "P.created_at", "refundedCents": "P.refunded_cents",
    "cardBrand": "P.card_brand", "cardLast4": "P.card_last4",
    "confirmationNumber": "P.confirmation_number", "refundId": "R.id",
    "refundCents": "R.amount_cents", "refundAt": "R.created_at",
}


def with_payment_history(query: Any) -> Any:
    """``query`` plus the booking's payments and their refunds, as one JSON array column
    (``payment_history``, a row per payment and refund): still one round trip, and part of
    the rows the view cache compares. Read it with ``payment_history``."""
    payment, refund = CustomerPayment.alias("ph_p"), Refund.alias("ph_r")
    columns = {"P": payment, "R": refund}
    pairs: list[Any] = []
    for key, path in _HISTORY_FIELDS.items():
        table, name = path.split(".")
        # Keys inline (SQL), not bound: PostgreSQL cannot type a bound key in a PREPARE.
        pairs += [SQL(f"'{key}'"), getattr(columns[table], name)]
    if is_postgres():
        history = fn.json_agg(fn.json_build_object(*pairs))
    else:
        history = fn.json_group_array(fn.json_object(*pairs))
    subquery = (payment.select(history)
                .join(refund, JOIN.LEFT_OUTER, on=(refund.payment == payment.id))
                .where(payment.booking == Booking.id))
    return query.select_extend(subquery.alias("payment_history"))


def _iso(value: Any) -> str | None:
    # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff", PostgreSQL's JSON has a T: one spelling out.
    return isoformat(datetime.fromisoformat(value)) if value else None


def payment_history(invoice: Invoice) -> list[dict[str, Any]]:
    """The booking's payments, oldest first, each with its refunds: amounts in cents, the
    card's brand and last 4 only. From an invoice read by ``with_payment_history``."""
    raw = getattr(invoice, "payment_history", None)
    items = json.loads(raw) if isinstance(raw, str) else (raw or [])
    payments: dict[int, dict[str, Any]] = {}
    for item in sorted(items, key=lambda i: (i["id"], i["refundId"] or 0)):
        entry = payments.get(item["id"])
        if entry is None:
            paid = item["amountCents"] + item["tipCents"]
            refunded = item["refundedCents"]
            entry = payments[item["id"]] = {
                "amountCents": item["amountCents"], "tipCents": item["tipCents"],
                "currency": item["currency"], "createdAt": _iso(item["createdAt"]),
                "refundedCents": refunded, "refunds": [],
                "cardBrand": item["cardBrand"], "cardLast4": item["cardLast4"],
                "confirmationNumber": item["confirmationNumber"],
                "status": ("succeeded" if refunded == 0 else
                           "refunded" if refunded >= paid else "partially_refunded"),
            }
        if item["refundId"] is not None:
            entry["refunds"].append({"amountCents": item["refundCents"],
                                     "createdAt": _iso(item["refundAt"])})
    return list(payments.values())
