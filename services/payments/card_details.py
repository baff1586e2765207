"""The card a PaymentIntent was paid with, as brand and last 4 digits: nothing more is kept.

Read from the PaymentIntent's PaymentMethod (``payment_method.card``) when it was expanded
(``EXPAND``), or else from its latest Charge (``payment_method_details.card``) when that
was. Works on the SDK's StripeObjects and on plain dicts.
"""

from __future__ import annotations

from typing import Any

# Ask Stripe for these on a PaymentIntent (``expand[]``) so card_details can read the card.
EXPAND = ["payment_method"]


def _field(value: Any, name: str) -> Any:
    if value is None or isinstance(value, str):  # absent, or an id that was not expanded
        return None
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)


def card_details(intent: Any) -> tuple[str | None, str | None]:
    """(brand, last4) of the card behind ``intent``; (None, None) when it is not at hand."""
    card = _field(_field(intent, "payment_method"), "card")
    if card is None:
        details = _field(_field(intent, "latest_charge"), "payment_method_details")
        card = _field(details, "card")
    brand, last4 = _field(card, "brand"), _field(card, "last4")
    return (str(brand)[:32] if brand else None,
            str(last4)[-4:] if last4 else None)
