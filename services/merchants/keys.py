"""Merchants and their API keys (stored hashed, compared in constant time)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from models import Merchant, transactional
from services.common import text

KEY_PREFIX = "pl_key_"


def hash_key(api_key: str) -> str:
    # Keys carry 256 random bits, so an unsalted fast hash cannot be brute-forced.
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_merchant(name: str, currency: str = "usd", locale: str = "en_US",
                    **fields: object) -> tuple[Merchant, str]:
    """Create a merchant; returns it and its API key (shown once, stored hashed)."""
    for field, value in (("name", name), ("currency", currency), ("locale", locale)):
        text.check(value, field)
    api_key = new_api_key()
    merchant = Merchant.create(
        name=name, currency=currency.lower(), locale=locale,
        api_key_hash=hash_key(api_key), api_key_prefix=api_key[:12], **fields,
    )
    return merchant, api_key


@transactional
def rotate_api_key(merchant: Merchant) -> str:
    api_key = new_api_key()
    merchant.api_key_hash = hash_key(api_key)
    merchant.api_key_prefix = api_key[:12]
    merchant.save()
    return api_key


def authenticate(api_key: str | None) -> Merchant | None:
    """The merchant owning this key, or None."""
    if not api_key or not api_key.startswith(KEY_PREFIX) or len(api_key) > 100:
        return None
    digest = hash_key(api_key)
    merchant = Merchant.get_or_none(Merchant.api_key_hash == digest)
    if merchant is None or not hmac.compare_digest(merchant.api_key_hash, digest):
        return None
    return merchant
