"""The booking cart: line items, fees, discounts and taxes, all in integer cents."""

from __future__ import annotations

from typing import Any

from services.common import text
from services.common.errors import ServiceError

SECTIONS = ("line_items", "fees", "discounts", "taxes")
MAX_LINES = 1000
MAX_CENTS = 100_000_000_00  # a hundred million in major units: far above any booking


def _int(value: Any, field: str, minimum: int = 0) -> int:
    # bool is an int in Python; a JSON true is not a quantity.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ServiceError(f"{field} must be an integer.")
    if value < minimum or value > MAX_CENTS:
        raise ServiceError(f"{field} must be between {minimum} and {MAX_CENTS}.")
    return value


def normalize_line(raw: Any, section: str, index: int) -> dict[str, Any]:
    where = f"cart.{section}[{index}]"
    if not isinstance(raw, dict):
        raise ServiceError(f"{where} must be an object.")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ServiceError(f"{where}.name is required.")
    text.check(name, f"{where}.name")
    quantity = _int(raw.get("quantity", 1), f"{where}.quantity", minimum=1)
    # amount_cents is accepted as the price of a single line (quantity 1).
    unit = _int(raw.get("unit_cents", raw.get("amount_cents")), f"{where}.unit_cents")
    amount = _int(unit * quantity, f"{where} total")
    return {"name": name.strip()[:200], "quantity": quantity, "unit_cents": unit,
            "amount_cents": amount}


def normalize_cart(raw: Any) -> dict[str, list[dict[str, Any]]]:
    """Validate a cart and compute each line's amount; raises ServiceError."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ServiceError("cart must be an object with line_items, fees, discounts, taxes.")
    unknown = set(raw) - set(SECTIONS)
    if unknown:
        raise ServiceError(f"cart has unknown sections: {', '.join(sorted(unknown))}.")
    cart: dict[str, list[dict[str, Any]]] = {}
    for section in SECTIONS:
        lines = raw.get(section) or []
        if not isinstance(lines, list) or len(lines) > MAX_LINES:
            raise ServiceError(f"cart.{section} must be a list of at most {MAX_LINES} lines.")
        cart[section] = [normalize_line(line, section, i) for i, line in enumerate(lines)]
    if not cart["line_items"]:
        raise ServiceError("cart.line_items needs at least one line.")
    return cart


def section_total(cart: dict[str, Any], section: str) -> int:
    return sum(line["amount_cents"] for line in cart.get(section, []))


def cart_total(cart: dict[str, Any]) -> int:
    """Items + fees + taxes − discounts, never below zero."""
    total = (section_total(cart, "line_items") + section_total(cart, "fees")
             + section_total(cart, "taxes") - section_total(cart, "discounts"))
    return max(total, 0)
