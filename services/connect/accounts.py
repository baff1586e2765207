"""Connected accounts: the mode, the account a merchant's Stripe calls run on, whether it
can take charges, its status as Stripe reports it, and the Connect webhooks that change it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import current_app, has_app_context

from models import Merchant, utcnow
from runtime.logs import event
from services import gateway
from services.common import fields
from services.common.errors import Conflict, ServiceError

log = logging.getLogger("paylink.connect")

ACCOUNT_ID = re.compile(r"^acct_[A-Za-z0-9]{1,60}$")
UNAVAILABLE_MESSAGE = "This merchant cannot take payments right now."
HANDLED = ("account.updated", "account.application.deauthorized")


def connect_enabled() -> bool:
    """STRIPE_CONNECT=1: every merchant must be paid into its own connected account."""
    return has_app_context() and bool(current_app.config.get("STRIPE_CONNECT"))


def account_for(merchant: Merchant) -> str | None:
    """The account a merchant's Stripe calls carry (``stripe_account``); None: the
    platform's own account (single-business mode, or a merchant with none)."""
    if merchant.stripe_account and merchant.stripe_disconnected_at is None:
        return str(merchant.stripe_account)
    return None


def refusal(merchant: Merchant) -> str | None:
    """Why the merchant cannot take charges, as a sentence that says what to do; None
    when it can. Single-business mode: always None (the platform's account is used)."""
    if not connect_enabled():
        return None
    where = ("In the console open Settings → Stripe and press Connect with Stripe (or POST "
             "/api/v1/merchant/stripe/onboarding), then finish Stripe's onboarding.")
    if merchant.stripe_disconnected_at is not None:
        return f"Your Stripe account was disconnected from this platform. {where}"
    if not merchant.stripe_account:
        return f"Connect a Stripe account before creating or sending invoices. {where}"
    if not merchant.stripe_charges_enabled:
        return ("Your Stripe account cannot take charges yet. Finish Stripe's onboarding: "
                "in the console open Settings → Stripe and press Continue onboarding (or POST "
                "/api/v1/merchant/stripe/onboarding).")
    return None


def require_chargeable(merchant: Merchant) -> None:
    """409 for invoice create and send when the merchant cannot be paid."""
    message = refusal(merchant)
    if message:
        raise Conflict(message, code="stripe_account_not_chargeable")


def status(merchant: Merchant) -> dict[str, Any]:
    """GET /api/v1/merchant/stripe and the console's Stripe section."""
    return {
        "account": merchant.stripe_account,
        "connected": account_for(merchant) is not None,
        "chargesEnabled": bool(merchant.stripe_charges_enabled),
        "payoutsEnabled": bool(merchant.stripe_payouts_enabled),
        "detailsSubmitted": bool(merchant.stripe_details_submitted),
        "requirements": list(merchant.stripe_requirements or []),
        "disconnectedAt": fields.isoformat(merchant.stripe_disconnected_at)
        if merchant.stripe_disconnected_at else None,
        "connectRequired": connect_enabled(),
        "canTakeCharges": refusal(merchant) is None,
    }


def _get(obj: Any, name: str) -> Any:
    try:
        return obj[name]
    except (KeyError, TypeError):
        return None


def apply_account(merchant: Merchant, account: Any) -> Merchant:
    """Store what Stripe says of the merchant's account (an Account object or its dict)."""
    requirements = _get(account, "requirements")
    due = _get(requirements, "currently_due") or []
    merchant.stripe_charges_enabled = bool(_get(account, "charges_enabled"))
    merchant.stripe_payouts_enabled = bool(_get(account, "payouts_enabled"))
    merchant.stripe_details_submitted = bool(_get(account, "details_submitted"))
    merchant.stripe_requirements = [str(item) for item in due][:50]
    merchant.save(only=[Merchant.stripe_charges_enabled, Merchant.stripe_payouts_enabled,
                        Merchant.stripe_details_submitted, Merchant.stripe_requirements])
    return merchant


def refresh(client: gateway.Client, merchant: Merchant) -> Merchant:
    """Re-read the merchant's account from Stripe (onboarding return, console)."""
    account = account_for(merchant)
    if account is None:
        return merchant
    try:
        found = client.v1.accounts.retrieve(account)
    except gateway.NoAccess:  # Stripe no longer lets us act for it
        return disconnect(merchant)
    return apply_account(merchant, found)


def link_account(client: gateway.Client, merchant: Merchant, account_id: str) -> Merchant:
    """Link an existing account (operators who onboard elsewhere): checked with Stripe."""
    if not isinstance(account_id, str) or not ACCOUNT_ID.match(account_id):
        raise ServiceError("account must be a Stripe account id (acct_...).", field="account")
    other = Merchant.get_or_none((Merchant.stripe_account == account_id)
                                 & (Merchant.id != merchant.id))
    if other is not None:
        raise Conflict("That Stripe account is linked to another merchant.", field="account")
    try:
        found = client.v1.accounts.retrieve(account_id)
    except (gateway.NoAccess, gateway.InvalidRequestError) as exc:
        raise ServiceError("Stripe does not know that account, or this platform cannot act "
                           "for it.", field="account") from exc
    merchant.stripe_account, merchant.stripe_disconnected_at = account_id, None
    merchant.save(only=[Merchant.stripe_account, Merchant.stripe_disconnected_at])
    event(log, "stripe account linked", merchant=merchant.uuid, account=account_id)
    return apply_account(merchant, found)


def disconnect(merchant: Merchant) -> Merchant:
    """The account left the platform: no more charges for it until it connects again."""
    merchant.stripe_disconnected_at = utcnow()
    merchant.stripe_charges_enabled = merchant.stripe_payouts_enabled = False
    merchant.save(only=[Merchant.stripe_disconnected_at, Merchant.stripe_charges_enabled,
                        Merchant.stripe_payouts_enabled])
    event(log, "stripe account disconnected", merchant=merchant.uuid,
          account=merchant.stripe_account)
    return merchant


def merchant_for_account(account_id: Any) -> Merchant | None:
    if not isinstance(account_id, str) or not ACCOUNT_ID.match(account_id):
        return None
    return Merchant.get_or_none(Merchant.stripe_account == account_id)


def handle_account_event(client: gateway.Client, event_type: str, account_id: Any) -> str:
    """account.updated: re-read the account; deauthorized: disconnect its merchant."""
    merchant = merchant_for_account(account_id)
    if merchant is None:
        return "not ours"
    if event_type == "account.application.deauthorized":
        disconnect(merchant)
        return "disconnected"
    if merchant.stripe_disconnected_at is not None:
        return "ignored: disconnected"
    refresh(client, merchant)
    return "account refreshed"
