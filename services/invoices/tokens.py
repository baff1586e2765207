"""Pay-link tokens: a random nonce signed with itsdangerous.

The signature is checked before any database query, so a random, truncated or
tampered token costs no lookup and is a plain 404. The nonce is stored on the
invoice (unique); rotating it invalidates every link sent before.
"""

from __future__ import annotations

import hmac
import secrets
from functools import lru_cache

from itsdangerous import BadData, BadSignature, TimestampSigner, URLSafeSerializer
from itsdangerous.encoding import base64_decode, base64_encode

SALT = "paylink.pay-link"


def new_nonce() -> str:
    """128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


@lru_cache(maxsize=8)
def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def sign(secret_key: str, nonce: str) -> str:
    return _serializer(secret_key).dumps(nonce)


def unsign(secret_key: str, token: str) -> str | None:
    """The nonce inside a genuine token, or None for anything else."""
    if not token or len(token) > 200:
        return None
    try:
        nonce = _serializer(secret_key).loads(token)
    except BadSignature:
        return None
    # Base64 ignores a last character's spare bits, so a changed character can still
    # verify; only the canonical spelling of a token is accepted.
    if not isinstance(nonce, str) or not _canonical(token.split(".")):
        return None
    return nonce


def _canonical(parts: list[str]) -> bool:
    """Each base64 part is spelled the one way its bytes encode (no spare bits set)."""
    try:
        return all(base64_encode(base64_decode(part)).decode() == part for part in parts)
    except BadData:  # undecodable base64
        return False


def redact(token: str) -> str:
    """A loggable stand-in for a token: enough to correlate, useless to pay."""
    return token[:6] + "…" if token else ""


CSRF_SALT = "paylink.pay-csrf"
CSRF_MAX_AGE = 4 * 3600


@lru_cache(maxsize=8)
def _csrf_signer(secret_key: str) -> TimestampSigner:
    return TimestampSigner(secret_key, salt=CSRF_SALT)


def make_csrf(secret_key: str, nonce: str) -> str:
    """A short-lived token bound to one pay link: the pay flow needs no cookie."""
    return _csrf_signer(secret_key).sign(nonce).decode()


def check_csrf(secret_key: str, nonce: str, value: str | None,
               max_age: int = CSRF_MAX_AGE) -> bool:
    if not value or not isinstance(value, str) or len(value) > 200:
        return False
    try:
        signed = _csrf_signer(secret_key).unsign(value, max_age=max_age)
    except BadSignature:  # SignatureExpired is a BadSignature
        return False
    # As with pay links: only the canonical base64 spelling of the signed parts counts.
    if not _canonical(value.rsplit(".", 2)[1:]):
        return False
    return hmac.compare_digest(signed.decode(), nonce)
