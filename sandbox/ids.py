"""Ids shaped like Stripe's: a prefix and 24 random alphanumerics."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def rand(n: int = 24) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def new_id(prefix: str) -> str:
    return f"{prefix}_{rand()}"
