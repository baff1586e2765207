"""Keyset paging for the merchant API's lists: opaque cursors over row ids, page sizes."""

from __future__ import annotations

import base64

from services.common.errors import ServiceError

MAX_LIMIT = 100


def decode_cursor(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(base64.urlsafe_b64decode(raw.encode() + b"==").decode())
    except (ValueError, UnicodeDecodeError):
        raise ServiceError("cursor is not valid; use next_cursor from the last page.") from None


def encode_cursor(invoice_id: int) -> str:
    return base64.urlsafe_b64encode(str(invoice_id).encode()).decode().rstrip("=")


def page_limit(raw: str | None) -> int:
    if raw is None:
        return 20
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ServiceError(f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    return int(raw)
