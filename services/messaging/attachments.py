"""Files attached to customer emails: the PDF receipt and the booking's .ics."""

from __future__ import annotations

from typing import Any

from services.documents.booking_ics import booking_ics
from services.documents.receipt_data import build_receipt
from services.documents.receipt_pdf import receipt_pdf

# (filename, content type, bytes)
Attachment = tuple[str, str, bytes]


def receipt_file(ctx: dict[str, Any]) -> Attachment:
    payment = ctx["payment"]
    return (f"receipt-{payment.confirmation_number}.pdf", "application/pdf",
            receipt_pdf(build_receipt(payment)))


def calendar_file(ctx: dict[str, Any]) -> Attachment:
    booking = ctx["booking"]
    return (f"booking-{booking.confirmation_code}.ics", "text/calendar; method=PUBLISH",
            booking_ics(booking, ctx["merchant"]))


def attachments_for(template: str, ctx: dict[str, Any]) -> list[Attachment]:
    """The receipt carries the PDF and the event; the booking confirmation the event."""
    if template == "receipt" and ctx.get("payment") is not None:
        return [receipt_file(ctx), calendar_file(ctx)]
    if template == "booking_confirmed":
        return [calendar_file(ctx)]
    return []
