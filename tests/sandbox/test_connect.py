"""Connect in the sandbox: accounts, Account Links, Stripe-Account scoping, fees, events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import stripe

from sandbox.testing import SandboxHandle
from tests.sandbox.conftest import WebhookReceiver, card_token, wait_for

# Key lists of Stripe's own schemas for these objects (from shared/stripe/openapi-spec3).
SCHEMAS = Path(__file__).resolve().parent / "data" / "connect_schemas.json"


def _onboard(sandbox: SandboxHandle, client: stripe.StripeClient) -> str:
    account = client.v1.accounts.create(params={"type": "standard", "country": "US"})
    assert account.charges_enabled is False and account.details_submitted is False
    assert "external_account" in account.requirements.currently_due
    link = client.v1.account_links.create(params={
        "account": account.id, "type": "account_onboarding",
        "refresh_url": "https://platform.example/refresh",
        "return_url": "https://platform.example/return"})
    page = requests.get(link.url, timeout=10)
    assert page.status_code == 200 and "Complete onboarding" in page.text
    done = requests.post(link.url + "/complete", allow_redirects=False, timeout=10)
    assert done.status_code == 303
    assert done.headers["Location"] == "https://platform.example/return"
    # A used link sends the browser to refresh_url, as Stripe's do.
    again = requests.get(link.url, allow_redirects=False, timeout=10)
    assert again.headers["Location"] == "https://platform.example/refresh"
    account = client.v1.accounts.retrieve(account.id)
    assert account.charges_enabled and account.payouts_enabled and account.details_submitted
    assert account.requirements.currently_due == []
    return account.id


def _pay(sandbox: SandboxHandle, client: stripe.StripeClient, account: str,
         number: str = "4242424242424242", fee: int | None = 120) -> Any:
    token = card_token(sandbox, number, _stripe_account=account)
    params: dict[str, Any] = {"amount": 2000, "currency": "usd", "confirm": True,
                              "confirmation_token": token["id"],
                              "automatic_payment_methods": {"enabled": True}}
    if fee is not None:
        params["application_fee_amount"] = fee
    return client.v1.payment_intents.create(params=params,
                                            options={"stripe_account": account})


def test_objects_live_on_their_account_only(sandbox: SandboxHandle,
                                            stripe_client: stripe.StripeClient) -> None:
    a, b = _onboard(sandbox, stripe_client), _onboard(sandbox, stripe_client)
    intent = _pay(sandbox, stripe_client, a)
    assert intent.status == "succeeded" and intent.application_fee_amount == 120
    own = stripe_client.v1.payment_intents.retrieve(intent.id, options={"stripe_account": a})
    assert own.id == intent.id
    for options in ({}, {"stripe_account": b}):
        with pytest.raises(stripe.InvalidRequestError) as missing:
            stripe_client.v1.payment_intents.retrieve(intent.id, options=options)
        assert missing.value.code == "resource_missing"
        with pytest.raises(stripe.InvalidRequestError):
            stripe_client.v1.refunds.create(params={"payment_intent": intent.id},
                                            options=options)
    # A token made on A cannot be used on B.
    token = card_token(sandbox, "4242424242424242", _stripe_account=a)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.create(
            params={"amount": 900, "currency": "usd", "confirm": True,
                    "confirmation_token": token["id"]}, options={"stripe_account": b})
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge,
                                               options={"stripe_account": a})
    assert charge.application_fee_amount == 120 and charge.application_fee.startswith("fee_")
    fees = stripe_client.v1.application_fees.list().data
    assert [(f.account, f.amount, f.charge) for f in fees] == [(a, 120, charge.id)]
    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent.id},
                                             options={"stripe_account": a})
    assert refund.amount == 2000


def test_unknown_and_deauthorized_accounts_are_refused(
        sandbox: SandboxHandle, stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.PermissionError) as refused:
        stripe_client.v1.payment_intents.list(options={"stripe_account": "acct_1nope"})
    assert refused.value.http_status == 403
    assert "does not have access to account" in str(refused.value.user_message)
    a = _onboard(sandbox, stripe_client)
    event = requests.post(f"{sandbox.url}/_sandbox/accounts/{a}/deauthorize", timeout=10).json()
    assert event["type"] == "account.application.deauthorized" and event["account"] == a
    with pytest.raises(stripe.PermissionError):
        stripe_client.v1.accounts.retrieve(a)


def test_fee_needs_a_connected_account_and_fits_the_amount(
        sandbox: SandboxHandle, stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as platform:
        stripe_client.v1.payment_intents.create(
            params={"amount": 1000, "currency": "usd", "application_fee_amount": 10})
    assert platform.value.param == "application_fee_amount"
    a = _onboard(sandbox, stripe_client)
    with pytest.raises(stripe.InvalidRequestError):
        _pay(sandbox, stripe_client, a, fee=2001)


def test_three_d_secure_on_a_connected_account(sandbox: SandboxHandle,
                                               stripe_client: stripe.StripeClient) -> None:
    a = _onboard(sandbox, stripe_client)
    intent = _pay(sandbox, stripe_client, a, number="4000002760003184")
    assert intent.status == "requires_action"
    sandbox.authenticate(intent.id, "complete")
    done = stripe_client.v1.payment_intents.retrieve(intent.id, options={"stripe_account": a})
    assert done.status == "succeeded" and done.application_fee_amount == 120


def test_connect_events_carry_account_and_the_connect_secret(
        sandbox: SandboxHandle, stripe_client: stripe.StripeClient,
        webhook_receiver: WebhookReceiver) -> None:
    sandbox.configure(connect_webhook_secret="whsec_connect_test")
    try:
        a = _onboard(sandbox, stripe_client)
        intent = _pay(sandbox, stripe_client, a)
        calls = wait_for(lambda: [c for c in webhook_receiver.calls
                                  if json.loads(c["body"])["type"] == "payment_intent.succeeded"])
        body = calls[0]["body"]
        assert json.loads(body)["account"] == a
        assert json.loads(body)["data"]["object"]["id"] == intent.id
        assert stripe.Webhook.construct_event(body, calls[0]["headers"]["Stripe-Signature"],
                                              "whsec_connect_test")
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(body, calls[0]["headers"]["Stripe-Signature"],
                                           "whsec_test_secret")
        updated = [json.loads(c["body"]) for c in webhook_receiver.calls
                   if json.loads(c["body"])["type"] == "account.updated"]
        assert updated and updated[0]["account"] == a
        assert updated[0]["data"]["object"]["charges_enabled"] is True
    finally:
        sandbox.configure(connect_webhook_secret="whsec_sandbox_connect")


def test_connect_objects_use_stripes_own_keys(sandbox: SandboxHandle,
                                              stripe_client: stripe.StripeClient) -> None:
    """Account, Account Link and application fee: every required key of Stripe's OpenAPI
    schema is there, and no key Stripe does not document."""
    schemas = json.loads(SCHEMAS.read_text())
    a = _onboard(sandbox, stripe_client)
    intent = _pay(sandbox, stripe_client, a)
    link = requests.post(f"{sandbox.url}/v1/account_links", auth=("sk_test_x", ""), data={
        "account": a, "type": "account_onboarding", "refresh_url": "https://p.example/r",
        "return_url": "https://p.example/k"}, timeout=10).json()
    account = requests.get(f"{sandbox.url}/v1/accounts/{a}", auth=("sk_test_x", ""),
                           timeout=10).json()
    fee = requests.get(f"{sandbox.url}/v1/application_fees", auth=("sk_test_x", ""),
                       timeout=10).json()["data"][0]
    assert fee["charge"] == intent.latest_charge
    for name, obj in (("account", account), ("account_link", link), ("application_fee", fee)):
        schema = schemas[name]
        assert set(schema.get("required", [])) <= set(obj), name
        assert set(obj) <= set(schema["properties"]), (name, set(obj) - set(schema["properties"]))
