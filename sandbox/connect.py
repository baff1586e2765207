"""Stripe Connect in the sandbox: connected accounts, Account Links onboarding, the
`Stripe-Account` header's scoping, application fees and Connect webhooks.

Each connected account gets its own Store, so an object made on account A is simply not
there (`resource_missing`) from the platform or from account B, as on Stripe.
"""

from __future__ import annotations

import copy
import html
import threading
from contextvars import ContextVar
from typing import Any

from sandbox import objects
from sandbox.config import Config
from sandbox.errors import StripeError, missing, param_error
from sandbox.ids import new_id, rand
from sandbox.state import RequestInfo, Store, current_request, parse_positive_int
from sandbox.webhooks import Dispatcher

# The account of the request being served (None: the platform itself).
current_account: ContextVar[str | None] = ContextVar("current_account", default=None)

ACCOUNT_TYPES = ("standard", "express", "custom")
LINK_TYPES = ("account_onboarding", "account_update")
LINK_TTL_SECONDS = 300  # Stripe's Account Links expire a few minutes after creation
BEFORE_ONBOARDING = [
    "business_profile.mcc", "business_profile.url", "external_account",
    "tos_acceptance.date", "tos_acceptance.ip",
]  # fmt: skip
CONNECT_APPLICATION = {"id": "ca_sandboxplatform", "object": "application",
                       "name": "paylink sandbox platform"}  # fmt: skip


def account_invalid(account: str) -> StripeError:
    """What Stripe answers for a Stripe-Account it does not know or no longer lets us use."""
    return StripeError(
        403,
        "The provided key 'sk_test_********' does not have access to account "
        f"'{account}' (or that account does not exist). Application access may have been "
        "revoked.",
        code="account_invalid",
        store=False,
    )


def _fee_amount(params: dict[str, Any]) -> int | None:
    raw = params.get("application_fee_amount")
    if raw in (None, ""):
        return None
    try:
        fee = int(str(raw))
    except ValueError:
        raise param_error(f"Invalid integer: {raw}", "application_fee_amount",
                          "parameter_invalid_integer") from None
    if fee < 0:
        raise param_error("This value must be greater than or equal to 0.",
                          "application_fee_amount", "parameter_invalid_integer")
    return fee


class PlatformStore(Store):
    """The platform's own objects: an application fee needs a connected account."""

    def create_payment_intent(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("application_fee_amount") not in (None, ""):
            raise param_error(
                "Can only apply an application_fee_amount when the PaymentIntent is "
                "attempting a direct payment (using an OAuth key or Stripe-Account header) "
                "or destination payment (using `transfer_data[destination]`).",
                "application_fee_amount",
            )
        return super().create_payment_intent(params)


class AccountStore(Store):
    """One connected account's objects; its events carry `account`."""

    def __init__(self, account_id: str, connect: Connect) -> None:
        self.account_id = account_id
        self.connect = connect
        super().__init__(on_event=connect.dispatcher.emit)

    def _emit(self, type_: str, obj: dict[str, Any],
              previous: dict[str, Any] | None = None) -> None:
        with self.lock:
            info = current_request.get(RequestInfo())
            evt = objects.event(type_, copy.deepcopy(obj), info.request_id,
                                info.idempotency_key)
            evt["account"] = self.account_id
            if previous is not None:
                evt["data"]["previous_attributes"] = previous
            self.events[evt["id"]] = evt
        if self.on_event:
            self.on_event(copy.deepcopy(evt))

    def emit(self, type_: str, obj: dict[str, Any],
             previous: dict[str, Any] | None = None) -> dict[str, Any]:
        """An account-level event (account.updated, deauthorized); returns it."""
        self._emit(type_, obj, previous)
        with self.lock:
            return copy.deepcopy(list(self.events.values())[-1])

    def create_payment_intent(self, params: dict[str, Any]) -> dict[str, Any]:
        fee = _fee_amount(params)
        if fee is not None:
            amount = parse_positive_int(params.get("amount", 0), "amount")
            if fee > amount:
                raise param_error(
                    "The application fee amount must be less than or equal to the amount.",
                    "application_fee_amount")
            params = {**params, "application_fee_amount": fee}
        return super().create_payment_intent(params)

    def _charge(self, pi: dict[str, Any], card: Any, three_ds: bool) -> None:
        try:
            super()._charge(pi, card, three_ds)
        finally:
            ch = self.charges.get(pi.get("latest_charge") or "")
            fee = pi.get("application_fee_amount")
            if ch is not None and fee and ch["status"] == "succeeded" and not ch[
                    "application_fee"]:
                ch["application_fee"] = self.connect.record_fee(self.account_id, ch, fee)


class _ConnectWebhookConfig:
    """The sandbox config seen by the Connect endpoint: its own URL (or the account
    endpoint's) and its own signing secret."""

    def __init__(self, config: Config) -> None:
        self._config = config

    def __getattr__(self, name: str) -> Any:
        if name == "webhook_url":
            return self._config.connect_webhook_url or self._config.webhook_url
        if name == "webhook_secret":
            return self._config.connect_webhook_secret
        return getattr(self._config, name)


class Connect:
    """Connected accounts, their stores, Account Links and the platform's application fees."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.dispatcher = Dispatcher(_ConnectWebhookConfig(config))  # type: ignore[arg-type]
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.dispatcher.reset()
            self.accounts: dict[str, dict[str, Any]] = {}
            self.stores: dict[str, AccountStore] = {}
            self.deauthorized: set[str] = set()
            self.links: dict[str, dict[str, Any]] = {}  # token -> link and its account
            self.application_fees: dict[str, dict[str, Any]] = {}

    # ---- scoping ------------------------------------------------------------------------
    def store_for(self, account: str) -> AccountStore:
        with self.lock:
            if account not in self.stores or account in self.deauthorized:
                raise account_invalid(account)
            return self.stores[account]

    def stores_with(self, kind: str, ident: str) -> list[Store]:
        """The account stores that hold an object (control endpoints search them all)."""
        with self.lock:
            return [s for s in self.stores.values() if ident in getattr(s, kind + "s")]

    # ---- accounts -----------------------------------------------------------------------
    def create_account(self, params: dict[str, Any]) -> dict[str, Any]:
        kind = str(params.get("type") or "standard")
        if kind not in ACCOUNT_TYPES:
            raise param_error(f"Invalid type: must be one of {', '.join(ACCOUNT_TYPES)}",
                              "type", "parameter_invalid_string")
        country = str(params.get("country") or "US").upper()
        metadata = params.get("metadata") if isinstance(params.get("metadata"), dict) else {}
        acct_id = "acct_1" + rand(15)
        account: dict[str, Any] = {
            "id": acct_id,
            "object": "account",
            "business_profile": {"mcc": None, "name": None, "support_email": None,
                                 "support_phone": None, "support_url": None, "url": None},
            "business_type": params.get("business_type"),
            "capabilities": {"card_payments": "inactive", "transfers": "inactive"},
            "charges_enabled": False,
            "controller": {"is_controller": True, "type": "application"},
            "country": country,
            "created": objects.now(),
            "default_currency": str(params.get("default_currency") or "usd").lower(),
            "details_submitted": False,
            "email": params.get("email"),
            "external_accounts": {"object": "list", "data": [], "has_more": False,
                                  "total_count": 0,
                                  "url": f"/v1/accounts/{acct_id}/external_accounts"},
            "future_requirements": _requirements([]),
            "metadata": dict(metadata or {}),
            "payouts_enabled": False,
            "requirements": _requirements(list(BEFORE_ONBOARDING)),
            "settings": {
                "branding": {"icon": None, "logo": None, "primary_color": None,
                             "secondary_color": None},
                "card_payments": {"decline_on": {"avs_failure": False, "cvc_failure": False},
                                  "statement_descriptor_prefix": None},
                "dashboard": {"display_name": None, "timezone": "Etc/UTC"},
                "payments": {"statement_descriptor": None},
            },
            "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
            "type": kind,
        }
        with self.lock:
            self.accounts[acct_id] = account
            self.stores[acct_id] = AccountStore(acct_id, self)
            return copy.deepcopy(account)

    def retrieve_account(self, acct_id: str) -> dict[str, Any]:
        with self.lock:
            if acct_id not in self.accounts or acct_id in self.deauthorized:
                raise account_invalid(acct_id)
            return copy.deepcopy(self.accounts[acct_id])

    def update_account(self, acct_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Onboarding finished, or a control call: the new state and `account.updated`."""
        with self.lock:
            account = self.accounts.get(acct_id)
            if account is None:
                raise missing("account", acct_id)
            previous = {k: copy.deepcopy(account[k]) for k in changes if k in account}
            account.update(changes)
            enabled = account["charges_enabled"]
            account["capabilities"]["card_payments"] = "active" if enabled else "inactive"
            account["capabilities"]["transfers"] = "active" if account[
                "payouts_enabled"] else "inactive"
            store, snapshot = self.stores[acct_id], copy.deepcopy(account)
        # Emitted outside the Connect lock: a charge holds its store's lock, then this one.
        store.emit("account.updated", snapshot, previous)
        return snapshot

    def complete_onboarding(self, acct_id: str) -> dict[str, Any]:
        with self.lock:
            profile = copy.deepcopy(self.retrieve_account(acct_id)["business_profile"])
        return self.update_account(acct_id, {
            "details_submitted": True, "charges_enabled": True, "payouts_enabled": True,
            "requirements": _requirements([]),
            "business_profile": {**profile, "mcc": "7999", "url": "https://example.com"},
            "tos_acceptance": {"date": objects.now(), "ip": "127.0.0.1",
                               "user_agent": "sandbox"},
        })

    def deauthorize(self, acct_id: str) -> dict[str, Any]:
        """The account disconnects the platform: an event, then every call is refused."""
        with self.lock:
            if acct_id not in self.accounts:
                raise missing("account", acct_id)
            store = self.stores[acct_id]
            self.deauthorized.add(acct_id)
        return store.emit("account.application.deauthorized", dict(CONNECT_APPLICATION))

    # ---- account links ------------------------------------------------------------------
    def create_link(self, params: dict[str, Any], base_url: str) -> dict[str, Any]:
        for name in ("account", "type"):
            if not params.get(name):
                raise param_error(f"Missing required param: {name}.", name, "parameter_missing")
        if params["type"] not in LINK_TYPES:
            raise param_error(f"Invalid type: must be one of {', '.join(LINK_TYPES)}",
                              "type", "parameter_invalid_string")
        for name in ("refresh_url", "return_url"):
            value = str(params.get(name) or "")
            if not value.startswith(("http://", "https://")):
                raise param_error(f"Not a valid URL: {name}", name, "url_invalid")
        acct_id = str(params["account"])
        self.retrieve_account(acct_id)
        token = rand(32)
        created = objects.now()
        link = {"object": "account_link", "created": created,
                "expires_at": created + LINK_TTL_SECONDS,
                "url": f"{base_url}/connect/setup/{token}"}
        with self.lock:
            self.links[token] = {"link": link, "account": acct_id, "used": False,
                                 "refresh_url": params["refresh_url"],
                                 "return_url": params["return_url"]}
        return copy.deepcopy(link)

    def link_state(self, token: str) -> dict[str, Any] | None:
        """The link behind a token; None once it expired or was used (go to refresh_url)."""
        with self.lock:
            entry = self.links.get(token)
            return copy.deepcopy(entry) if entry else None

    def use_link(self, token: str) -> str | None:
        """Complete onboarding through a live link: where to send the browser next."""
        with self.lock:
            entry = self.links.get(token)
            if entry is None:
                return None
            if entry["used"] or entry["link"]["expires_at"] < objects.now():
                return str(entry["refresh_url"])
            entry["used"] = True
        self.complete_onboarding(entry["account"])
        return str(entry["return_url"])

    def expire_links(self, acct_id: str | None = None) -> int:
        with self.lock:
            count = 0
            for entry in self.links.values():
                if acct_id in (None, entry["account"]):
                    entry["link"]["expires_at"] = objects.now() - 1
                    count += 1
            return count

    # ---- application fees ---------------------------------------------------------------
    def record_fee(self, acct_id: str, charge: dict[str, Any], amount: int) -> str:
        fee_id = new_id("fee")
        with self.lock:
            self.application_fees[fee_id] = {
                "id": fee_id, "object": "application_fee", "account": acct_id,
                "amount": amount, "amount_refunded": 0,
                "application": CONNECT_APPLICATION["id"],
                "balance_transaction": new_id("txn"), "charge": charge["id"],
                "created": objects.now(), "currency": charge["currency"], "livemode": False,
                "originating_transaction": None, "refunded": False,
                "refunds": {"object": "list", "data": [], "has_more": False,
                            "total_count": 0, "url": f"/v1/application_fees/{fee_id}/refunds"},
            }
        return fee_id

    def list_fees(self, limit: int, charge: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            rows = [f for f in reversed(list(self.application_fees.values()))
                    if charge in (None, f["charge"])]
            return copy.deepcopy(rows[:limit])

    def get_fee(self, fee_id: str) -> dict[str, Any]:
        with self.lock:
            if fee_id not in self.application_fees:
                raise missing("application_fee", fee_id)
            return copy.deepcopy(self.application_fees[fee_id])


def _requirements(due: list[str]) -> dict[str, Any]:
    return {
        "alternatives": [], "current_deadline": None, "currently_due": list(due),
        "disabled_reason": "requirements.past_due" if due else None, "errors": [],
        "eventually_due": list(due), "past_due": list(due), "pending_verification": [],
    }


def onboarding_page(token: str, entry: dict[str, Any] | None) -> str:
    """The sandbox's stand-in for Stripe's hosted onboarding (connect.stripe.com/setup)."""
    account = html.escape(entry["account"]) if entry else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Set up your Stripe account · Stripe sandbox</title></head>
<body><main>
<h1>Set up payments</h1>
<p>Stripe sandbox onboarding for account <code data-testid="onboarding-account">{account}</code>.
Pressing the button submits test details: charges and payouts are enabled.</p>
<form method="post" action="/connect/setup/{html.escape(token)}/complete">
<button type="submit" data-testid="complete-onboarding">Complete onboarding</button>
</form>
</main></body></html>
"""
