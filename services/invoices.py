"""Invoices: creation with the seed's preconditions, pay links, derived status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import Booking, Invoice
from services import tokens
from services.errors import ServiceError


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
    """An open invoice for all or part of a booking's balance."""
    if booking.status == "canceled":
        raise ServiceError("The booking is canceled; it cannot be invoiced.")
    if booking.balance_cents <= 0:
        raise ServiceError("The booking has no balance due.")
    amount = booking.balance_cents if amount_cents is None else amount_cents
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ServiceError("amount_cents must be an integer number of cents.")
    if amount <= 0:
        raise ServiceError("amount_cents must be greater than zero.")
    if amount > booking.balance_cents:
        raise ServiceError(
            f"amount_cents ({amount}) is more than the balance due ({booking.balance_cents})."
        )
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
    return f"{base_url.rstrip('/')}/pay/{pay_token(invoice, secret_key)}"


def invoice_for_token(token: str, secret_key: str, query: Any = None) -> Invoice | None:
    """The live (not deleted) invoice a pay-link token names; no query for a bad token."""
    nonce = tokens.unsign(secret_key, token)
    if nonce is None:
        return None
    query = query if query is not None else Invoice.select()
    return query.where(Invoice.token == nonce, Invoice.deleted_at.is_null()).first()


def rotate_token(invoice: Invoice) -> None:
    """New link for a re-opened invoice: every link sent before stops working."""
    invoice.token = tokens.new_nonce()
