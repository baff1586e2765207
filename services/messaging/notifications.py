"""What to tell whom, queued in the caller's transaction through the outbox.

Payloads name the rows (uuids) and the template; the worker renders them when it
delivers (``services.messaging``), so no pay-link token is stored in the outbox and a
message always carries the invoice's current link. Merchant webhooks are the
exception: their body is the event as it happened, like Stripe's events.
"""

from __future__ import annotations

import time
from typing import Any

from models import Booking, CustomerPayment, Invoice, Merchant, new_uuid
from services.messaging.outbox import enqueue, enqueue_many


def queue_invoice_message(invoice: Invoice, *, resend: bool = False) -> bool:
    """The invoice email or SMS; a first send is queued once however often it is asked."""
    kind = "sms" if invoice.send_type == "sms" else "email"
    template = "invoice_sms" if kind == "sms" else "invoice"
    # Every resend is its own message; a retried API call is caught by Idempotency-Key.
    key = f"invoice-resend:{invoice.uuid}:{new_uuid()}" if resend else f"invoice:{invoice.uuid}"
    return enqueue(kind, key, {"template": template, "invoice_uuid": invoice.uuid,
                               "booking_uuid": _booking_uuid(invoice)}, invoice.merchant_id)


def queue_reminder(invoice: Invoice, offset_days: int, key: str) -> bool:
    """A reminder of the invoice (services.reminders), by the channel it was sent by."""
    kind = "sms" if invoice.send_type == "sms" else "email"
    template = "invoice_reminder_sms" if kind == "sms" else "invoice_reminder"
    return enqueue(kind, key, {"template": template, "invoice_uuid": invoice.uuid,
                               "booking_uuid": _booking_uuid(invoice),
                               "offset_days": offset_days}, invoice.merchant_id)


def merchant_notice_address(merchant: Merchant) -> str | None:
    """Where payment and refund notices go: the notification address, else support's."""
    return merchant.notification_email or merchant.support_email


def queue_payment_messages(payment: CustomerPayment, invoice: Invoice, booking: Booking,
                           confirmed_now: bool) -> None:
    """Everything one succeeded payment causes; safe to call again for the same payment.

    A receipt always; the booking confirmation when confirm-on-pay confirmed it just now;
    a calendar-sync event when the merchant has calendar_sync on; a merchant webhook
    when the merchant has a webhook_url.
    """
    ref = {"payment_uuid": payment.uuid, "invoice_uuid": invoice.uuid,
           "booking_uuid": booking.uuid}
    merchant = invoice.merchant  # joined by the finalising lock; else one query
    messages = [("email", f"receipt:{payment.uuid}", {"template": "receipt", **ref})]
    if confirmed_now:
        messages.append(("email", f"booking-confirmed:{booking.uuid}",
                         {"template": "booking_confirmed", **ref}))
    if merchant_notice_address(merchant):
        messages.append(("email", f"merchant-payment:{payment.uuid}",
                         {"template": "merchant_payment", **ref}))
    if merchant.calendar_sync:
        messages.append(("calendar_sync", f"calendar:{payment.uuid}",
                         {"event": "payment", **ref}))
    webhook = merchant_webhook_message(merchant, "payment.succeeded", f"payment:{payment.uuid}", {
        **ref, "amount_cents": payment.amount_cents, "tip_cents": payment.tip_cents,
        "currency": payment.currency, "confirmation_number": payment.confirmation_number,
        "booking_status": booking.status, "booking_balance_cents": booking.balance_cents,
    })
    enqueue_many([*messages, *webhook], merchant)  # one INSERT


def queue_booking_expired(booking: Booking) -> None:
    """An unpaid booking passed its deadline: tell the customer and the merchant."""
    merchant = Merchant.get_by_id(booking.merchant_id)
    ref = {"booking_uuid": booking.uuid}
    enqueue("email", f"booking-expired:{booking.uuid}",
            {"template": "booking_expired", **ref}, merchant)
    if merchant.support_email:
        enqueue("email", f"booking-expired-merchant:{booking.uuid}",
                {"template": "booking_expired_merchant", **ref}, merchant)
    if merchant.calendar_sync:
        enqueue("calendar_sync", f"calendar-cancel:{booking.uuid}",
                {"event": "booking_canceled", **ref}, merchant)
    queue_merchant_webhook(merchant, "booking.expired", f"booking-expired:{booking.uuid}",
                           {**ref, "external_ref": booking.external_ref,
                            "status": "canceled", "reason": "expired"})


def queue_refund_webhook(payment: CustomerPayment, stripe_refund_id: str,
                         amount_cents: int, reason: str | None = None) -> None:
    """payment.refunded; ``reason`` "overpayment" marks the automatic refund of a charge
    beyond the booking's balance."""
    merchant = Merchant.select().join(Booking, on=(Booking.merchant == Merchant.id)).where(
        Booking.id == payment.booking_id).get()
    booking = Booking.get_by_id(payment.booking_id)
    invoice = Invoice.get_or_none(Invoice.id == payment.invoice_id)
    ref = {"payment_uuid": payment.uuid, "booking_uuid": booking.uuid,
           "invoice_uuid": invoice.uuid if invoice else None, "refund_id": stripe_refund_id,
           "refund_cents": amount_cents}
    if merchant_notice_address(merchant):
        enqueue("email", f"merchant-refund:{stripe_refund_id}",
                {"template": "merchant_refund", **ref}, merchant)
    queue_merchant_webhook(merchant, "payment.refunded", f"refund:{stripe_refund_id}", {
        "payment_uuid": payment.uuid, "refund_id": stripe_refund_id,
        "booking_uuid": booking.uuid, "invoice_uuid": ref["invoice_uuid"],
        "amount_cents": amount_cents, "refunded_cents": payment.refunded_cents,
        "reason": reason or "requested",
    })


def queue_merchant_webhook(merchant: Merchant, event_type: str, dedupe: str,
                           data: dict[str, Any]) -> bool:
    """A signed POST to the merchant's webhook_url, when it has one."""
    message = merchant_webhook_message(merchant, event_type, dedupe, data)
    return bool(message) and enqueue_many(message, merchant) == 1


def merchant_webhook_message(merchant: Merchant, event_type: str, dedupe: str,
                             data: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """The outbox message of a merchant webhook event: one, or none without a webhook_url."""
    if not merchant.webhook_url:
        return []
    event_id = "evt_" + new_uuid().replace("-", "")
    body = {"id": event_id, "type": event_type, "created": int(time.time()), "data": data}
    return [("merchant_webhook", f"webhook:{dedupe}", body)]


def _booking_uuid(invoice: Invoice) -> str:
    return Booking.select(Booking.uuid).where(Booking.id == invoice.booking_id).scalar()
