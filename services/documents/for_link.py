"""The files a pay link offers: its latest payment's receipt, its booking's event."""

from __future__ import annotations

from models import CustomerPayment, Invoice
from services.common.errors import NotFound
from services.documents.booking_ics import booking_ics
from services.documents.receipt_data import build_receipt
from services.documents.receipt_pdf import receipt_pdf


def latest_payment(invoice: Invoice) -> CustomerPayment | None:
    return (CustomerPayment.select().where(CustomerPayment.invoice == invoice.id)
            .order_by(CustomerPayment.id.desc()).first())


def receipt_for_invoice(invoice: Invoice) -> tuple[str, bytes]:
    """(filename, PDF) of the invoice's latest payment; NotFound before any payment."""
    payment = latest_payment(invoice)
    if payment is None:
        raise NotFound("This invoice has no payment yet.")
    return f"receipt-{payment.confirmation_number}.pdf", receipt_pdf(build_receipt(payment))


def calendar_for_invoice(invoice: Invoice) -> tuple[str, bytes]:
    booking = invoice.booking
    return f"booking-{booking.confirmation_code}.ics", booking_ics(booking, invoice.merchant)
