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
from services import card_details, gateway, text
from services.bookings import joined_agreements, slot_available
from services.codes import random_code
from services.errors import Conflict, NotFound, ServiceError
from services.money import format_money
from services.notifications import queue_payment_messages
from services.outbox import enqueue
from services.refunds import refund_excess

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
# What Stripe's ids look like; anything else never reaches Stripe (or the database).
CONFIRMATION_TOKEN = re.compile(r"^ctoken_[A-Za-z0-9_]{1,200}$")
INTENT_ID = re.compile(r"^pi_[A-Za-z0-9_]{1,60}$")
# Stripe's limits on a PaymentIntent's description and metadata values.
DESCRIPTION_MAX, METADATA_MAX = 1000, 500
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
        for key, shape in (("stripeConfirmationToken", CONFIRMATION_TOKEN),
                           ("handledNextAction", INTENT_ID)):
            value = texts[key]
            if value is not None and not shape.match(value):
                raise ServiceError(f"{key} is not a Stripe id.", code="bad_request")
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


class AttemptRefused(ServiceError):
    """Stripe (or the SDK) refused the call outright: nothing charged, the attempt cleared."""


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
    if not required:
        return
    # A retried attempt has accepted them already: kept, not doubled.
    AgreementAcceptance.insert_many([
        {"invoice": invoice.id, "agreement": a.id, "version": a.version, "ip": ip,
         "user_agent": user_agent, "accepted_at": utcnow()} for a in required
    ]).on_conflict_ignore().execute()


# ---- the flow ----------------------------------------------------------------------------

def _lock_query(where: Any, agreements: bool = False, slot: bool = True) -> Any:
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
    rows = list(_lock_query(where, agreements=True))
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


def other_pending(invoice: Invoice, booking: Booking) -> Invoice | None:
    """Another invoice of this booking with a payment in flight, or None.

    The balance lives on the booking, so one payment at a time per booking: the caller
    holds the booking's row lock (lock_invoice), and every payer of every invoice of the
    booking passes here first.
    """
    return (Invoice.select().where(Invoice.booking == booking.id, Invoice.id != invoice.id,
                                   Invoice.pending_intent_id.is_null(False)).first())


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
    intent = client.v1.payment_intents.retrieve(pending, params={"expand": card_details.EXPAND})
    if intent.status == "requires_action" and age > ABANDONED_ACTION:
        intent = _cancel_abandoned(client, intent)
    if intent.status in LIVE_STATUSES:
        raise Conflict(PENDING_MESSAGE, code="payment_pending")
    if intent.status == "succeeded":
        finalise(intent, client)
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
    options: dict[str, Any] = {"idempotency_key": f"paylink-{invoice.uuid}-{attempt}"}
    if merchant.stripe_account:
        options["stripe_account"] = merchant.stripe_account
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
    metadata = _metadata(intent)
    with locked_transaction():
        invoice = _lock_query(Invoice.uuid == str(metadata.get("invoice_uuid")),
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


def _metadata(intent: Any) -> dict[str, str]:
    # StripeObjects are not dicts in stripe-python 8+; to_dict gives plain values.
    return intent.metadata.to_dict() if intent.metadata else {}


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
