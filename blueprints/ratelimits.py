"""Rate limits (flask-limiter): pay attempts per invoice and per IP, token look-ups per IP,
the merchant API per key. Limit strings come from config so operators and tests tune them.

The decline cool-down (card testing) is a payment rule and lives in services.payments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, request
from flask_limiter.util import get_remote_address

from runtime.extensions import limiter
from services.invoices.links import invoice_uuid_for_token
from services.merchants.keys import hash_key


def _limit(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def invoice_key() -> str:
    """The invoice a pay request is for, by uuid on both pay routes (the JSON API's
    /invoices/<uuid>/pay and the page's /pay/<token>/confirm): one budget per invoice."""
    args = request.view_args or {}
    if "token" in args:
        token = str(args["token"])
        uuid = invoice_uuid_for_token(token, current_app.config["SECRET_KEY"])
        return "invoice:" + (uuid or "token:" + token[:200])  # no such invoice: a 404 anyway
    return "invoice:" + str(args.get("uuid") or "")


def api_key_key() -> str:
    # Hashed, so the key itself never reaches the limiter's storage.
    auth = request.headers.get("Authorization", "")
    return "key:" + hash_key(auth)[:24] if auth else "ip:" + get_remote_address()


def pay_attempts(view: Callable[..., Any]) -> Callable[..., Any]:
    """Confirm attempts: per invoice (card testing on one link) and per IP (across links)."""
    per_invoice = limiter.shared_limit(_limit("RATELIMIT_PAY_PER_INVOICE"), scope="pay-invoice",
                                       key_func=invoice_key)
    per_ip = limiter.shared_limit(_limit("RATELIMIT_PAY_PER_IP"), scope="pay-ip")
    return per_invoice(per_ip(view))


def token_lookups(view: Callable[..., Any]) -> Callable[..., Any]:
    """Pay-link and invoice look-ups per IP: guessing links is slow and noisy."""
    return limiter.shared_limit(_limit("RATELIMIT_LOOKUP_PER_IP"), scope="lookup-ip")(view)


def limit_merchant_api(bp: Blueprint) -> None:
    """Every merchant API route, per key; once per process (the blueprint is module-level)."""
    if not getattr(bp, "_paylink_limited", False):
        limiter.limit(_limit("RATELIMIT_MERCHANT_API_PER_KEY"), key_func=api_key_key)(bp)
        bp._paylink_limited = True  # type: ignore[attr-defined]
