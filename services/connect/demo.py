"""seed-demo's Stripe account in Connect mode: link the one given, or onboard one in the
sandbox when it answers. Never fails the seed: without Stripe the demo data still lands."""

from __future__ import annotations

import logging

import requests

from models import Merchant
from runtime.logs import event
from services import gateway
from services.common.errors import ServiceError
from services.connect.accounts import account_for, link_account, refresh
from services.connect.onboarding import ensure_account

log = logging.getLogger("paylink.connect")


def _complete_in_sandbox(api_base: str, account: str) -> None:
    """The sandbox's control for "Complete onboarding" (only a sandbox has it)."""
    # STRIPE_API_BASE is the operator's setting, never the request's.
    answer = requests.post(f"{api_base.rstrip('/')}/_sandbox/accounts/{account}",
                           json={"complete_onboarding": True}, timeout=5)
    answer.raise_for_status()


def demo_account(client: gateway.Client, merchant: Merchant, given: str | None,
                 sandbox_base: str | None) -> str | None:
    """The account the demo merchant is paid into, or None when none could be linked."""
    try:
        if given:
            link_account(client, merchant, given)
            return account_for(merchant)
        if account_for(merchant) is not None:
            refresh(client, merchant)  # a restarted sandbox forgot it: disconnects it
            if merchant.stripe_charges_enabled and account_for(merchant):
                return account_for(merchant)
        if not sandbox_base:
            return None
        account = ensure_account(client, merchant)
        _complete_in_sandbox(sandbox_base, account)
        refresh(client, merchant)
        return account_for(merchant)
    except (gateway.StripeError, ServiceError, requests.RequestException, OSError) as exc:
        event(log, "demo account not linked", error=type(exc).__name__)
        return None
