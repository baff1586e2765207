"""The only app module that imports stripe: one StripeClient built at start-up, and its errors.

Pointing STRIPE_API_BASE at the sandbox makes the real SDK talk HTTP to it;
nothing in the app's code path knows the difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stripe


def make_client(config: Mapping[str, Any]) -> stripe.StripeClient:
    """The SDK's own client and HTTP client (requests: proxies from the environment)."""
    base = config.get("STRIPE_API_BASE")
    addresses: dict[str, str] = {"api": base} if base else {}
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses=addresses,  # type: ignore[arg-type]  # the SDK's TypedDict
        # Retries are safe: every mutating call carries an idempotency key.
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=config.get("STRIPE_TIMEOUT_SECONDS", 20)),
    )


class BadWebhook(Exception):
    """A webhook whose signature or body does not verify."""


def verify_webhook(payload: bytes, signature: str, secret: str) -> stripe.Event:
    """The event, if Stripe signed this exact body with our endpoint secret."""
    try:
        return stripe.Webhook.construct_event(payload, signature, secret)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise BadWebhook(str(exc)) from exc


# Errors that mean "Stripe could not be reached or failed": retry later.
UNAVAILABLE = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


def account_options(account: str | None,
                    idempotency_key: str | None = None) -> stripe.RequestOptions:
    """Request options for a call made for a merchant: its connected account (the
    ``Stripe-Account`` header) when it has one, and an idempotency key when given."""
    options: stripe.RequestOptions = {}
    if account:
        options["stripe_account"] = account
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    return options


# The SDK's client type and the errors the services tell apart, named here so that the
# rest of the app depends on this module, not on stripe itself.
Client = stripe.StripeClient
StripeError = stripe.StripeError
CardError = stripe.CardError  # the bank declined: a decline_code and a message for people
InvalidRequestError = stripe.InvalidRequestError  # unknown id, bad or reused parameters
NoAccess = stripe.PermissionError  # e.g. a connected account that left the platform
