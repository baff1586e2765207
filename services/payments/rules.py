"""Payment rules: what may be paid, how much, by whom; the shapes of a pay request.

Every check the pay page, ``pay`` and ``finalise`` share lives here, once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from models import (
    Agreement,
    AgreementAcceptance,
    Booking,
    Invoice,
    utcnow,
)
from runtime.logs import event
from services.bookings.records import slot_available
from services.common.errors import ServiceError
from services.connect.accounts import UNAVAILABLE_MESSAGE, refusal
from services.schemas import requests
from services.schemas.base import check

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
# What a PaymentIntent id looks like; anything else never reaches Stripe (or the database).
INTENT_ID = re.compile(requests.INTENT_SHAPE)
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
        """The seed client's field names (schemas.requests.PayBody); malformed is a 422."""
        body = check(requests.PayBody, data, code="bad_request")
        return cls(
            confirmation_token=body.stripeConfirmationToken, agreements=body.agreements or [],
            handled_next_action=body.handledNextAction, attempt_key=body.attemptKey,
            amount_cents=body.amountCents, tip_cents=body.tipCents or 0, **context,
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
    if refusal(invoice.merchant):  # Connect: no account that can take charges
        return "unavailable", UNAVAILABLE_MESSAGE
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

def other_pending(invoice: Invoice, booking: Booking) -> Invoice | None:
    """Another invoice of this booking with a payment in flight, or None.

    The balance lives on the booking, so one payment at a time per booking: the caller
    holds the booking's row lock (lock_invoice), and every payer of every invoice of the
    booking passes here first.
    """
    return (Invoice.select().where(Invoice.booking == booking.id, Invoice.id != invoice.id,
                                   Invoice.pending_intent_id.is_null(False)).first())

def verify_intent(intent: Any, invoice: Invoice) -> None:
    """A PaymentIntent only counts for the invoice, amount and currency it was made for."""
    metadata = intent_metadata(intent)
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

def intent_metadata(intent: Any) -> dict[str, str]:
    # StripeObjects are not dicts in stripe-python 8+; to_dict gives plain values.
    return intent.metadata.to_dict() if intent.metadata else {}
