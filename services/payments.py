"""The pay flow: validate under a row lock, create+confirm a PaymentIntent, finalise once.

Stripe's "finalize payments on the server" flow with ConfirmationTokens:
1. ``pay`` locks the invoice, checks every rule, marks the attempt pending and commits;
2. it creates and confirms the PaymentIntent with an idempotency key derived from the
   invoice and the browser's attempt key (a retried request never charges twice);
3. succeeded → ``finalise``; requires_action → the client secret goes back to the browser,
   which runs handleNextAction and calls ``pay`` again with ``handled_next_action``.
``finalise`` is idempotent per PaymentIntent, whoever calls it (browser, return URL, webhook).
"""

from __future__ import annotations

import logging
import re
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NamedTuple

from peewee import JOIN

from logging_setup import event
from models import (
    Agreement,
    AgreementAcceptance,
    Booking,
    BookingAgreement,
    CustomerPayment,
    Invoice,
    Merchant,
    Slot,
    db,
    is_sqlite,
    locked_transaction,
    new_uuid,
    utcnow,
)
from services import card_details, gateway
from services.bookings import held_seats, joined_agreements, slot_available
from services.codes import random_code
from services.errors import Conflict, NotFound, ServiceError
from services.notifications import queue_payment_messages
from statements import CompiledSelect, compiled_insert, compiled_update

log = logging.getLogger("paylink.payments")

PENDING_MESSAGE = "A payment is already being processed for this invoice."
PAID_MESSAGE = "This invoice has already been paid."
# A pending attempt with no PaymentIntent yet, older than this, was cut off (timeout, crash):
# longer than a Stripe call with its retries can take.
STALE_ATTEMPT = timedelta(minutes=2)
# A 3-D Secure challenge left open this long is abandoned and gets canceled.
ABANDONED_ACTION = timedelta(minutes=15)
ATTEMPT_PREFIX = "attempt:"
LIVE_STATUSES = ("processing", "requires_action", "requires_confirmation")
ATTEMPT_KEY = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
MAX_TIP_CENTS = 1_000_000_00
# Card-testing defence: after every run of this many declines on one invoice, a pause.
DECLINE_COOLDOWN_AFTER = 5
DECLINE_COOLDOWN = timedelta(minutes=15)


@dataclass
class PayRequest:
    """What the browser (or the seed's client) sends to pay an invoice."""

    confirmation_token: str | None = None
    agreements: list[str] = field(default_factory=list)
    handled_next_action: str | None = None
    attempt_key: str | None = None
    amount_cents: int | None = None
    tip_cents: int = 0
    ip: str | None = None
    user_agent: str | None = None
    return_url: str | None = None
    # Stripe.js handles 3-D Secure in place; False makes Stripe answer with a redirect.
    use_stripe_sdk: bool = True


    @classmethod
    def from_json(cls, data: Any, **context: Any) -> PayRequest:
        """The seed client's field names; anything malformed is a clear 422."""
        if not isinstance(data, dict):
            raise ServiceError("Send a JSON object.", code="bad_request")
        agreements = data.get("agreements") or []
        if not isinstance(agreements, list) or not all(isinstance(a, str) for a in agreements):
            raise ServiceError("agreements must be a list of agreement ids.", code="bad_request")
        ints = {}
        for key, default in (("amountCents", None), ("tipCents", 0)):
            value = data.get(key, default)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ServiceError(f"{key} must be a whole number of cents.", code="bad_request")
            ints[key] = value
        texts = {}
        for key in ("stripeConfirmationToken", "handledNextAction", "attemptKey"):
            value = data.get(key)
            if value is not None and (not isinstance(value, str) or len(value) > 255):
                raise ServiceError(f"{key} must be a string.", code="bad_request")
            texts[key] = value
        return cls(
            confirmation_token=texts["stripeConfirmationToken"], agreements=agreements,
            handled_next_action=texts["handledNextAction"], attempt_key=texts["attemptKey"],
            amount_cents=ints["amountCents"], tip_cents=ints["tipCents"] or 0, **context,
        )


@dataclass
class PayResult:
    status: str  # succeeded | requires_action | processing
    client_secret: str | None = None
    confirmation: dict[str, Any] | None = None
    redirect_url: str | None = None  # a next action that must leave the page (bank site)

    def as_json(self) -> dict[str, Any]:
        if self.status == "requires_action":
            body = {"success": True, "requiresAction": True, "clientSecret": self.client_secret}
            if self.redirect_url:
                body["redirectUrl"] = self.redirect_url
            return body
        if self.status == "processing":
            return {"success": True, "processing": True,
                    "message": "Your payment is processing. We will email you when it completes."}
        return {"success": True, "confirmation": self.confirmation}


class PaymentDeclined(ServiceError):
    """The bank said no (or 3-D Secure failed); the customer may retry with another card."""

    status = 402


class GatewayUnavailable(ServiceError):
    status = 503


# ---- rules -------------------------------------------------------------------------------

def unpayable_reason(invoice: Invoice, booking: Booking,
                     held_seats: int | None = None) -> tuple[str, str] | None:
    """Why this invoice cannot take a payment now, as (state, sentence), or None.

    One place for the rules, used by the page (to pick what to show) and by ``pay``.
    ``held_seats``: the seats others hold on the booking's slot, when already selected.
    """
    if invoice.deleted_at is not None:
        return "deleted", "This payment link has been deleted."
    if invoice.status == "paid":
        return "paid", PAID_MESSAGE
    if invoice.status == "closed":
        return "closed", "This invoice has been closed and no longer takes payments."
    if invoice.expires_at is not None and invoice.expires_at <= utcnow():
        return "expired", "This payment link has expired."
    if booking.status == "canceled":
        return "canceled", "This booking has been canceled, so there is nothing to pay."
    if booking.balance_cents <= 0 or invoice.due_cents <= 0:
        return "no_balance", "There is no balance due on this booking."
    if not slot_available(booking, held_seats):
        return "slot_unavailable", "Sorry, this time slot is no longer available."
    return None


def cooldown_remaining(invoice: Invoice) -> timedelta | None:
    """Time left before a card-testing pause ends, or None when the invoice may be tried."""
    failures = invoice.failed_attempts
    if not failures or failures % DECLINE_COOLDOWN_AFTER or invoice.last_attempt_at is None:
        return None
    left = invoice.last_attempt_at + DECLINE_COOLDOWN - utcnow()
    return left if left > timedelta(0) else None


def amount_due_now(invoice: Invoice, booking: Booking) -> int:
    """What this invoice can collect: its own due amount, never more than the booking owes."""
    return max(min(invoice.due_cents, booking.balance_cents), 0)


def choose_amount(invoice: Invoice, booking: Booking, requested: int | None, tip: int) -> int:
    """The amount to charge (before the tip); re-checks any amount the client sent."""
    due = amount_due_now(invoice, booking)
    if requested is None or requested == due:
        amount = due
    elif not invoice.allow_partial:
        raise ServiceError("This invoice must be paid in full.", code="amount_invalid")
    else:
        amount = requested
        minimum = min(invoice.min_partial_cents or 1, due)
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise ServiceError("The amount must be a whole number of cents.", code="amount_invalid")
        if amount < minimum or amount > due:
            raise ServiceError(f"The amount must be between {minimum} and {due} cents.",
                               code="amount_invalid")
    if isinstance(tip, bool) or not isinstance(tip, int) or tip < 0 or tip > MAX_TIP_CENTS:
        raise ServiceError("The tip must be a positive whole number of cents.", code="tip_invalid")
    if tip and not invoice.allow_tip:
        raise ServiceError("This invoice does not accept tips.", code="tip_invalid")
    return amount


def record_acceptances(invoice: Invoice, required: list[Agreement], accepted: list[str],
                       ip: str | None, user_agent: str | None) -> None:
    """Every required agreement must be accepted; store who accepted what, when, from where."""
    given = {str(a) for a in accepted} if isinstance(accepted, list) else set()
    missing = [a.title for a in required if a.uuid not in given]
    if missing:
        raise ServiceError("Please accept: " + ", ".join(missing) + ".",
                           code="agreements_required")
    ip, user_agent = (ip or "")[:64] or None, (user_agent or "")[:500] or None
    # One statement; a retried attempt has accepted them already: kept, not doubled.
    _ACCEPT.later(*[{"invoice": invoice.id, "agreement": a.id, "version": a.version,
                     "ip": ip, "user_agent": user_agent} for a in required])


# ---- the flow ----------------------------------------------------------------------------

def _lock_query(where: Any, agreements: bool = False, slot: bool = True) -> Any:
    """The invoice, its booking, merchant and slot, and the seats others hold on the slot.

    One statement for the checks of ``pay`` and ``finalise``; on PostgreSQL it locks the
    invoice and booking rows (never the shared merchant or slot rows), and those come back
    as committed by any lock holder it waited for. ``held_seats`` counts other bookings,
    which no lock covers: as with a separate query, it is a reading, not a reservation.
    ``slot=False`` leaves out the slot and held seats (finalise checks no capacity).
    """
    query = Invoice.select(Invoice, Booking, Merchant).join(Booking).switch(Invoice).join(Merchant)
    if slot:
        query = (query.select_extend(Slot, held_seats(Booking.slot, Booking.id)
                                     .alias("held_seats"))
                 .switch(Booking).join(Slot, JOIN.LEFT_OUTER))
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


# Compiled once per database (statements.CompiledSelect); pay locks by whatever it is given,
# so a link or uuid costs no separate lookup first.
_LOCKS = {
    "id": CompiledSelect(lambda v: _lock_query(Invoice.id == v, agreements=True)),
    "token": CompiledSelect(lambda v: _lock_query(_live(Invoice.token, v), agreements=True)),
    "uuid": CompiledSelect(lambda v: _lock_query(_live(Invoice.uuid, v), agreements=True)),
}
_IDS = {
    "token": CompiledSelect(lambda v: Invoice.select(Invoice.id).where(_live(Invoice.token, v))),
    "uuid": CompiledSelect(lambda v: Invoice.select(Invoice.id).where(_live(Invoice.uuid, v))),
}
_LOCK_BY_UUID = CompiledSelect(lambda uuid: _lock_query(Invoice.uuid == uuid, slot=False))
# Never a subquery of the locking select: on PostgreSQL that reads the snapshot from
# before the lock wait, missing a payment the lock holder just recorded.
_PAYMENT_OF_INTENT = CompiledSelect(lambda intent_id: CustomerPayment.select().where(
    CustomerPayment.stripe_payment_intent_id == intent_id))
# The pay flow's writes, compiled once (statements.py).
_MARK_PENDING = compiled_update(
    Invoice, ["pending_intent_id", "pending_since", "pending_request", "updated_at"], ["id"])
_ACCEPT = compiled_insert(AgreementAcceptance, ignore_conflicts=True)
# ON CONFLICT DO NOTHING: a PaymentIntent already recorded inserts nothing (see finalise).
_INSERT_PAYMENT = compiled_insert(CustomerPayment, ignore_conflicts=True)
_SAVE_INVOICE_PAYMENT = compiled_update(
    Invoice, ["amount_paid_cents", "status", "paid_at", "pending_intent_id", "pending_since",
              "pending_request", "updated_at"], ["id"])
_SAVE_BOOKING_BALANCE = compiled_update(Booking, ["balance_cents", "status", "updated_at"],
                                        ["id"])


def lock_invoice(ref: InvoiceRef) -> tuple[Invoice, Booking, list[Agreement]]:
    """Inside locked_transaction: the invoice and its booking, locked together, and the
    agreements the booking requires. ``invoice.merchant``, ``booking.slot`` and
    ``invoice.held_seats`` come with them."""
    rows = list(_LOCKS[ref.column].rows(ref.value))
    if not rows:
        raise NotFound("No such invoice.")
    return rows[0], rows[0].booking, joined_agreements(rows)


def invoice_id_of(ref: InvoiceRef) -> int:
    if ref.column == "id":
        return ref.value
    found = _IDS[ref.column].first(ref.value)
    if found is None:
        raise NotFound("No such invoice.")
    return found.id


def pay(client: gateway.Client, invoice: int | InvoiceRef, request: PayRequest) -> PayResult:
    """Take one payment step for an invoice (its id, or an InvoiceRef); raises
    ServiceError subclasses on refusal."""
    ref = invoice if isinstance(invoice, InvoiceRef) else InvoiceRef("id", invoice)
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
            reason = unpayable_reason(invoice, booking, invoice.held_seats)
            if reason:
                raise Conflict(reason[1], code=reason[0])
            pause = cooldown_remaining(invoice)
            if pause:
                minutes = int(pause.total_seconds() // 60) + 1
                raise ServiceError(
                    f"Too many declined attempts. Please wait {minutes} minutes and try again.",
                    status=429, code="cooldown")
            pending = invoice.pending_intent_id
            if pending is None:
                amount = choose_amount(invoice, booking, request.amount_cents, request.tip_cents)
                record_acceptances(invoice, required, request.agreements, request.ip,
                                   request.user_agent)
                call = intent_call(invoice, booking, invoice.merchant, amount, request, attempt)
                now = utcnow()
                _MARK_PENDING.later({"pending_intent_id": ATTEMPT_PREFIX + attempt,
                                     "pending_since": now, "pending_request": call,
                                     "updated_at": now}, {"id": invoice_id})
                break
            if pending == ATTEMPT_PREFIX + attempt and invoice.pending_request:
                # The browser retries this very attempt (after a timeout): replay the same
                # call; the idempotency key makes Stripe answer with the first outcome.
                call = invoice.pending_request
                break
        settle_pending(client, invoice)
    else:
        raise Conflict(PENDING_MESSAGE, code="payment_pending")
    return send_intent(client, invoice_id, call)


def settle_pending(client: gateway.Client, invoice: Invoice) -> None:
    """Another attempt is pending: refuse while it may still charge, clear it once it cannot.

    Raises Conflict (the pending message) while the attempt is live; returns once it has
    been finalised, failed, or cleared, so the caller can look at the invoice again.
    """
    pending = invoice.pending_intent_id
    age = utcnow() - (invoice.pending_since or utcnow())
    if pending.startswith(ATTEMPT_PREFIX):
        if age <= STALE_ATTEMPT:
            raise Conflict(PENDING_MESSAGE, code="payment_pending")
        if not invoice.pending_request:
            clear_pending(invoice.id, pending)  # nothing was sent to Stripe
            return
        # Its outcome is unknown (a timeout or a crash): replaying the same call with the
        # same idempotency key returns what Stripe did, or does it now, exactly once.
        with suppress(PaymentDeclined):  # recorded on the invoice; this customer may go on
            send_intent(client, invoice.id, invoice.pending_request)
        return
    intent = client.v1.payment_intents.retrieve(pending, params={"expand": card_details.EXPAND})
    if intent.status == "requires_action" and age > ABANDONED_ACTION:
        intent = _cancel_abandoned(client, intent)
    if intent.status in LIVE_STATUSES:
        raise Conflict(PENDING_MESSAGE, code="payment_pending")
    if intent.status == "succeeded":
        finalise(intent)
    else:
        clear_pending(invoice.id, pending)  # canceled or failed: the customer may start again


def _cancel_abandoned(client: gateway.Client, intent: Any) -> Any:
    """A 3-D Secure challenge nobody finished: cancel it so the invoice can be paid again."""
    try:
        intent = client.v1.payment_intents.cancel(intent.id)
    except gateway.InvalidRequestError:
        intent = client.v1.payment_intents.retrieve(intent.id)  # finished meanwhile
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
        "description": f"{merchant.name}: {booking.activity} ({booking.confirmation_code})",
        "metadata": {
            "invoice_uuid": invoice.uuid, "booking_uuid": booking.uuid,
            "merchant_uuid": merchant.uuid, "amount_cents": str(amount),
            "tip_cents": str(request.tip_cents), "attempt_key": attempt,
        },
    }
    if request.return_url:
        params["return_url"] = request.return_url
    options: dict[str, Any] = {"idempotency_key": f"paylink-{invoice.uuid}-{attempt}"}
    if merchant.stripe_account:
        options["stripe_account"] = merchant.stripe_account
    return {"attempt": attempt, "params": params, "options": options}


def send_intent(client: gateway.Client, invoice_id: int, call: dict[str, Any]) -> PayResult:
    """Create and confirm the PaymentIntent of an attempt, and act on Stripe's answer."""
    marker = ATTEMPT_PREFIX + call["attempt"]
    try:
        intent = gateway.create_payment_intent(client, call["params"], call["options"])
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
    except gateway.StripeError as exc:
        clear_pending(invoice_id, marker)  # refused outright: nothing was charged
        event(log, "stripe refused", invoice_id=invoice_id, error=type(exc).__name__)
        raise ServiceError("The payment could not be started. Please re-enter your card.",
                           code="payment_error") from exc
    if intent.status != "succeeded":  # a success is logged once, as "payment finalised"
        event(log, "payment intent", invoice_id=invoice_id, intent=intent.id,
              status=intent.status)
    return _after_confirm(intent, invoice_id, marker)


def _after_confirm(intent: Any, invoice_id: int, marker: str) -> PayResult:
    if intent.status == "succeeded":
        return PayResult("succeeded", confirmation=finalise(intent))
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
    if not isinstance(intent_id, str) or not intent_id.startswith("pi_") or len(intent_id) > 64:
        raise ServiceError("Unknown payment.", code="payment_unknown")
    try:
        intent = client.v1.payment_intents.retrieve(
            intent_id, params={"expand": card_details.EXPAND})
    except gateway.InvalidRequestError as exc:
        raise NotFound("Unknown payment.", code="payment_unknown") from exc
    except gateway.UNAVAILABLE as exc:
        raise GatewayUnavailable("We could not reach the payment processor. Please try again.",
                                 code="gateway_unavailable") from exc
    verify_intent(intent, invoice)
    if intent.status == "succeeded":
        return PayResult("succeeded", confirmation=finalise(intent))
    if intent.status == "processing":
        return PayResult("processing")
    if intent.status == "requires_action":
        raise ServiceError("Authentication was not completed. Please try again.",
                           code="authentication_incomplete")
    return _after_confirm(intent, invoice_id, intent.id)


def _redirect_url(intent: Any) -> str | None:
    action = getattr(intent, "next_action", None)
    if action is not None and action.type == "redirect_to_url":
        return action.redirect_to_url.url
    return None


def verify_intent(intent: Any, invoice: Invoice) -> None:
    """A PaymentIntent only counts for the invoice, amount and currency it was made for."""
    metadata = _metadata(intent)
    try:
        amount = int(metadata.get("amount_cents", -1))
        tip = int(metadata.get("tip_cents", 0))
    except (TypeError, ValueError):
        amount, tip = -1, 0
    if (metadata.get("invoice_uuid") != invoice.uuid or intent.currency != invoice.currency
            or amount <= 0 or intent.amount != amount + tip):
        event(log, "payment intent mismatch", invoice=invoice.uuid, intent=intent.id)
        raise ServiceError("This payment does not belong to this invoice.",
                           code="payment_mismatch")


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


# ---- finalisation --------------------------------------------------------------------------

def finalise(intent: Any) -> dict[str, Any]:
    """Record a succeeded PaymentIntent exactly once; returns the confirmation.

    Called by the browser flow, the return URL and the webhook: the invoice row lock plus
    the unique PaymentIntent id on CustomerPayment make every caller after the first a no-op.
    """
    if intent.status != "succeeded":
        raise ServiceError("The payment has not succeeded.", code="payment_not_succeeded")
    metadata = _metadata(intent)
    with locked_transaction():
        invoice = _LOCK_BY_UUID.first(str(metadata.get("invoice_uuid")))
        if invoice is None:
            raise NotFound("Unknown invoice for this payment.", code="invoice_unknown")
        verify_intent(intent, invoice)
        booking = invoice.booking
        amount = int(metadata["amount_cents"])
        tip = int(metadata.get("tip_cents", 0))
        payment = CustomerPayment(
            uuid=new_uuid(), booking=booking, invoice=invoice, amount_cents=amount,
            tip_cents=tip, currency=intent.currency, stripe_payment_intent_id=intent.id,
            stripe_charge_id=_charge_id(intent), confirmation_number=random_code(10, "P-"),
            created_at=utcnow(),
        )
        payment.card_brand, payment.card_last4 = card_details.card_details(intent)
        if not _INSERT_PAYMENT(payment.__data__):
            # Recorded already: by a finaliser that held the lock before us (browser, return
            # URL and webhooks all come here). Our own statement sees its committed row.
            existing = _PAYMENT_OF_INTENT.first(intent.id)
            if existing is None:  # a random confirmation number clashed: vanishingly rare
                raise GatewayUnavailable("Please try again.", code="finalise_retry")
            return confirmation(existing, booking)
        now = utcnow()
        invoice.amount_paid_cents += amount
        if invoice.due_cents <= 0 or booking.balance_cents - amount <= 0:
            invoice.status, invoice.paid_at = "paid", now
        # This payment's own attempt (by PaymentIntent or by attempt key) is over.
        own = (intent.id, ATTEMPT_PREFIX + metadata.get("attempt_key", ""))
        if invoice.pending_intent_id in own or invoice.status == "paid":
            invoice.pending_intent_id, invoice.pending_since = None, None
            invoice.pending_request = None
        invoice.updated_at = now
        _SAVE_INVOICE_PAYMENT.later(invoice.__data__, {"id": invoice.id})
        if amount > booking.balance_cents:
            event(log, "overpayment", booking=booking.uuid, intent=intent.id)
        booking.balance_cents -= amount
        confirmed_now = invoice.confirm_on_pay and booking.status in ("draft", "pending")
        if confirmed_now:
            booking.status = "confirmed"
        booking.updated_at = now
        _SAVE_BOOKING_BALANCE.later(booking.__data__, {"id": booking.id})
        queue_payment_messages(payment, invoice, booking, confirmed_now)
    event(log, "payment finalised", invoice=invoice.uuid, intent=intent.id, amount=amount)
    return confirmation(payment, booking)


def _metadata(intent: Any) -> dict[str, str]:
    # StripeObjects are not dicts in stripe-python 8+; to_dict gives plain values.
    return intent.metadata.to_dict() if intent.metadata else {}


def _charge_id(intent: Any) -> str | None:
    charge = getattr(intent, "latest_charge", None)
    if isinstance(charge, str):
        return charge
    return getattr(charge, "id", None)


def confirmation(payment: CustomerPayment, booking: Booking) -> dict[str, Any]:
    return {
        "confirmationNumber": payment.confirmation_number,
        "bookingConfirmationCode": booking.confirmation_code,
        "amountCents": payment.amount_cents,
        "tipCents": payment.tip_cents,
        "currency": payment.currency,
        "paymentIntent": payment.stripe_payment_intent_id,
        "bookingStatus": booking.status,
    }
