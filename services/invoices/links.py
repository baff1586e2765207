"""Pay links: the signed token of an invoice, its URL, and the invoice a token names."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from models import Invoice
from services.common.urls import absolute_url
from services.invoices import tokens

Found = TypeVar("Found")


def pay_token(invoice: Invoice, secret_key: str) -> str:
    return tokens.sign(secret_key, invoice.token)


def pay_url(invoice: Invoice, secret_key: str, base_url: str, lang: str | None = None) -> str:
    """The invoice's pay link; ``lang`` (a locale tag) opens it in the customer's language."""
    path = f"/pay/{pay_token(invoice, secret_key)}"
    return absolute_url(base_url, f"{path}?lang={lang}" if lang else path)


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
