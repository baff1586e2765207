"""Invoices: creation with the seed's preconditions, pay links, derived status."""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import datetime
from functools import reduce
from typing import Any, TypeVar

from peewee import Value

from models import Booking, Invoice, for_update, locked_transaction, utcnow
from services import fields, text, tokens
from services.errors import Conflict, NotFound, ServiceError
from services.notifications import queue_invoice_message
from services.payments import PENDING_MESSAGE
from services.urls import absolute_url

Found = TypeVar("Found")

SEND_TYPES = ("email", "sms")
MAX_MEMO = 2000


def create_invoice(
    booking: Booking,
    amount_cents: int | None = None,
    *,
    confirm_on_pay: bool = False,
    send_type: str = "email",
    send_to_email_override: str | None = None,
    memo: str | None = None,
    allow_partial: bool = False,
    min_partial_cents: int | None = None,
    allow_tip: bool = False,
    expires_at: datetime | None = None,
) -> Invoice:
    """An open invoice for all or part of a booking's balance (422 when a rule says no)."""
    if booking.status == "canceled":
        raise ServiceError("The booking is canceled; it cannot be invoiced.")
    if booking.balance_cents <= 0:
        raise ServiceError("The booking has no balance due.")
    amount = booking.balance_cents if amount_cents is None else amount_cents
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ServiceError("amount_cents must be an integer number of cents.",
                           field="amount_cents")
    if amount <= 0:
        raise ServiceError("amount_cents must be greater than zero.", field="amount_cents",
                           code="amount_not_positive")
    if amount > booking.balance_cents:
        raise ServiceError(
            f"amount_cents ({amount}) is more than the balance due ({booking.balance_cents}).",
            field="amount_cents", code="amount_over_balance")
    fields.email(send_to_email_override, "send_to_email_override")
    validate_delivery(booking, send_type, send_to_email_override)
    text.check_optional(memo, "memo", multiline=True)
    if memo is not None and len(memo) > MAX_MEMO:
        raise ServiceError(f"memo must be at most {MAX_MEMO} characters.", field="memo")
    if min_partial_cents is not None and not allow_partial:
        raise ServiceError("min_partial_cents needs allow_partial.")
    if min_partial_cents is not None and not 0 < min_partial_cents <= amount:
        raise ServiceError("min_partial_cents must be between 1 and amount_cents.")
    if expires_at is not None and expires_at <= utcnow():
        raise ServiceError("expires_at must be in the future.")
    return Invoice.create(
        merchant=booking.merchant_id, booking=booking, token=tokens.new_nonce(),
        amount_cents=amount, currency=booking.merchant.currency,
        confirm_on_pay=confirm_on_pay, send_type=send_type,
        send_to_email_override=send_to_email_override, memo=memo,
        allow_partial=allow_partial, min_partial_cents=min_partial_cents,
        allow_tip=allow_tip, expires_at=expires_at,
    )


def pay_token(invoice: Invoice, secret_key: str) -> str:
    return tokens.sign(secret_key, invoice.token)


def pay_url(invoice: Invoice, secret_key: str, base_url: str) -> str:
    return absolute_url(base_url, f"/pay/{pay_token(invoice, secret_key)}")


def invoice_for_token(token: str, secret_key: str,
                      find: Callable[[str], Found | None] | None = None
                      ) -> Invoice | Found | None:
    """The live (not deleted) invoice a pay-link token names; no query for a bad token.

    ``find`` looks a verified nonce up instead (the pay page passes its page lookup).
    """
    nonce = tokens.unsign(secret_key, token)
    if nonce is None:
        return None
    if find is not None:
        return find(nonce)
    return Invoice.select().where(Invoice.token == nonce, Invoice.deleted_at.is_null()).first()


def invoice_uuid_for_token(token: str, secret_key: str) -> str | None:
    """The uuid of the invoice a genuine pay-link token names (deleted ones too); no query
    for a bad token."""
    nonce = tokens.unsign(secret_key, token)
    if nonce is None:
        return None
    return Invoice.select(Invoice.uuid).where(Invoice.token == nonce).scalar()


def rotate_token(invoice: Invoice) -> None:
    """New link for a re-opened invoice: every link sent before stops working."""
    invoice.token = tokens.new_nonce()


# ---- lifecycle (merchant API) ---------------------------------------------------------------

# The Stax lifecycle, most final state first: an invoice has the first status whose
# conditions all hold. Stax: DRAFT (not sent) → SENT → VIEWED → ATTEMPTED (a failed try)
# → PARTIALLY_PAID → PAID; DELETED is soft. A refund lowers amount_paid_cents, so the
# status falls back (paid → partially_paid → viewed/sent) and the invoice takes payments
# again. One table for both readings: stax_status (a row) and status_filter (SQL).
STAX_RULES: tuple[tuple[str, tuple[tuple[str, str, Any], ...]], ...] = (
    ("deleted", (("deleted_at", "is not", None),)),
    ("closed", (("status", "==", "closed"),)),
    ("paid", (("status", "==", "paid"),)),
    ("partially_paid", (("amount_paid_cents", ">", 0),)),
    ("attempted", (("failed_attempts", ">", 0),)),
    ("viewed", (("viewed_at", "is not", None),)),
    ("sent", (("sent_at", "is not", None),)),
    ("draft", ()),
)
# The same statuses in lifecycle order, as the API documents them.
STAX_STATUSES = ("draft", "sent", "viewed", "attempted", "partially_paid", "paid", "closed",
                 "deleted")
_TESTS = {"==": operator.eq, ">": operator.gt, "is not": operator.is_not}


def stax_status(invoice: Invoice) -> str:
    """The invoice's Stax status (STAX_RULES)."""
    for name, conditions in STAX_RULES:
        if all(_TESTS[test](getattr(invoice, field), value)
               for field, test, value in conditions):
            return name
    raise AssertionError("STAX_RULES ends with a rule that always holds")


def status_filter(status: str) -> Any:
    """SQL for one Stax status: its conditions hold, and no earlier rule's all do."""
    def holds(conditions: tuple[tuple[str, str, Any], ...]) -> Any:
        parts = [_TESTS[test](getattr(Invoice, field), value) if test != "is not"
                 else getattr(Invoice, field).is_null(False)
                 for field, test, value in conditions]
        return reduce(operator.and_, parts) if parts else Value(True)

    where: Any = Value(True)
    for name, conditions in STAX_RULES:
        if name == status:
            return where & holds(conditions)
        where = where & ~holds(conditions)
    raise ValueError(f"unknown status {status!r}")


def validate_delivery(booking: Booking, send_type: str, override: str | None) -> None:
    """The seed's preconditions: an address the chosen channel can reach."""
    if send_type not in SEND_TYPES:
        raise ServiceError("send_type must be email or sms.", field="send_type")
    customer = booking.customer
    if send_type == "email":
        address = override or customer.email
        if not address or not fields.EMAIL.match(address):
            raise ServiceError("The customer has no valid email address; set customer.email or "
                               "send_to_email_override.", field="send_to_email_override")
    elif not customer.phone or not fields.PHONE.match(customer.phone):
        raise ServiceError("The customer has no valid phone number for SMS.",
                           field="send_type")


def _locked(invoice: Invoice) -> Invoice:
    return for_update(Invoice.select().where(Invoice.id == invoice.id)).get()


def _require_live(invoice: Invoice, action: str) -> None:
    if invoice.deleted_at is not None:
        raise NotFound("No such invoice.")
    if invoice.status != "open":
        raise Conflict(f"The invoice is {invoice.status}; it cannot be {action}.")
    if invoice.pending_intent_id:
        raise Conflict(PENDING_MESSAGE, code="payment_pending")


def send_invoice(invoice: Invoice, *, resend: bool = False) -> Invoice:
    """Queue the invoice email or SMS (same link); sent_at is set when it is delivered."""
    with locked_transaction():
        invoice = _locked(invoice)
        if invoice.deleted_at is not None:
            raise NotFound("No such invoice.")
        if invoice.status != "open":
            raise Conflict(f"The invoice is {invoice.status}; there is nothing to send.")
        if invoice.sent_at is not None and not resend:
            raise Conflict("The invoice was already sent; use resend.")
        booking = invoice.booking
        if booking.status == "canceled":
            raise Conflict("The booking is canceled; the invoice cannot be sent.")
        validate_delivery(booking, invoice.send_type, invoice.send_to_email_override)
        queue_invoice_message(invoice, resend=resend)
    return invoice


def close_invoice(invoice: Invoice, now: datetime | None = None) -> Invoice:
    """Stop the link taking payments; closing twice is a no-op."""
    with locked_transaction():
        invoice = _locked(invoice)
        if invoice.status == "closed" and invoice.deleted_at is None:
            return invoice
        _require_live(invoice, "closed")
        invoice.status, invoice.closed_at = "closed", now or utcnow()
        invoice.updated_at = invoice.closed_at
        invoice.save()
    return invoice


def reopen_invoice(invoice: Invoice, expires_at: datetime | None = None) -> Invoice:
    """A closed invoice takes payments again under a new link (every old link dies)."""
    with locked_transaction():
        invoice = _locked(invoice)
        if invoice.deleted_at is not None:
            raise NotFound("No such invoice.")
        if invoice.status != "closed":
            raise Conflict(f"The invoice is {invoice.status}; only a closed one can reopen.")
        booking = invoice.booking
        if booking.status == "canceled":
            raise Conflict("The booking is canceled; the invoice cannot reopen.")
        if booking.balance_cents <= 0 or invoice.due_cents <= 0:
            raise ServiceError("Nothing is due; the invoice cannot reopen.")
        now = utcnow()
        if expires_at is not None and expires_at <= now:
            raise ServiceError("expires_at must be in the future.")
        if expires_at is None and invoice.expires_at is not None and invoice.expires_at <= now:
            invoice.expires_at = None  # a stale deadline would close it again at once
        elif expires_at is not None:
            invoice.expires_at = expires_at
        invoice.status, invoice.closed_at, invoice.updated_at = "open", None, now
        rotate_token(invoice)
        invoice.save()
    return invoice


def delete_invoice(invoice: Invoice) -> Invoice:
    """Soft delete: the link 404s, the record stays for the merchant's books."""
    with locked_transaction():
        invoice = _locked(invoice)
        if invoice.deleted_at is not None:
            return invoice
        if invoice.pending_intent_id:
            raise Conflict(PENDING_MESSAGE, code="payment_pending")
        if invoice.amount_paid_cents > 0:
            raise Conflict("The invoice has payments; close it (or refund them) instead.")
        invoice.deleted_at = invoice.updated_at = utcnow()
        invoice.save()
    return invoice
