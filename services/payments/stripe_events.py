"""Stripe webhook events: finalise payments whose browser never came back, record failures,
reflect refunds made in Stripe's dashboard.

Every handler acts on the object's *current* state (re-read from Stripe), so duplicate
and out-of-order deliveries are harmless; the StripeEvent table skips repeats early.
"""

from __future__ import annotations

import logging
from typing import Any

from peewee import IntegrityError

from models import CustomerPayment, Invoice, StripeEvent, db
from runtime.logs import event as log_event
from services import gateway
from services.common.errors import ServiceError
from services.connect import accounts as connect_accounts
from services.connect.accounts import account_for
from services.payments import card_details
from services.payments.attempts import record_failure
from services.payments.finalisation import finalise
from services.payments.refunds import record_refund

log = logging.getLogger("paylink.webhooks")

HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed",
           "payment_intent.canceled", "payment_intent.requires_action", "charge.refunded")


def already_processed(event_id: str) -> bool:
    return StripeEvent.select().where(StripeEvent.event_id == event_id).exists()


def mark_processed(event_id: str, event_type: str) -> None:
    try:
        with db.atomic():
            StripeEvent.create(event_id=event_id, type=event_type)
    except IntegrityError:
        pass  # a concurrent delivery of the same event got there first


def _field(value: Any, name: str) -> Any:
    """A key of a Stripe object, None when it is absent or the value is no object."""
    if value is None or isinstance(value, str | bytes | list):
        return None
    try:
        return value[name]
    except (KeyError, TypeError):
        return None


def handle_event(client: gateway.Client, event: Any) -> str:
    """Process one verified event; returns what was done (for the log and the answer).

    A signed event is answered 2xx whatever it holds: one without ``data.object``, or for
    an object Stripe no longer has, is logged and ignored (a 5xx would be retried for days).
    """
    event_id, event_type = _field(event, "id"), _field(event, "type")
    if not isinstance(event_id, str) or not isinstance(event_type, str):
        log_event(log, "stripe event ignored", reason="no id or type")
        return "ignored"
    if already_processed(event_id):
        return "duplicate"
    obj = _field(_field(event, "data"), "object")
    # Connect events say which connected account they happened on; the platform's do not.
    account = _field(event, "account")
    account = account if isinstance(account, str) else None
    outcome = "ignored"
    try:
        if event_type in connect_accounts.HANDLED:
            outcome = connect_accounts.handle_account_event(client, event_type, account)
        elif event_type in HANDLED and obj is None:
            outcome = "ignored: no data.object"
        elif event_type.startswith("payment_intent.") and event_type in HANDLED:
            intent_id = _field(obj, "id")
            outcome = (sync_payment_intent(client, intent_id, account)
                       if isinstance(intent_id, str) else "ignored: no object id")
        elif event_type == "charge.refunded":
            outcome = sync_refunds(client, obj, account)
    except (gateway.InvalidRequestError, gateway.NoAccess) as exc:  # Stripe has it no more
        outcome = f"ignored: {exc.code or 'invalid request'}"
    mark_processed(event_id, event_type)
    log_event(log, "stripe event", event=event_id, type=event_type, outcome=outcome)
    return outcome


def sync_payment_intent(client: gateway.Client, intent_id: str,
                        account: str | None = None) -> str:
    """Re-read the intent on the account the event came from; it counts only for an
    invoice whose merchant is paid into that same account."""
    intent = client.v1.payment_intents.retrieve(intent_id, params={"expand": card_details.EXPAND},
                                                options=gateway.account_options(account))
    metadata = intent.metadata.to_dict() if intent.metadata else {}
    invoice = Invoice.get_or_none(Invoice.uuid == metadata.get("invoice_uuid", ""))
    if invoice is None:
        return "not ours"
    if account_for(invoice.merchant) != account:
        log_event(log, "webhook account mismatch", intent=intent.id, account=account)
        return "refused: account mismatch"
    if intent.status == "succeeded":
        try:
            finalise(intent, client)
        except ServiceError as exc:  # e.g. a PaymentIntent that does not match its invoice
            log_event(log, "webhook payment refused", intent=intent.id, code=exc.code)
            return "refused"
        return "finalised"
    if intent.status in ("requires_payment_method", "canceled"):
        error = intent.last_payment_error
        record_failure(
            invoice.id, intent.id, (error.code if error else None) or intent.status,
            (error.message if error else None) or "The payment was not completed.",
        )
        return "failure recorded"
    return "pending"


def sync_refunds(client: gateway.Client, charge: Any, account: str | None = None) -> str:
    """Bring a payment's refunded amount up to the charge's, refund by refund."""
    intent_id = _field(charge, "payment_intent")
    if not isinstance(intent_id, str):
        return "ignored: no payment_intent"
    payment = CustomerPayment.get_or_none(CustomerPayment.stripe_payment_intent_id == intent_id)
    if payment is None:
        return "not ours"
    if (payment.stripe_account or None) != account:
        log_event(log, "webhook account mismatch", intent=intent_id, account=account)
        return "refused: account mismatch"
    refunds = client.v1.refunds.list(params={"payment_intent": intent_id, "limit": 100},
                                     options=gateway.account_options(account))
    for refund in refunds.data:
        if refund.status in ("succeeded", "pending"):
            record_refund(payment, refund.id, refund.amount)
    return "refunds synced"
