"""Invoice lifecycle: create with the seed's preconditions, send, close, reopen, delete."""

from __future__ import annotations

from datetime import datetime

from models import SEND_TYPES, Booking, Invoice, for_update, locked_transaction, utcnow
from services.common import fields, text
from services.common.errors import Conflict, NotFound, ServiceError
from services.connect.accounts import connect_enabled, require_chargeable
from services.invoices import tokens
from services.invoices.links import rotate_token
from services.messaging.notifications import queue_invoice_message
from services.payments.rules import PENDING_MESSAGE

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
    due_at: datetime | None = None,
    check_account: bool = True,
) -> Invoice:
    """An open invoice for all or part of a booking's balance (422 when a rule says no).
    ``check_account=False``: seed-demo only, which seeds without Stripe reachable."""
    if check_account and connect_enabled():  # 409: no account that can take charges
        require_chargeable(booking.merchant)
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
    if due_at is not None and due_at <= utcnow():
        raise ServiceError("due_at must be in the future.", field="due_at")
    return Invoice.create(
        merchant=booking.merchant_id, booking=booking, token=tokens.new_nonce(),
        amount_cents=amount, currency=booking.merchant.currency,
        confirm_on_pay=confirm_on_pay, send_type=send_type,
        send_to_email_override=send_to_email_override, memo=memo,
        allow_partial=allow_partial, min_partial_cents=min_partial_cents,
        allow_tip=allow_tip, expires_at=expires_at, due_at=due_at,
    )

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
        if connect_enabled():
            require_chargeable(invoice.merchant)
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
