"""Stripe's documented test cards and test PaymentMethod ids, and how each one behaves."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decline:
    code: str  # error code: card_declined, expired_card, incorrect_cvc
    decline_code: str
    message: str
    param: str | None = None


GENERIC = Decline("card_declined", "generic_decline", "Your card was declined.")
INSUFFICIENT = Decline("card_declined", "insufficient_funds", "Your card has insufficient funds.")
EXPIRED = Decline("expired_card", "expired_card", "Your card has expired.", "exp_month")
BAD_CVC = Decline(
    "incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.", "cvc"
)

AUTH_FAILURE_MESSAGE = (
    "We are unable to authenticate your payment method. Please choose a different "
    "payment method and try again."
)


@dataclass(frozen=True)
class Card:
    number: str
    brand: str = "visa"
    country: str = "US"
    funding: str = "credit"
    three_ds: bool = False  # authentication required before the charge
    three_ds_version: int = 2  # 1: the older 3-D Secure 1 flow (its own nested challenge page)
    decline: Decline | None = None  # outcome of the charge (after 3DS, if any)

    @property
    def last4(self) -> str:
        return self.number[-4:]


CARDS: dict[str, Card] = {
    c.number: c
    for c in [
        Card("4242424242424242"),
        Card("4000002760003184", three_ds=True, country="DE"),
        Card("4000000000003220", three_ds=True),
        Card("4000000000003063", three_ds=True, three_ds_version=1),
        Card("4000002500003155", three_ds=True),
        Card("4000008260003178", three_ds=True, decline=INSUFFICIENT, country="GB"),
        Card("4000000000000002", decline=GENERIC),
        Card("4000000000009995", decline=INSUFFICIENT),
        Card("4000000000000069", decline=EXPIRED),
        Card("4000000000000127", decline=BAD_CVC),
        Card("5555555555554444", brand="mastercard"),
        Card("378282246310005", brand="amex"),
    ]
}

TEST_PAYMENT_METHODS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_threeDSecureRequired": "4000000000003063",
    "pm_card_authenticationRequired": "4000002500003155",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
}


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number if d.isdigit()]
    if len(digits) < 12 or len(digits) != len(number):
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number[:1] == "5" or number[:2] == "22":
        return "mastercard"
    if number.startswith("6"):
        return "discover"
    return "unknown"


def card_for_number(number: str) -> Card:
    """Any other Luhn-valid number behaves like 4242 (Stripe accepts it in test mode)."""
    return CARDS.get(number) or Card(number, brand=brand_of(number))
