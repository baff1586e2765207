"""Money helpers: integer minor units in, Babel-formatted strings out."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import get_currency_precision


@lru_cache(maxsize=64)
def minor_units(currency: str) -> int:
    """Digits after the decimal point for a currency (2 for USD, 0 for JPY)."""
    return get_currency_precision(currency.upper())


def to_decimal(cents: int, currency: str) -> Decimal:
    return Decimal(cents).scaleb(-minor_units(currency))


@lru_cache(maxsize=64)
def _currency_format(locale: str) -> tuple[Locale, object]:
    # Parsing the locale and its pattern is most of format_currency's cost; do it once.
    parsed = Locale.parse(locale)
    return parsed, parsed.currency_formats["standard"]


@lru_cache(maxsize=8192)
def format_money(cents: int, currency: str, locale: str = "en_US") -> str:
    """e.g. 12345 usd en_US → '$123.45'; 12345 eur de_DE → '123,45 €' (Babel's rules).

    Cached: a pay page formats the same few prices over and over.
    """
    parsed, pattern = _currency_format(locale)
    return pattern.apply(to_decimal(cents, currency), parsed, currency=currency.upper(),
                         currency_digits=True, decimal_quantization=True)
