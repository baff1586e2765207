"""Onboarding through Account Links: an account is created when the merchant has none, and
each visit gets a fresh link (Stripe's links are single-use and expire in minutes)."""

from __future__ import annotations

from typing import Any

from models import Merchant
from runtime.logs import event
from services import gateway
from services.common.errors import Conflict, ServiceError
from services.common.urls import public_url_for
from services.connect.accounts import account_for, apply_account, connect_enabled, log

LINK_TYPE = "account_onboarding"


class StripeUnreachable(ServiceError):
    status = 503


def ensure_account(client: gateway.Client, merchant: Merchant) -> str:
    """The merchant's connected account; a new Standard account when it has none (or its
    old one disconnected)."""
    current = account_for(merchant)
    if current is not None:
        return current
    params: Any = {"type": "standard", "metadata": {"merchant_uuid": merchant.uuid}}
    if merchant.support_email:
        params["email"] = merchant.support_email
    account = client.v1.accounts.create(
        params=params, options={"idempotency_key": f"paylink-account-{merchant.uuid}-"
                                f"{merchant.stripe_account or 'first'}"})
    merchant.stripe_account, merchant.stripe_disconnected_at = account.id, None
    merchant.save(only=[Merchant.stripe_account, Merchant.stripe_disconnected_at])
    apply_account(merchant, account)
    event(log, "stripe account created", merchant=merchant.uuid, account=account.id)
    return str(account.id)


def onboarding_url(client: gateway.Client, merchant: Merchant) -> str:
    """Where to send the merchant now: a fresh Account Link whose refresh and return URLs
    come back to the console. Single-business mode has no onboarding: every payment goes
    to the operator's account (an operator may still link one with connect-merchant)."""
    if not connect_enabled():
        raise Conflict("Stripe Connect is off on this platform (STRIPE_CONNECT): payments go "
                       "to the platform's own Stripe account.", code="connect_off")
    try:
        account = ensure_account(client, merchant)
        link = client.v1.account_links.create(params={
            "account": account, "type": LINK_TYPE,
            "refresh_url": public_url_for("console.stripe_refresh"),
            "return_url": public_url_for("console.stripe_return"),
        })
    except gateway.UNAVAILABLE as exc:
        raise StripeUnreachable("Stripe could not be reached; please try again.") from exc
    except gateway.StripeError as exc:
        message = getattr(exc, "user_message", None) or "Stripe refused the request."
        raise ServiceError(f"Stripe refused onboarding: {message}",
                           code="stripe_onboarding_refused") from exc
    return str(link.url)
