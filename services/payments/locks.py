"""The invoice and booking of a payment, locked together.

On PostgreSQL one statement takes the invoice and booking row locks; on SQLite the
write lock of ``locked_transaction`` already serialises every payer.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from peewee import JOIN

from models import (
    Agreement,
    Booking,
    BookingAgreement,
    Invoice,
    Merchant,
    Slot,
    is_sqlite,
)
from services.bookings.records import joined_agreements
from services.common.errors import NotFound


def lock_query(where: Any, agreements: bool = False, slot: bool = True) -> Any:
    """The invoice, its booking, merchant and slot.

    One statement for the checks of ``pay`` and ``finalise``; on PostgreSQL it locks the
    invoice and booking rows (never the shared merchant or slot rows), and those come back
    as committed by any lock holder it waited for. The seats others hold are counted by
    ``pay`` after it has locked the slot, and only for a draft on a slot.
    ``slot=False`` leaves out the slot (finalise checks no capacity).
    """
    query = Invoice.select(Invoice, Booking, Merchant).join(Booking).switch(Invoice).join(Merchant)
    if slot:
        query = query.select_extend(Slot).switch(Booking).join(Slot, JOIN.LEFT_OUTER)
    query = query.where(where)
    if agreements:  # the booking's required agreements, a row each, in order
        query = (query.select_extend(BookingAgreement, Agreement).switch(Booking)
                 .join(BookingAgreement, JOIN.LEFT_OUTER, attr="agreement_link",
                       on=(BookingAgreement.booking == Booking.id))
                 .join(Agreement, JOIN.LEFT_OUTER).order_by(BookingAgreement.id))
    return query if is_sqlite() else query.for_update(of=(Invoice, Booking))


class InvoiceRef(NamedTuple):
    """How a caller names the invoice to pay: ``id``, ``token`` (a link's verified nonce)
    or ``uuid``; by token or uuid a deleted invoice is not found."""

    column: str
    value: Any


def _live(column: Any, value: Any) -> Any:
    return (column == value) & Invoice.deleted_at.is_null()


def lock_invoice(ref: InvoiceRef) -> tuple[Invoice, Booking, list[Agreement]]:
    """Inside locked_transaction: the invoice and its booking, locked together, and the
    agreements the booking requires. ``invoice.merchant`` and ``booking.slot`` come with
    them."""
    where = Invoice.id == ref.value if ref.column == "id" else _live(
        getattr(Invoice, ref.column), ref.value)
    rows = list(lock_query(where, agreements=True))
    if not rows:
        raise NotFound("No such invoice.")
    return rows[0], rows[0].booking, joined_agreements(rows)


def invoice_id_of(ref: InvoiceRef) -> int:
    if ref.column == "id":
        return ref.value
    found = Invoice.select(Invoice.id).where(
        _live(getattr(Invoice, ref.column), ref.value)).first()
    if found is None:
        raise NotFound("No such invoice.")
    return found.id
