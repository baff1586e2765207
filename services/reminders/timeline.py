"""An invoice's message timeline for the console: sent, reminded, viewed, paid, refunded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models import CustomerPayment, Invoice, InvoiceReminder, OutboxMessage, Refund


@dataclass
class Moment:
    kind: str  # sent, resent, reminded, viewed, paid, refunded
    label: str
    at: datetime


def _offset_label(days: int) -> str:
    if days == 0:
        return "on the due date"
    unit = "day" if abs(days) == 1 else "days"
    return f"{abs(days)} {unit} {'before' if days < 0 else 'after'} the due date"


def invoice_timeline(invoice: Invoice) -> list[Moment]:
    """What reached (or came from) the customer, oldest first; queued messages wait."""
    moments: list[Moment] = []
    if invoice.sent_at:
        moments.append(Moment("sent", f"Sent by {invoice.send_type}", invoice.sent_at))
    resends = OutboxMessage.select().where(
        OutboxMessage.dedupe_key.startswith(f"invoice-resend:{invoice.uuid}:"),
        OutboxMessage.delivered_at.is_null(False), OutboxMessage.last_error.is_null())
    moments += [Moment("resent", f"Re-sent by {invoice.send_type}", m.delivered_at)
                for m in resends if m.delivered_at]
    reminders = list(InvoiceReminder.select().where(InvoiceReminder.invoice == invoice,
                                                    InvoiceReminder.status == "queued"))
    delivered = {m.dedupe_key: m for m in OutboxMessage.select().where(
        OutboxMessage.dedupe_key.in_([r.outbox_key for r in reminders] or [""]),
        OutboxMessage.delivered_at.is_null(False))}
    for r in reminders:
        message = delivered.get(r.outbox_key or "")
        if message is not None and message.delivered_at and message.last_error is None:
            moments.append(Moment("reminded", f"Reminder {_offset_label(r.offset_days)}",
                                  message.delivered_at))
    if invoice.viewed_at:
        moments.append(Moment("viewed", "Viewed", invoice.viewed_at))
    payments = list(CustomerPayment.select().where(CustomerPayment.invoice == invoice))
    moments += [Moment("paid", f"Paid {p.confirmation_number}", p.created_at) for p in payments]
    if payments:
        moments += [Moment("refunded", "Refunded", r.created_at) for r in Refund.select().where(
            Refund.payment.in_([p.id for p in payments]))]
    return sorted(moments, key=lambda m: m.at)
