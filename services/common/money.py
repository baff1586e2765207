"""Money helpers: integer minor units in, Babel-formatted strings out."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision


def minor_units(currency: str) -> int:
    """Digits after the decimal point for a currency (2 for USD, 0 for JPY)."""
    return get_currency_precision(currency.upper())


def to_decimal(cents: int, currency: str) -> Decimal:
    return Decimal(cents).scaleb(-minor_units(currency))


@lru_cache(maxsize=8192)  # a pure function of its arguments; a page formats a dozen amounts
def format_money(cents: int, currency: str, locale: str = "en_US") -> str:
    """e.g. 12345 usd en_US → '$123.45'; 12345 eur de_DE → '123,45 €' (Babel's rules)."""
    return format_currency(to_decimal(cents, currency), currency.upper(), locale=locale)
