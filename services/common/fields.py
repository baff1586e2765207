"""Reading untrusted JSON fields: each helper returns a typed value or raises a 422 message.

Types are checked strictly (a JSON true is not a number, "12" is not an integer) so a
merchant's bug surfaces as a clear message instead of a surprising stored value.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any, Literal, overload

from services.common import text
from services.common.errors import ServiceError

MAX_CENTS = 100_000_000_00  # same ceiling as the cart
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
PHONE = re.compile(r"^\+?[0-9 ()\-.]{7,20}$")
_MISSING = object()


def body_object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ServiceError("The request body must be a JSON object.", status=400)
    return data


@overload
def string(data: dict[str, Any], name: str, *, required: Literal[True], max_length: int = ...,
           default: str | None = ..., multiline: bool = ...) -> str: ...
@overload
def string(data: dict[str, Any], name: str, *, required: bool = ..., max_length: int = ...,
           default: str | None = ..., multiline: bool = ...) -> str | None: ...
def string(data: dict[str, Any], name: str, *, required: bool = False, max_length: int = 200,
           default: str | None = None, multiline: bool = False) -> str | None:
    """A string field, stripped; single-line unless ``multiline`` (services.text's rule)."""
    value = data.get(name, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise ServiceError(f"{name} is required.", field=name)
        return default
    if not isinstance(value, str):
        raise ServiceError(f"{name} must be a string.", field=name)
    value = text.check(value.strip(), name, multiline=multiline)
    if required and not value:
        raise ServiceError(f"{name} must not be empty.", field=name)
    if len(value) > max_length:
        raise ServiceError(f"{name} must be at most {max_length} characters.", field=name)
    return value or None


def integer(data: dict[str, Any], name: str, *, required: bool = False, minimum: int = 0,
            maximum: int = MAX_CENTS, default: int | None = None) -> int | None:
    value = data.get(name)
    if value is None:
        if required:
            raise ServiceError(f"{name} is required.", field=name)
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ServiceError(f"{name} must be an integer.", field=name)
    if value < minimum or value > maximum:
        raise ServiceError(f"{name} must be between {minimum} and {maximum}.", field=name)
    return value


def boolean(data: dict[str, Any], name: str, default: bool = False) -> bool:
    value = data.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ServiceError(f"{name} must be true or false.", field=name)
    return value


def choice(data: dict[str, Any], name: str, options: tuple[str, ...],
           default: str | None = None) -> str | None:
    value = string(data, name, default=default, max_length=32)
    if value is not None and value not in options:
        raise ServiceError(f"{name} must be one of: {', '.join(options)}.", field=name)
    return value


def iso_date(data: dict[str, Any], name: str, *, required: bool = False) -> date | None:
    value = string(data, name, required=required, max_length=10)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ServiceError(f"{name} must be a date like 2030-06-01.", field=name) from None


def hh_mm(data: dict[str, Any], name: str) -> time | None:
    value = string(data, name, max_length=5)
    if value is None:
        return None
    if not re.fullmatch(r"\d{2}:\d{2}", value):
        raise ServiceError(f"{name} must be a time like 09:30.", field=name)
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ServiceError(f"{name} must be a time like 09:30.", field=name) from None


def parse_datetime(value: str, name: str) -> datetime:
    """ISO 8601; an offset is converted to naive UTC, a naive value is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ServiceError(f"{name} must be an ISO 8601 date-time.", field=name) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def iso_datetime(data: dict[str, Any], name: str) -> datetime | None:
    value = string(data, name, max_length=40)
    return None if value is None else parse_datetime(value, name)


def email(value: str | None, name: str = "email") -> str | None:
    # The text rule first: `$` in EMAIL and PHONE also matches before a final newline.
    if value is not None and (text.problem(value) or not EMAIL.match(value)):
        raise ServiceError(f"{name} is not a valid email address.", field=name)
    return value


def phone(value: str | None, name: str = "phone") -> str | None:
    if value is not None and (text.problem(value) or not PHONE.match(value)):
        raise ServiceError(f"{name} is not a valid phone number.", field=name)
    return value


def isoformat(value: datetime | date | time | None) -> str | None:
    """UTC date-times get a Z so clients never guess the zone."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value.isoformat()
