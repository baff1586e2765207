"""Merchant console users: argon2 password hashes, sign-in, the session's proof of login.

A user belongs to exactly one merchant; everything the console shows is scoped to it.
"""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from peewee import IntegrityError

from models import Merchant, MerchantUser, transactional, utcnow
from services.common import fields, text
from services.common.errors import ServiceError

MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 takes any length; a bound keeps a huge body from costing CPU
_hasher = PasswordHasher()
# Verified when the email is unknown, so a miss costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("paylink-console-dummy-password")


def normalize_email(raw: str | None) -> str:
    return (raw or "").strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ServiceError(f"The password must have at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise ServiceError(f"The password must have at most {MAX_PASSWORD} characters.")


@transactional
def create_user(merchant: Merchant, email: str, password: str) -> MerchantUser:
    """A console user for this merchant (422 for a bad email or short password, 409 taken)."""
    address = normalize_email(email)
    if not fields.EMAIL.match(address) or len(address) > 254:
        raise ServiceError(f"{email!r} is not a valid email address.")
    check_password_rules(password)
    try:
        return MerchantUser.create(merchant=merchant, email=address,
                                   password_hash=hash_password(password))
    except IntegrityError:
        raise ServiceError(f"A console user {address} already exists.", status=409) from None


@transactional
def set_password(user: MerchantUser, password: str) -> None:
    check_password_rules(password)
    user.password_hash = hash_password(password)
    user.save()


def authenticate(email: str | None, password: str | None) -> MerchantUser | None:
    """The user these credentials name, or None; records last_login_at on success."""
    address = normalize_email(email)
    password = password or ""
    valid = address and text.problem(address) is None  # NUL would break PostgreSQL's query
    user = MerchantUser.get_or_none(MerchantUser.email == address) if valid else None
    if len(password) > MAX_PASSWORD:
        return None
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)  # parameters were raised since
    user.last_login_at = utcnow()
    user.save()
    return user


def session_proof(user: MerchantUser, secret_key: str) -> str:
    """Bound to the password hash: changing the password signs out every other session."""
    return hmac.new(secret_key.encode(), user.password_hash.encode(), hashlib.sha256).hexdigest()


def user_for_session(user_id: object, proof: object, secret_key: str) -> MerchantUser | None:
    """The signed-in user a session names, if its proof still matches."""
    if not isinstance(user_id, int) or not isinstance(proof, str):
        return None
    user = MerchantUser.get_or_none(MerchantUser.id == user_id)
    if user is None or not hmac.compare_digest(session_proof(user, secret_key), proof):
        return None
    return user
