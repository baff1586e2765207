"""The only module that imports stripe: one StripeClient built at start-up.

Pointing STRIPE_API_BASE at the sandbox makes the real SDK talk HTTP to it;
nothing in the app's code path knows the difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stripe


def make_client(config: Mapping[str, Any]) -> stripe.StripeClient:
    base = config.get("STRIPE_API_BASE")
    addresses: dict[str, str] = {"api": base} if base else {}
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses=addresses,  # type: ignore[arg-type]
        # Retries are safe: every mutating call carries an idempotency key.
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=config.get("STRIPE_TIMEOUT_SECONDS", 20)),
    )
