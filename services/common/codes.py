"""Human-friendly random codes (booking confirmation codes, payment numbers)."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L: codes are read aloud over the phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def random_code(length: int = 8, prefix: str = "") -> str:
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(length))
