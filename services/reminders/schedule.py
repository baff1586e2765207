"""A merchant's reminder schedule: offsets in days from an invoice's due date."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime

from models import Customer, Merchant
from services.common.errors import ServiceError

# Three days before, on the day, two days after: what Rezdy-style tools send by default.
DEFAULT_REMINDERS = (-3, 0, 2)
MAX_REMINDERS = 5
MAX_OFFSET_DAYS = 60
QUIET_START, QUIET_END = 21, 9  # no SMS from 21:00 to 09:00 in the customer's zone


def offsets(merchant: Merchant) -> list[int]:
    """The merchant's schedule, earliest first (its own, or the default)."""
    chosen = DEFAULT_REMINDERS if merchant.reminders is None else merchant.reminders
    return sorted(int(o) for o in chosen)


def parse_reminders(raw: Any, field: str = "reminders") -> list[int]:
    """At most 5 distinct whole-day offsets within ±60 days; [] turns reminders off."""
    if not isinstance(raw, list) or len(raw) > MAX_REMINDERS:
        raise ServiceError(f"{field} must be a list of at most {MAX_REMINDERS} day offsets "
                           "from the due date, like [-3, 0, 2].", field=field)
    for value in raw:
        if isinstance(value, bool) or not isinstance(value, int) or not (
                -MAX_OFFSET_DAYS <= value <= MAX_OFFSET_DAYS):
            raise ServiceError(f"{field}: each offset is a whole number of days from "
                               f"-{MAX_OFFSET_DAYS} to {MAX_OFFSET_DAYS}.", field=field)
    if len(set(raw)) != len(raw):
        raise ServiceError(f"{field}: each offset may appear once.", field=field)
    return sorted(raw)


def zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def time_zone(name: str | None, field: str) -> str | None:
    """An IANA zone name like Europe/Berlin (or None), refused when unknown."""
    if name is not None and zone(name) is None:
        raise ServiceError(f"{field} must be an IANA time zone like Europe/Berlin.",
                           field=field)
    return name


def customer_zone(customer: Customer, merchant: Merchant) -> ZoneInfo:
    """The customer's zone when known, else the merchant's, else UTC."""
    return zone(customer.timezone) or zone(merchant.timezone) or ZoneInfo("UTC")


def send_time(due_at: datetime, offset_days: int) -> datetime:
    return due_at + timedelta(days=offset_days)


def quiet(now: datetime, tz: ZoneInfo) -> bool:
    """Inside the night in that zone (naive UTC ``now``)."""
    hour = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).hour
    return hour >= QUIET_START or hour < QUIET_END


def due_text(due_at: datetime, tz: ZoneInfo, locale: str) -> str:
    """"Due by" text: the date and time in that zone and locale, with the zone's name."""
    return format_datetime(due_at.replace(tzinfo=ZoneInfo("UTC")), "medium", tzinfo=tz,
                           locale=locale) + f" ({tz.key})"
