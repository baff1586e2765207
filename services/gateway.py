"""The only app module that imports stripe: one StripeClient built at start-up, and its errors.

Pointing STRIPE_API_BASE at the sandbox makes the real SDK talk HTTP to it;
nothing in the app's code path knows the difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies_environment, proxy_bypass_environment

import requests
import stripe


def make_client(config: Mapping[str, Any]) -> stripe.StripeClient:
    base = config.get("STRIPE_API_BASE")
    addresses: dict[str, str] = {"api": base} if base else {}
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses=addresses,  # type: ignore[arg-type]
        # Retries are safe: every mutating call carries an idempotency key.
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=config.get("STRIPE_TIMEOUT_SECONDS", 20),
                                          session=_session(), proxy=_proxy(base)),
    )


def _session() -> requests.Session:
    # requests re-reads the proxy environment on every call (a fifth of the SDK's time per
    # payment); the proxy is read once at start-up instead (_proxy).
    session = requests.Session()
    session.trust_env = False
    return session


def _proxy(base: str | None) -> str | None:
    """HTTPS_PROXY (or https_proxy) for api.stripe.com, honouring NO_PROXY, at start-up."""
    url = base or "https://api.stripe.com"
    host = urlsplit(url).hostname or ""
    if proxy_bypass_environment(host):
        return None
    return getproxies_environment().get(urlsplit(url).scheme)


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


# The SDK's client type and the errors the services tell apart, named here so that the
# rest of the app depends on this module, not on stripe itself.
Client = stripe.StripeClient
StripeError = stripe.StripeError
CardError = stripe.CardError  # the bank declined: a decline_code and a message for people
InvalidRequestError = stripe.InvalidRequestError  # unknown id, bad or reused parameters
