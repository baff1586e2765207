"""Refunds: through Stripe from the merchant API, or recorded from Stripe's webhook.

The money a refund returns goes back to the booking first and the tip last, so the
booking's balance grows by the part of the refund that had paid it, and the invoice's
amount_paid_cents shrinks by the same part. A paid invoice that is no longer fully paid
reopens (Stax: paid → partially paid, or back to sent/viewed when all of it is refunded).
"""

from __future__ import annotations

import logging
from typing import Any

from models import (
    Booking,
    CustomerPayment,
    Invoice,
    Merchant,
    Refund,
    for_update,
    locked_transaction,
    utcnow,
)

# The error type only: the call itself goes through the app's one StripeClient.
from runtime.logs import event
from services import gateway
from services.common import fields
from services.common.errors import NotFound, ServiceError
from services.messaging.notifications import queue_refund_webhook

log = logging.getLogger("paylink.refunds")


class RefundFailed(ServiceError):
    status = 502


def get_payment(merchant: Merchant, payment_uuid: str) -> CustomerPayment:
    payment = (CustomerPayment.select().join(Booking)
               .where(CustomerPayment.uuid == payment_uuid, Booking.merchant == merchant).first())
    if payment is None:
        raise NotFound("No such payment.")
    return payment


def refundable_cents(payment: CustomerPayment) -> int:
    return payment.amount_cents + payment.tip_cents - payment.refunded_cents


def _booking_part(payment: CustomerPayment, refunded_before: int, amount: int) -> int:
    """How much of this refund had paid the booking.

    A charge is refunded in this order: its excess (what the booking could not take,
    which never paid it), then the part that paid the booking, then the tip.
    """
    start = payment.excess_cents
    end = start + max(payment.amount_cents - payment.excess_cents, 0)
    return max(min(refunded_before + amount, end) - max(refunded_before, start), 0)


def refund_excess(client: Any, payment: CustomerPayment) -> Refund | None:
    """Refund what a payment took beyond its booking's balance; None when nothing is owed.

    Safe to call again and from several places (finalise, the outbox worker): the
    idempotency key is fixed per payment and the refund is recorded once.
    """
    payment = CustomerPayment.get_by_id(payment.id)
    owed = payment.excess_cents - payment.refunded_cents  # the excess is refunded first
    if owed <= 0:
        return None
    refund = refund_payment(client, payment, owed,
                            idempotency_key=f"paylink-excess-{payment.uuid}",
                            reason="overpayment")
    event(log, "overpayment refunded", payment=payment.uuid, amount=owed,
          refund=refund.stripe_refund_id)
    return refund


def refund_payment(client: Any, payment: CustomerPayment, amount_cents: int | None = None,
                   idempotency_key: str | None = None, reason: str | None = None) -> Refund:
    """Refund all (None) or part of a payment in Stripe, then record it."""
    remaining = refundable_cents(payment)
    amount = remaining if amount_cents is None else amount_cents
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ServiceError("amount_cents must be an integer number of cents.",
                           field="amount_cents")
    if remaining <= 0:
        raise ServiceError("The payment is already fully refunded.")
    if amount <= 0 or amount > remaining:
        raise ServiceError(f"amount_cents must be between 1 and {remaining}.",
                           field="amount_cents", code="amount_over_refundable")
    # Derived from the state it applies to: a retried request cannot refund twice, while a
    # second deliberate partial refund (after the first is recorded) gets a new key.
    key = idempotency_key or f"paylink-refund-{payment.uuid}-{payment.refunded_cents}-{amount}"
    try:
        refund = client.v1.refunds.create(
            params={"payment_intent": payment.stripe_payment_intent_id, "amount": amount},
            # On the account the charge lives on (Connect), whatever the merchant has now.
            options=gateway.account_options(payment.stripe_account, idempotency_key=key),
        )
    except gateway.StripeError as exc:
        event(log, "refund failed", payment=payment.uuid, error=type(exc).__name__)
        message = getattr(exc, "user_message", None) or "The refund could not be made."
        raise RefundFailed(f"Stripe refused the refund: {message}") from exc
    if refund.status not in ("succeeded", "pending"):
        raise RefundFailed(f"The refund is {refund.status}.")
    return record_refund(payment, refund.id, refund.amount, reason)


def record_refund(payment: CustomerPayment, stripe_refund_id: str, amount_cents: int,
                  reason: str | None = None) -> Refund:
    """Apply one Stripe refund once, whoever reports it first (API answer or webhook)."""
    with locked_transaction():
        # The payment row first: the API's answer and the charge.refunded webhook may race
        # here, and only after the lock does the check below see the other's committed row.
        payment = for_update(CustomerPayment.select()
                             .where(CustomerPayment.id == payment.id)).get()
        existing = Refund.get_or_none(Refund.stripe_refund_id == stripe_refund_id)
        if existing is not None:
            return existing
        amount = min(amount_cents, refundable_cents(payment))
        part = _booking_part(payment, payment.refunded_cents, amount)
        refund = Refund.create(payment=payment, stripe_refund_id=stripe_refund_id,
                               amount_cents=amount)
        payment.refunded_cents += amount
        payment.save()
        now = utcnow()
        if part:
            (Booking.update(balance_cents=Booking.balance_cents + part, updated_at=now)
             .where(Booking.id == payment.booking_id).execute())
        if part and payment.invoice_id is not None:
            _revert_invoice(payment.invoice_id, part, now)
        queue_refund_webhook(payment, stripe_refund_id, amount, reason)
    event(log, "refund recorded", payment=payment.uuid, refund=stripe_refund_id, amount=amount)
    return refund


def _revert_invoice(invoice_id: int, part: int, now: Any) -> None:
    invoice = for_update(Invoice.select().where(Invoice.id == invoice_id)).get()
    invoice.amount_paid_cents = max(invoice.amount_paid_cents - part, 0)
    if invoice.status == "paid" and invoice.due_cents > 0:
        # Closed or deleted invoices stay so; a paid one is payable again.
        invoice.status, invoice.paid_at = "open", None
    invoice.updated_at = now
    invoice.save()


def refund_json(refund: Refund, payment: CustomerPayment) -> dict[str, Any]:
    return {"stripe_refund_id": refund.stripe_refund_id, "amount_cents": refund.amount_cents,
            "created_at": fields.isoformat(refund.created_at),
            "payment": {"uuid": payment.uuid, "amount_cents": payment.amount_cents,
                        "tip_cents": payment.tip_cents,
                        "refunded_cents": payment.refunded_cents}}
