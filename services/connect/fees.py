"""The platform fee: a percent of the booking part of a charge plus fixed cents.

The tip carries no fee: it is the customer's gift to the merchant's staff, passed on whole;
a platform taking a cut of gratuities is what tip rules forbid in many places, and the fee
pays for the booking the platform brought. The fee is never above the charge itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app, has_app_context

from models import Merchant
from services.common.errors import ServiceError

MAX_PERCENT_BP = 10_000  # 100 %


@dataclass(frozen=True)
class FeeRule:
    percent_bp: int = 0  # basis points: 250 = 2.5 %
    fixed_cents: int = 0
    source: str = "default"  # default (environment) | merchant (override)

    def as_json(self) -> dict[str, Any]:
        return {"percentBasisPoints": self.percent_bp, "percent": percent_text(self),
                "fixedCents": self.fixed_cents, "source": self.source}


def percent_text(rule: FeeRule) -> str:
    """250 → "2.5", 1000 → "10" (never an exponent)."""
    text = f"{Decimal(rule.percent_bp) / 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_percent(raw: Any, field: str = "percent") -> int:
    """ "2.5" → 250 basis points; 0 to 100, at most two decimals."""
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ServiceError(f"{field} must be a number such as 2.5.", field=field) from None
    bp = value * 100
    if not value.is_finite() or bp != bp.to_integral_value() or not 0 <= bp <= MAX_PERCENT_BP:
        raise ServiceError(f"{field} must be between 0 and 100 with at most two decimals.",
                           field=field)
    return int(bp)


def check_fixed(raw: Any, field: str = "fixed_cents") -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ServiceError(f"{field} must be a whole number of cents, 0 or more.", field=field)
    return raw


def default_rule() -> FeeRule:
    """The operator's default from PAYLINK_PLATFORM_FEE_PERCENT / _FIXED_CENTS."""
    if not has_app_context():
        return FeeRule()
    config = current_app.config
    return FeeRule(parse_percent(config.get("PAYLINK_PLATFORM_FEE_PERCENT", "0"),
                                 "PAYLINK_PLATFORM_FEE_PERCENT"),
                   check_fixed(int(config.get("PAYLINK_PLATFORM_FEE_FIXED_CENTS", 0)),
                               "PAYLINK_PLATFORM_FEE_FIXED_CENTS"))


def rule_for(merchant: Merchant) -> FeeRule:
    """The merchant's override when it has one, else the default."""
    if merchant.platform_fee_percent_bp is None and merchant.platform_fee_fixed_cents is None:
        return default_rule()
    return FeeRule(merchant.platform_fee_percent_bp or 0, merchant.platform_fee_fixed_cents or 0,
                   "merchant")


def fee_cents(rule: FeeRule, amount_cents: int, tip_cents: int = 0) -> int:
    """The application fee of one charge of ``amount_cents`` (booking part) + ``tip_cents``:
    the percent rounded half up, plus the fixed part, capped at the whole charge."""
    percent = (amount_cents * rule.percent_bp + 5_000) // 10_000
    return max(min(percent + rule.fixed_cents, amount_cents + tip_cents), 0)


def set_override(merchant: Merchant, percent: Any | None, fixed_cents: int | None) -> FeeRule:
    """The per-merchant override (CLI); both None clears it back to the default."""
    merchant.platform_fee_percent_bp = None if percent is None else parse_percent(percent)
    merchant.platform_fee_fixed_cents = None if fixed_cents is None else check_fixed(
        fixed_cents)
    merchant.save(only=[Merchant.platform_fee_percent_bp, Merchant.platform_fee_fixed_cents])
    return rule_for(merchant)
