"""Finalisation: a succeeded PaymentIntent recorded exactly once, whoever reports it.

``finalise`` is idempotent per PaymentIntent: the browser, the return URL and the
webhook may all call it; the first records the payment, the others read it back.
"""

from __future__ import annotations

import logging
from typing import Any

from models import (
    Booking,
    CustomerPayment,
    Invoice,
    locked_transaction,
    new_uuid,
    utcnow,
)
from runtime.logs import event
from services import gateway
from services.common.codes import random_code
from services.common.errors import NotFound, ServiceError
from services.common.money import format_money
from services.connect.accounts import account_for
from services.messaging.notifications import queue_payment_messages
from services.messaging.outbox import enqueue
from services.payments import card_details
from services.payments.locks import lock_query
from services.payments.refunds import refund_excess
from services.payments.rules import (
    ATTEMPT_PREFIX,
    GatewayUnavailable,
    intent_metadata,
    verify_intent,
)

log = logging.getLogger("paylink.payments")

def finalise(intent: Any, client: gateway.Client | None = None) -> dict[str, Any]:
    """Record a succeeded PaymentIntent exactly once; returns the confirmation.

    Called by the browser flow, the return URL and the webhook: the invoice and booking
    row locks plus the unique PaymentIntent id on CustomerPayment make every caller after
    the first a no-op. The balance is checked again here: what the booking can no longer
    take (another payment got there first) is the payment's excess, refunded at once
    when a ``client`` is given, and by the outbox worker otherwise or on failure.
    """
    if intent.status != "succeeded":
        raise ServiceError("The payment has not succeeded.", code="payment_not_succeeded")
    metadata = intent_metadata(intent)
    with locked_transaction():
        invoice = lock_query(Invoice.uuid == str(metadata.get("invoice_uuid")),
                              slot=False).first()
        if invoice is None:
            raise NotFound("Unknown invoice for this payment.", code="invoice_unknown")
        verify_intent(intent, invoice)
        booking = invoice.booking
        payment = _record_payment(intent, invoice, booking, metadata)
    if payment.excess_cents and client is not None:
        _refund_excess_now(client, payment)
    return confirmation(payment, booking)


def _record_payment(intent: Any, invoice: Invoice, booking: Booking,
                    metadata: dict[str, str]) -> CustomerPayment:
    """Inside finalise's locks: the payment row, the invoice and the booking's balance."""
    amount = int(metadata["amount_cents"])
    tip = int(metadata.get("tip_cents", 0))
    fits = max(min(amount, booking.balance_cents), 0)  # never below a zero balance
    payment = CustomerPayment(
        uuid=new_uuid(), booking=booking, invoice=invoice, amount_cents=amount,
        tip_cents=tip, currency=intent.currency, stripe_payment_intent_id=intent.id,
        stripe_charge_id=_charge_id(intent), confirmation_number=random_code(10, "P-"),
        excess_cents=amount - fits + (tip if fits == 0 else 0), created_at=utcnow(),
        stripe_account=account_for(invoice.merchant),
        application_fee_cents=int(getattr(intent, "application_fee_amount", None) or 0),
    )
    payment.card_brand, payment.card_last4 = card_details.card_details(intent)
    inserted = (CustomerPayment.insert(payment.__data__).on_conflict_ignore()
                .as_rowcount().execute())
    # Ours, or recorded already by a finaliser that held the lock before us (browser,
    # return URL and webhooks all come here): this new statement sees its committed row.
    stored = CustomerPayment.get_or_none(CustomerPayment.stripe_payment_intent_id == intent.id)
    if stored is None:  # a random confirmation number clashed: vanishingly rare
        raise GatewayUnavailable("Please try again.", code="finalise_retry")
    if not inserted:
        return stored
    payment = stored
    now = utcnow()
    invoice.amount_paid_cents += fits
    if fits and (invoice.due_cents <= 0 or booking.balance_cents - fits <= 0):
        invoice.status, invoice.paid_at = "paid", now
    # This payment's own attempt (by PaymentIntent or by attempt key) is over.
    own = (intent.id, ATTEMPT_PREFIX + metadata.get("attempt_key", ""))
    if invoice.pending_intent_id in own or invoice.status == "paid":
        invoice.pending_intent_id, invoice.pending_since = None, None
        invoice.pending_request = None
    invoice.updated_at = now
    invoice.save(only=[Invoice.amount_paid_cents, Invoice.status, Invoice.paid_at,
                       Invoice.pending_intent_id, Invoice.pending_since,
                       Invoice.pending_request, Invoice.updated_at])
    booking.balance_cents -= fits
    confirmed_now = bool(fits) and invoice.confirm_on_pay and booking.status in (
        "draft", "pending")
    if confirmed_now:
        booking.status = "confirmed"
    booking.updated_at = now
    booking.save(only=[Booking.balance_cents, Booking.status, Booking.updated_at])
    if fits:
        queue_payment_messages(payment, invoice, booking, confirmed_now)
    if payment.excess_cents:
        # Written with the payment: the worker refunds it if the call below cannot.
        enqueue("excess_refund", f"excess-refund:{payment.uuid}",
                {"payment_uuid": payment.uuid}, invoice.merchant_id)
        event(log, "overpayment", booking=booking.uuid, intent=intent.id,
              excess=payment.excess_cents)
    event(log, "payment finalised", invoice=invoice.uuid, intent=intent.id, amount=amount)
    return payment


def _refund_excess_now(client: gateway.Client, payment: CustomerPayment) -> None:
    try:
        refund_excess(client, payment)
    except (ServiceError, gateway.StripeError) as exc:  # the outbox worker tries again
        event(log, "overpayment refund deferred", payment=payment.uuid,
              error=type(exc).__name__)

def _charge_id(intent: Any) -> str | None:
    charge = getattr(intent, "latest_charge", None)
    if isinstance(charge, str):
        return charge
    return getattr(charge, "id", None)


EXCESS_MESSAGE = ("This booking had already been paid when your payment went through, so "
                  "{amount} of it has been refunded to your card. Nothing more is due.")


def confirmation(payment: CustomerPayment, booking: Booking) -> dict[str, Any]:
    """What the customer is shown (and the API answers) for a recorded payment."""
    body = {
        "confirmationNumber": payment.confirmation_number,
        "bookingConfirmationCode": booking.confirmation_code,
        "amountCents": payment.amount_cents,
        "tipCents": payment.tip_cents,
        "currency": payment.currency,
        "paymentIntent": payment.stripe_payment_intent_id,
        "bookingStatus": booking.status,
    }
    if payment.excess_cents:
        body["refundedCents"] = payment.excess_cents
        body["message"] = EXCESS_MESSAGE.format(amount=format_money(
            payment.excess_cents, payment.currency, booking.merchant.locale))
    return body
