"""Payment attempts against Stripe: validate under a row lock, create+confirm once.

Stripe's "finalize payments on the server" flow with ConfirmationTokens:
1. ``pay`` locks the invoice, checks every rule, marks the attempt pending and commits;
2. it creates and confirms the PaymentIntent with an idempotency key derived from the
   invoice and the browser's attempt key (a retried request never charges twice);
3. succeeded → ``finalise``; requires_action → the client secret goes back to the browser,
   which runs handleNextAction and calls ``pay`` again with ``handled_next_action``.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any

from models import (
    Booking,
    Invoice,
    Merchant,
    Slot,
    db,
    is_sqlite,
    locked_transaction,
    utcnow,
)
from runtime.logs import event
from services import gateway
from services.common import text
from services.common.codes import random_code
from services.common.errors import Conflict, NotFound, ServiceError
from services.connect import fees
from services.connect.accounts import account_for
from services.payments import card_details
from services.payments.finalisation import finalise
from services.payments.locks import InvoiceRef, invoice_id_of, lock_invoice
from services.payments.rules import (
    ABANDONED_ACTION,
    ATTEMPT_KEY,
    ATTEMPT_PREFIX,
    DESCRIPTION_MAX,
    INTENT_ID,
    LIVE_STATUSES,
    PENDING_MESSAGE,
    STALE_ATTEMPT,
    AttemptRefused,
    GatewayUnavailable,
    PaymentDeclined,
    PayRequest,
    PayResult,
    choose_amount,
    cooldown_remaining,
    other_pending,
    record_acceptances,
    unpayable_reason,
    verify_intent,
)

log = logging.getLogger("paylink.payments")

def pay(client: gateway.Client, target: int | InvoiceRef, request: PayRequest) -> PayResult:
    """Take one payment step for an invoice (its id, or an InvoiceRef); raises
    ServiceError subclasses on refusal."""
    ref = target if isinstance(target, InvoiceRef) else InvoiceRef("id", target)
    if request.handled_next_action:
        return complete_next_action(client, invoice_id_of(ref), request.handled_next_action)
    if not request.confirmation_token or not isinstance(request.confirmation_token, str):
        invoice_id_of(ref)  # an unknown invoice is a 404 before a bad request is a 422
        raise ServiceError("Payment details are missing. Please enter your card again.",
                           code="confirmation_token_required")
    attempt = request.attempt_key if ATTEMPT_KEY.match(request.attempt_key or "") else None
    attempt = attempt or random_code(16)

    for _ in range(3):  # settle what another attempt left pending, then look again
        with locked_transaction():
            invoice, booking, required = lock_invoice(ref)
            invoice_id = invoice.id
            if booking.slot_id is not None and booking.status == "draft" and not is_sqlite():
                # Bookings of one slot serialise on it (SQLite: the whole database is
                # locked already); slot_available counts the seats held after the wait.
                Slot.select(Slot.id).where(Slot.id == booking.slot_id).for_update().execute()
            reason = unpayable_reason(invoice, booking)
            if reason:
                raise Conflict(reason[1], code=reason[0])
            pause = cooldown_remaining(invoice)
            if pause:
                minutes = int(pause.total_seconds() // 60) + 1
                raise ServiceError(
                    f"Too many declined attempts. Please wait {minutes} minutes and try again.",
                    status=429, code="cooldown")
            blocking = other_pending(invoice, booking)
            pending = invoice.pending_intent_id
            if blocking is not None:
                pass  # another invoice of this booking is being paid: settle it first
            elif pending is None:
                amount = choose_amount(invoice, booking, request.amount_cents, request.tip_cents)
                record_acceptances(invoice, required, request.agreements, request.ip,
                                   request.user_agent)
                call = intent_call(invoice, booking, invoice.merchant, amount, request, attempt)
                if not sendable(call):
                    raise ServiceError("Payment details are invalid. Please enter your card "
                                       "again.", code="confirmation_token_invalid")
                now = utcnow()
                Invoice.update(pending_intent_id=ATTEMPT_PREFIX + attempt, pending_since=now,
                               pending_request=call, updated_at=now).where(
                    Invoice.id == invoice_id).execute()
                break
            if pending == ATTEMPT_PREFIX + attempt and invoice.pending_request:
                # The browser retries this very attempt (after a timeout): replay the same
                # call; the idempotency key makes Stripe answer with the first outcome.
                call = invoice.pending_request
                break
        settle_pending(client, blocking or invoice)
    else:
        raise Conflict(PENDING_MESSAGE, code="payment_pending")
    return send_intent(client, invoice_id, call)

def settle_pending(client: gateway.Client, invoice: Invoice) -> None:
    """Another attempt is pending: refuse while it may still charge, clear it once it cannot.

    Raises Conflict (the pending message) while the attempt is live; returns once it has
    been finalised, failed, or cleared, so the caller can look at the invoice again.
    """
    pending = invoice.pending_intent_id
    if pending is None:
        return  # settled meanwhile
    age = utcnow() - (invoice.pending_since or utcnow())
    if pending.startswith(ATTEMPT_PREFIX):
        if age <= STALE_ATTEMPT:
            raise Conflict(PENDING_MESSAGE, code="payment_pending")
        if not invoice.pending_request:
            clear_pending(invoice.id, pending)  # nothing was sent to Stripe
            return
        # Its outcome is unknown (a timeout or a crash): replaying the same call with the
        # same idempotency key returns what Stripe did, or does it now, exactly once.
        # Declined (recorded on the invoice) or refused (cleared): this customer may go on.
        with suppress(PaymentDeclined, AttemptRefused):
            send_intent(client, invoice.id, invoice.pending_request)
        return
    options = gateway.account_options(account_for(invoice.merchant))
    intent = client.v1.payment_intents.retrieve(pending, params={"expand": card_details.EXPAND},
                                                options=options)
    if intent.status == "requires_action" and age > ABANDONED_ACTION:
        intent = _cancel_abandoned(client, intent, options)
    if intent.status in LIVE_STATUSES:
        raise Conflict(PENDING_MESSAGE, code="payment_pending")
    if intent.status == "succeeded":
        finalise(intent, client)
    else:
        clear_pending(invoice.id, pending)  # canceled or failed: the customer may start again


def _cancel_abandoned(client: gateway.Client, intent: Any, options: Any) -> Any:
    """A 3-D Secure challenge nobody finished: cancel it so the invoice can be paid again."""
    try:
        intent = client.v1.payment_intents.cancel(intent.id, options=options)
    except gateway.InvalidRequestError:  # finished meanwhile
        intent = client.v1.payment_intents.retrieve(intent.id, options=options)
    event(log, "abandoned payment canceled", intent=intent.id, status=intent.status)
    return intent


def intent_call(invoice: Invoice, booking: Booking, merchant: Merchant, amount: int,
                request: PayRequest, attempt: str) -> dict[str, Any]:
    """The PaymentIntent create call of one attempt; the server sets every amount."""
    params: dict[str, Any] = {
        "amount": amount + request.tip_cents,
        "currency": invoice.currency,
        "confirm": True,
        "confirmation_token": request.confirmation_token,
        "automatic_payment_methods": {"enabled": True},
        "use_stripe_sdk": request.use_stripe_sdk,
        "expand": card_details.EXPAND,  # the card's brand and last 4 for finalise
        "description": stripe_text(
            f"{merchant.name}: {booking.activity} ({booking.confirmation_code})",
            DESCRIPTION_MAX),
        "metadata": {
            "invoice_uuid": invoice.uuid, "booking_uuid": booking.uuid,
            "merchant_uuid": merchant.uuid, "amount_cents": str(amount),
            "tip_cents": str(request.tip_cents), "attempt_key": attempt,
        },
    }
    if request.return_url:
        params["return_url"] = request.return_url
    account = account_for(merchant)
    if account is not None:  # a direct charge: the platform's fee goes with it
        fee = fees.fee_cents(fees.rule_for(merchant), amount, request.tip_cents)
        if fee:
            params["application_fee_amount"] = fee
    options = gateway.account_options(account,
                                      idempotency_key=f"paylink-{invoice.uuid}-{attempt}")
    return {"attempt": attempt, "params": params, "options": options}


def stripe_text(value: str, limit: int) -> str:
    """Text as Stripe takes it: one line of valid UTF-8 (text.header_safe), within its
    limit. Stored text is validated at input; this keeps an older row from blocking a
    payment."""
    return text.header_safe(value)[:limit]


def sendable(call: dict[str, Any]) -> bool:
    """Whether the SDK can encode a create call: checked before an attempt is marked
    pending, since a call that cannot be sent can never be replayed either."""
    def ok(value: Any) -> bool:
        if isinstance(value, dict):
            return all(ok(k) and ok(v) for k, v in value.items())
        if isinstance(value, list | tuple):
            return all(ok(v) for v in value)
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return False
            return "\x00" not in value
        return value is None or isinstance(value, bool | int)
    return ok(call)


def send_intent(client: gateway.Client, invoice_id: int, call: dict[str, Any]) -> PayResult:
    """Create and confirm the PaymentIntent of an attempt, and act on Stripe's answer."""
    marker = ATTEMPT_PREFIX + call["attempt"]
    try:
        intent = client.v1.payment_intents.create(params=call["params"],
                                                  options=call["options"])
    except gateway.CardError as exc:
        error = exc.error
        message = (error.message if error else None) or "Your card was declined."
        record_failure(invoice_id, marker, getattr(error, "decline_code", None)
                       or getattr(error, "code", None) or "card_declined", message)
        raise PaymentDeclined(message, code="card_declined") from exc
    except gateway.UNAVAILABLE as exc:
        # Stripe may or may not have charged: keep the attempt pending, so only a replay of
        # this same call (same idempotency key) can go on; never a second, new charge.
        event(log, "stripe unavailable", invoice_id=invoice_id, error=type(exc).__name__)
        raise GatewayUnavailable(
            "We could not reach the payment processor. Please try again in a moment; "
            "you will not be charged twice.", code="gateway_unavailable",
        ) from exc
    except (gateway.StripeError, UnicodeError, ValueError, TypeError) as exc:
        # Refused outright, or a call the SDK cannot even encode: nothing was charged,
        # and replaying it would fail the same way for ever, so the attempt is cleared.
        clear_pending(invoice_id, marker)
        event(log, "stripe refused", invoice_id=invoice_id, error=type(exc).__name__)
        raise AttemptRefused("The payment could not be started. Please re-enter your card.",
                             code="payment_error") from exc
    if intent.status != "succeeded":  # a success is logged once, as "payment finalised"
        event(log, "payment intent", invoice_id=invoice_id, intent=intent.id,
              status=intent.status)
    return _after_confirm(client, intent, invoice_id, marker)


def _after_confirm(client: gateway.Client, intent: Any, invoice_id: int,
                   marker: str) -> PayResult:
    if intent.status == "succeeded":
        return PayResult("succeeded", confirmation=finalise(intent, client))
    if intent.status in ("requires_action", "processing", "requires_confirmation"):
        # From now on the pending marker is the PaymentIntent itself.
        Invoice.update(pending_intent_id=intent.id).where(
            Invoice.id == invoice_id, Invoice.pending_intent_id == marker
        ).execute()
        if intent.status == "processing":
            return PayResult("processing")
        return PayResult("requires_action", client_secret=intent.client_secret,
                         redirect_url=_redirect_url(intent))
    error = intent.last_payment_error
    message = (error.message if error else None) or "Your payment was not completed."
    record_failure(invoice_id, marker, (error.code if error else None) or intent.status, message)
    raise PaymentDeclined(message, code="card_declined")


def complete_next_action(client: gateway.Client, invoice_id: int,
                         intent_id: str) -> PayResult:
    """After handleNextAction (or a redirect back): verify the PaymentIntent and finish."""
    invoice = Invoice.get_by_id(invoice_id)
    if not isinstance(intent_id, str) or not INTENT_ID.match(intent_id):
        raise ServiceError("Unknown payment.", code="payment_unknown")
    # Read on the merchant's own account: another account's id is not found there.
    try:
        intent = client.v1.payment_intents.retrieve(
            intent_id, params={"expand": card_details.EXPAND},
            options=gateway.account_options(account_for(invoice.merchant)))
    except gateway.InvalidRequestError as exc:
        raise NotFound("Unknown payment.", code="payment_unknown") from exc
    except gateway.UNAVAILABLE as exc:
        raise GatewayUnavailable("We could not reach the payment processor. Please try again.",
                                 code="gateway_unavailable") from exc
    verify_intent(intent, invoice)
    if intent.status == "succeeded":
        return PayResult("succeeded", confirmation=finalise(intent, client))
    if intent.status == "processing":
        return PayResult("processing")
    if intent.status == "requires_action":
        raise ServiceError("Authentication was not completed. Please try again.",
                           code="authentication_incomplete")
    return _after_confirm(client, intent, invoice_id, intent.id)


def _redirect_url(intent: Any) -> str | None:
    action = getattr(intent, "next_action", None)
    if action is not None and action.type == "redirect_to_url":
        return action.redirect_to_url.url
    return None

def clear_pending(invoice_id: int, marker: str) -> None:
    """Compare-and-set: only clear the marker we know about, never a newer attempt's."""
    Invoice.update(pending_intent_id=None, pending_since=None, pending_request=None).where(
        Invoice.id == invoice_id, Invoice.pending_intent_id == marker
    ).execute()


def record_failure(invoice_id: int, marker: str | None, code: str, message: str) -> None:
    """A declined or unauthenticated attempt: the invoice shows as attempted, retry allowed."""
    with db.atomic():
        query = Invoice.update(
            failed_attempts=Invoice.failed_attempts + 1, last_attempt_at=utcnow(),
            last_attempt_code=str(code)[:64], last_attempt_message=message,
            pending_intent_id=None, pending_since=None, pending_request=None,
        ).where(Invoice.id == invoice_id)
        if marker is not None:
            query = query.where(Invoice.pending_intent_id == marker)
        updated = query.execute()
    if updated:
        event(log, "payment failed", invoice_id=invoice_id, code=code)
