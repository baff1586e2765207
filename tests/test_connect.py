"""Stripe Connect (direct charges) end to end: the app over real HTTP receiving the sandbox's
webhooks, the real stripe SDK, two merchants on two connected accounts in one run."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import pytest
import requests
import stripe
from playhouse.migrate import migrate

from migrations import _migrator, create_schema
from migrations import m0006_stripe_connect as m0006
from models import CustomerPayment, Merchant, SchemaVersion, StripeEvent, db
from runtime.config import ConfigError, check_production
from sandbox.webhooks import sign
from services.connect import fees
from tests import factories
from tests.api_helpers import Api
from tests.conftest import make_test_app, sandbox_config
from tests.connect_helpers import (
    CONNECT_SECRET,
    PLATFORM_SECRET,
    connect_server,
    ctoken_on,
    merchant_with_key,
    onboard,
    onboarding_link,
    open_invoice,
    wait_for,
)
from tests.console_helpers import Console, seed_merchant
from tests.pay_helpers import pay_api, reload
from tests.test_html_valid import vnu  # noqa: F401 (the Nu HTML checker fixture)


def fee_of(amount: int, tip: int = 0, percent_bp: int = 250, fixed: int = 30) -> int:
    """The configured rule written out: 2.5 % of the booking part, half up, + 30 cents."""
    return min((amount * percent_bp + 5000) // 10000 + fixed, amount + tip)


def on_account(stripe_sdk: Any, intent_id: str, account: str | None) -> Any:
    options = {"stripe_account": account} if account else {}
    return stripe_sdk.v1.payment_intents.retrieve(intent_id, options=options)


def assert_only_on(stripe_sdk: Any, intent_id: str, account: str, others: list[str]) -> Any:
    intent = on_account(stripe_sdk, intent_id, account)
    for other in [None, *others]:
        with pytest.raises(stripe.InvalidRequestError) as missing:
            on_account(stripe_sdk, intent_id, other)
        assert missing.value.code == "resource_missing"
    return intent


@pytest.mark.pgbouncer
def test_two_merchants_each_paid_and_refunded_on_its_own_account(database_url, sandbox,
                                                                 stripe_sdk):
    with connect_server(database_url, sandbox) as server:
        app = server.app
        client = app.test_client()
        harbour, harbour_key = merchant_with_key("Harbour Tours")
        lagoon, lagoon_key = merchant_with_key("Lagoon Kayaks")
        a = onboard(Api(client, harbour_key), sandbox)
        b = onboard(Api(client, lagoon_key), sandbox)
        assert a != b

        # Harbour: a plain card, on account A only.
        first = open_invoice(app, harbour)
        paid = pay_api(client, first, stripeConfirmationToken=ctoken_on(stripe_sdk, a))
        assert paid.status_code == 200, paid.json
        intent_a = assert_only_on(stripe_sdk, paid.json["confirmation"]["paymentIntent"], a, [b])
        assert intent_a.status == "succeeded" and intent_a.amount == 10000
        assert intent_a.application_fee_amount == fee_of(10000) == 280

        # Lagoon: 3-D Secure, on account B only, finished after handleNextAction.
        second = open_invoice(app, lagoon)
        started = pay_api(client, second, stripeConfirmationToken=ctoken_on(
            stripe_sdk, b, "pm_card_threeDSecure2Required"))
        assert started.json["requiresAction"] is True
        intent_b_id = started.json["clientSecret"].split("_secret_")[0]
        sandbox.authenticate(intent_b_id, "complete")
        done = pay_api(client, second, handledNextAction=intent_b_id)
        assert done.status_code == 200 and done.json["confirmation"]["paymentIntent"] == intent_b_id
        intent_b = assert_only_on(stripe_sdk, intent_b_id, b, [a])
        assert intent_b.status == "succeeded" and intent_b.application_fee_amount == 280
        charge_b = stripe_sdk.v1.charges.retrieve(intent_b.latest_charge,
                                                  options={"stripe_account": b})
        assert charge_b.payment_method_details.card.three_d_secure.result == "authenticated"

        with db.connection_context():
            rows = {p.stripe_payment_intent_id: p for p in CustomerPayment.select()}
        assert (rows[intent_a.id].stripe_account, rows[intent_a.id].application_fee_cents) == (
            a, 280)
        assert (rows[intent_b_id].stripe_account, rows[intent_b_id].application_fee_cents) == (
            b, 280)
        fees_seen = stripe_sdk.v1.application_fees.list().data
        assert sorted((f.account, f.amount) for f in fees_seen) == sorted([(a, 280), (b, 280)])

        # Each refund goes to the account its charge lives on, and nowhere else.
        payment_a = rows[intent_a.id]
        refund = Api(client, harbour_key).post(f"/api/v1/payments/{payment_a.uuid}/refunds",
                                               {"amount_cents": 2500})
        assert refund.status_code == 201, refund.json
        connect = sandbox.sandbox.connect
        assert [r["amount"] for r in connect.stores[a].refunds.values()] == [2500]
        assert connect.stores[b].refunds == {} and sandbox.sandbox.store.refunds == {}
        # Lagoon cannot refund Harbour's payment (another merchant's payment is a 404).
        assert Api(client, lagoon_key).post(
            f"/api/v1/payments/{payment_a.uuid}/refunds").status_code == 404
        assert sandbox.sandbox.store.payment_intents == {}  # nothing on the platform


def test_ids_of_another_account_are_refused(database_url, sandbox, stripe_sdk):
    with connect_server(database_url, sandbox) as server:
        app, client = server.app, server.app.test_client()
        harbour, harbour_key = merchant_with_key("Harbour Tours")
        lagoon, lagoon_key = merchant_with_key("Lagoon Kayaks")
        a = onboard(Api(client, harbour_key), sandbox)
        b = onboard(Api(client, lagoon_key), sandbox)
        mine = open_invoice(app, harbour)

        # A token made on B's account cannot pay A's invoice.
        refused = pay_api(client, mine, stripeConfirmationToken=ctoken_on(stripe_sdk, b))
        assert refused.status_code == 422 and refused.json["success"] is False
        # A 3-D Secure intent of B's merchant, handed in as A's handledNextAction.
        theirs = open_invoice(app, lagoon)
        started = pay_api(client, theirs, stripeConfirmationToken=ctoken_on(
            stripe_sdk, b, "pm_card_threeDSecure2Required"))
        foreign = started.json["clientSecret"].split("_secret_")[0]
        sandbox.authenticate(foreign, "complete")
        crossed = pay_api(client, mine, handledNextAction=foreign)
        assert crossed.status_code == 404 and crossed.json["message"] == "Unknown payment."
        # An intent made on A's own account for B's invoice is a mismatch too.
        odd = stripe_sdk.v1.payment_intents.create(params={
            "amount": 10000, "currency": "usd", "confirm": True,
            "confirmation_token": ctoken_on(stripe_sdk, a),
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            "metadata": {"invoice_uuid": theirs["uuid"], "amount_cents": "10000",
                         "tip_cents": "0"}}, options={"stripe_account": a})
        mismatch = pay_api(client, theirs, handledNextAction=odd.id)
        assert mismatch.status_code == 404
        assert reload(mine["invoice"]).status == "open"
        # The webhook of that intent (account A, invoice of B's merchant) is refused.
        wait_for(lambda: _outcome_of(sandbox, odd.id))
        assert _outcome_of(sandbox, odd.id) == 200
        with db.connection_context():
            assert CustomerPayment.select().where(
                CustomerPayment.stripe_payment_intent_id == odd.id).count() == 0


def _outcome_of(sandbox: Any, intent_id: str) -> int | None:
    events = sandbox.sandbox.connect.stores
    for store in events.values():
        for event in store.events.values():
            if event["data"]["object"].get("id") == intent_id:
                for delivery in sandbox.deliveries():
                    if delivery["event_id"] == event["id"] and delivery["status"]:
                        return int(delivery["status"])
    return None


def test_not_chargeable_merchant_gets_409_and_its_link_says_so(sqlite_url, sandbox,
                                                               stripe_sdk):
    with connect_server(sqlite_url, sandbox) as server:
        app, client = server.app, server.app.test_client()
        merchant, key = merchant_with_key("Harbour Tours")
        api = Api(client, key)
        booking = api.booking()
        status = api.get("/api/v1/merchant/stripe").get_json()
        assert status["account"] is None and status["chargesEnabled"] is False
        assert status["connectRequired"] is True

        # No account yet.
        none_yet = api.post("/api/v1/invoices", {"booking": booking["uuid"]})
        assert none_yet.status_code == 409
        assert none_yet.get_json()["message"].startswith(
            "Connect a Stripe account before creating or sending invoices.")
        # Onboarding started but unfinished: the account exists, cannot take charges.
        onboarding_link(api)
        unfinished = api.get("/api/v1/merchant/stripe").get_json()
        assert unfinished["account"].startswith("acct_") and not unfinished["chargesEnabled"]
        assert "external_account" in unfinished["requirements"]
        half = api.post("/api/v1/invoices", {"booking": booking["uuid"]})
        assert half.status_code == 409
        assert "Finish Stripe's onboarding" in half.get_json()["message"]

        # Finished: invoices work; then the account deauthorizes the platform.
        account = onboard(api, sandbox)
        assert account == unfinished["account"]  # the same account, not a second one
        invoice = api.invoice(booking["uuid"])
        with db.connection_context():
            seeded = open_invoice(app, Merchant.get_by_id(merchant.id))
        page = client.get(f"/pay/{seeded['token']}")
        assert page.status_code == 200 and b"payment-element" in page.data
        assert f'"stripeAccount": "{account}"'.encode() in page.data
        event = requests.post(f"{sandbox.url}/_sandbox/accounts/{account}/deauthorize",
                              timeout=10).json()
        wait_for(lambda: api.get("/api/v1/merchant/stripe").get_json()["disconnectedAt"])
        with db.connection_context():
            assert StripeEvent.select().where(StripeEvent.event_id == event["id"]).exists()

        sent = api.post(f"/api/v1/invoices/{invoice['uuid']}/send")
        assert sent.status_code == 409
        assert "disconnected" in sent.get_json()["message"]
        page = client.get(f"/pay/{seeded['token']}")
        assert b"This merchant cannot take payments right now." in page.data
        assert b"payment-element" not in page.data and b'data-state="unavailable"' in page.data
        paying = pay_api(client, seeded, stripeConfirmationToken="ctoken_neverused")
        assert paying.status_code == 409
        assert paying.json["message"] == "This merchant cannot take payments right now."

        # account.updated turning charges off (Stripe disabled it) has the same effect.
        other, other_key = merchant_with_key("Lagoon Kayaks")
        other_api = Api(client, other_key)
        other_account = onboard(other_api, sandbox)
        requests.post(f"{sandbox.url}/_sandbox/accounts/{other_account}",
                      json={"charges_enabled": False}, timeout=10)
        wait_for(lambda: not other_api.get("/api/v1/merchant/stripe").get_json()[
            "chargesEnabled"])
        refused = other_api.post("/api/v1/invoices", {"booking": other_api.booking()["uuid"]})
        assert refused.status_code == 409


@pytest.mark.parametrize("percent,fixed", [("2.5", 30), ("10", 0), ("0", 75)])
def test_fee_on_each_intent_equals_the_rule_partial_and_tips(sqlite_url, sandbox, stripe_sdk,
                                                             percent, fixed):
    with connect_server(sqlite_url, sandbox) as server:
        app, client = server.app, server.app.test_client()
        merchant, key = merchant_with_key("Harbour Tours")
        account = onboard(Api(client, key), sandbox)
        cli = app.test_cli_runner().invoke(args=[
            "set-platform-fee", merchant.uuid, "--percent", percent, "--fixed-cents", str(fixed)])
        assert cli.exit_code == 0, cli.output
        bp = int(float(percent) * 100)
        fee = Api(client, key).get("/api/v1/merchant").get_json()["merchant"]["platformFee"]
        assert fee == {"percentBasisPoints": bp, "percent": percent, "fixedCents": fixed,
                       "source": "merchant"}
        seeded = open_invoice(app, merchant, allow_partial=True, allow_tip=True)
        # A deposit of 33.33 with a 5.00 tip, then the rest with no tip.
        for amount, tip in ((3333, 500), (6667, 0)):
            paid = pay_api(client, seeded, amountCents=amount, tipCents=tip,
                           stripeConfirmationToken=ctoken_on(stripe_sdk, account))
            assert paid.status_code == 200, paid.json
            intent = on_account(stripe_sdk, paid.json["confirmation"]["paymentIntent"], account)
            expected = fee_of(amount, tip, bp, fixed)
            assert intent.amount == amount + tip
            assert (intent.application_fee_amount or 0) == expected
            with db.connection_context():
                row = CustomerPayment.get(CustomerPayment.stripe_payment_intent_id == intent.id)
            assert row.application_fee_cents == expected
        assert reload(seeded["invoice"]).status == "paid"


def test_fee_rule_never_above_the_charge_and_tips_carry_none():
    rule = fees.FeeRule(percent_bp=1000, fixed_cents=500)
    assert fees.fee_cents(rule, 10000, 0) == 1500
    assert fees.fee_cents(rule, 10000, 2000) == 1500  # the tip carries no fee
    assert fees.fee_cents(rule, 300, 0) == 300  # capped at the charge
    assert fees.fee_cents(rule, 300, 100) == 400
    assert fees.fee_cents(fees.FeeRule(250, 0), 2019) == 50  # 50.475 → 50
    assert fees.fee_cents(fees.FeeRule(250, 0), 2020) == 51  # 50.5 → 51, half up
    assert fees.fee_cents(fees.FeeRule(10000, 0), 999, 1) == 999  # 100 %: all but the tip
    assert fees.parse_percent("2.5") == 250 and fees.parse_percent("0") == 0
    for bad in ("abc", "101", "-1", "2.555", "nan"):
        with pytest.raises(fees.ServiceError):
            fees.parse_percent(bad)


def _signed(body: dict[str, Any], secret: str) -> dict[str, str]:
    payload = json.dumps(body)
    return {"data": payload, "headers": {"Stripe-Signature": sign(payload, secret)}}


def test_each_webhook_secret_verifies_only_its_own_events(sqlite_url, sandbox):
    app = make_test_app(sqlite_url, **sandbox_config(sandbox), STRIPE_CONNECT=True,
                        STRIPE_WEBHOOK_SECRET=PLATFORM_SECRET,
                        STRIPE_CONNECT_WEBHOOK_SECRET=CONNECT_SECRET)
    client = app.test_client()
    connect_event = {"id": "evt_c1", "object": "event", "type": "account.updated",
                     "account": "acct_1unknown", "data": {"object": {"id": "acct_1unknown"}}}
    platform_event = {"id": "evt_p1", "object": "event", "type": "balance.available",
                      "data": {"object": {}}}
    for body, secret, status in ((connect_event, PLATFORM_SECRET, 400),
                                 (platform_event, CONNECT_SECRET, 400),
                                 (connect_event, CONNECT_SECRET, 200),
                                 (platform_event, PLATFORM_SECRET, 200)):
        response = client.post("/webhooks/stripe", content_type="application/json",
                               **_signed(body, secret))
        assert response.status_code == status, (body["id"], secret)
    assert client.post("/webhooks/stripe", content_type="application/json",
                       **_signed({**connect_event, "id": "evt_c2"}, CONNECT_SECRET)
                       ).json["outcome"] == "not ours"
    db.close()


def test_cli_connect_merchant_links_an_existing_account(sqlite_url, sandbox, stripe_sdk):
    app = make_test_app(sqlite_url, **sandbox_config(sandbox), STRIPE_CONNECT=True)
    runner = app.test_cli_runner()
    merchant, key = merchant_with_key("Harbour Tours")
    account = stripe_sdk.v1.accounts.create(params={"type": "standard"}).id
    requests.post(f"{sandbox.url}/_sandbox/accounts/{account}",
                  json={"complete_onboarding": True}, timeout=10)
    unknown = runner.invoke(args=["connect-merchant", merchant.uuid, "--account",
                                  "acct_1doesnotexist"])
    assert unknown.exit_code != 0 and "Stripe does not know that account" in unknown.output
    linked = runner.invoke(args=["connect-merchant", merchant.uuid, "--account", account])
    assert linked.exit_code == 0, linked.output
    assert json.loads(linked.output)["chargesEnabled"] is True
    other, _ = merchant_with_key("Lagoon Kayaks")
    taken = runner.invoke(args=["connect-merchant", other.uuid, "--account", account])
    assert taken.exit_code != 0 and "another merchant" in taken.output
    status = Api(app.test_client(), key).get("/api/v1/merchant/stripe").get_json()
    assert status["account"] == account and status["canTakeCharges"] is True
    db.close()


def test_seed_demo_onboards_in_the_sandbox_and_works_without_stripe(sqlite_url, sandbox,
                                                                     tmp_path):
    app = make_test_app(sqlite_url, **sandbox_config(sandbox), STRIPE_CONNECT=True)
    out = json.loads(app.test_cli_runner().invoke(args=["seed-demo", "--json"]).output)
    assert out["stripe_account"].startswith("acct_") and out["pay_url"]
    assert sandbox.sandbox.connect.retrieve_account(out["stripe_account"])["charges_enabled"]
    again = json.loads(app.test_cli_runner().invoke(args=["seed-demo", "--json"]).output)
    assert again["stripe_account"] == out["stripe_account"]  # kept while the sandbox knows it
    db.close()
    # No Stripe reachable: the seed still lands, without an account.
    dead = make_test_app(f"sqlite:///{tmp_path / 'other.db'}", STRIPE_CONNECT=True,
                         STRIPE_API_BASE="http://127.0.0.1:9", STRIPE_TIMEOUT_SECONDS=1)
    started = time.monotonic()
    result = dead.test_cli_runner().invoke(args=["seed-demo", "--json"])
    assert result.exit_code == 0, result.output
    lonely = json.loads(result.output.strip().splitlines()[-1])
    assert "stripe_account" not in lonely and lonely["pay_url"]
    assert time.monotonic() - started < 30
    db.close()


def test_single_business_mode_is_unchanged(pay_app, stripe_sdk):
    """STRIPE_CONNECT unset: a merchant without an account is paid on the platform."""
    client = pay_app.test_client()
    merchant, key = merchant_with_key("Harbour Tours")
    status = Api(client, key).get("/api/v1/merchant/stripe").get_json()
    assert status["connectRequired"] is False and status["canTakeCharges"] is True
    assert Api(client, key).get("/api/v1/merchant").get_json()["merchant"]["platformFee"] == {
        "percentBasisPoints": 0, "percent": "0", "fixedCents": 0, "source": "default"}
    off = Api(client, key).post("/api/v1/merchant/stripe/onboarding")
    assert off.status_code == 409 and "Stripe Connect is off" in off.get_json()["message"]
    seeded = open_invoice(pay_app, merchant)
    page = client.get(f"/pay/{seeded['token']}")
    assert b'"stripeAccount": null' in page.data
    paid = pay_api(client, seeded, stripeConfirmationToken=stripe_sdk.v1.test_helpers
                   .confirmation_tokens.create(params={"payment_method": "pm_card_visa"}).id)
    intent = stripe_sdk.v1.payment_intents.retrieve(paid.json["confirmation"]["paymentIntent"])
    assert intent.status == "succeeded" and intent.application_fee_amount is None


def test_unavailable_pay_page_and_stripe_settings_are_valid_html(
        sqlite_url, sandbox, vnu, tmp_path):  # noqa: F811 (the imported fixture)
    """The pay page of a merchant that cannot take charges, and Settings → Stripe in each
    state, pass the Nu HTML checker."""
    app = make_test_app(sqlite_url, **sandbox_config(sandbox), STRIPE_CONNECT=True)
    client = app.test_client()
    shop = seed_merchant()
    with db.connection_context():
        seeded = open_invoice(app, shop["merchant"], check_account=False)
    files = [tmp_path / "unavailable.html"]
    page = client.get(f"/pay/{seeded['token']}").data
    assert b"This merchant cannot take payments right now." in page
    files[0].write_bytes(page)
    console = Console(client, shop["email"])
    files.append(tmp_path / "settings-not-connected.html")
    files[-1].write_bytes(console.get("/console/settings").data)
    response = console.post("/console/settings/stripe/connect")
    assert response.status_code == 303 and response.location.startswith(sandbox.url)
    files.append(tmp_path / "settings-onboarding.html")
    files[-1].write_bytes(console.get("/console/settings").data)
    assert b'data-state="onboarding"' in files[-1].read_bytes()
    result = subprocess.run([*vnu, *map(str, files)], capture_output=True, text=True,
                            timeout=120)
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    assert [m["message"] for m in messages if m["type"] == "error"] == []
    db.close()


def test_production_with_connect_needs_the_connect_webhook_secret():
    real = {"PAYLINK_ENV": "production", "SECRET_KEY": "s" * 40, "STRIPE_SECRET_KEY": "sk_live_x",
            "STRIPE_PUBLISHABLE_KEY": "pk_live_x", "STRIPE_CONNECT": True,
            "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_sandbox_connect"}
    with pytest.raises(ConfigError, match="STRIPE_CONNECT_WEBHOOK_SECRET"):
        check_production(real)
    check_production({**real, "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_real"})
    check_production({**real, "STRIPE_CONNECT": False})


@pytest.fixture
def any_conn(any_app):
    with db.connection_context():
        yield


def test_migration_0006_brings_an_old_schema_up_to_date(any_conn):
    """A database from before Connect gains the merchant's and the payment's columns."""
    booking = factories.booking()
    payments = CustomerPayment._meta.table_name
    drops = [_migrator().drop_column("merchant", name) for name in m0006.MERCHANT_COLUMNS]
    drops += [_migrator().drop_column(payments, name) for name in m0006.PAYMENT_COLUMNS]
    migrate(*drops)
    SchemaVersion.delete().where(SchemaVersion.version == 6).execute()
    assert "stripe_charges_enabled" not in {c.name for c in db.get_columns("merchant")}
    assert create_schema() == 1
    merchant = Merchant.get_by_id(booking.merchant_id)
    assert merchant.stripe_charges_enabled is False and merchant.platform_fee_percent_bp is None
    merchant.stripe_requirements = ["external_account"]
    merchant.save()
    assert Merchant.get_by_id(merchant.id).stripe_requirements == ["external_account"]
    assert {"stripe_account", "application_fee_cents"} <= {
        c.name for c in db.get_columns(payments)}
    assert create_schema() == 0


def test_single_business_console_shows_no_connect_button(app):
    shop = seed_merchant()
    page = Console(app.test_client(), shop["email"]).get("/console/settings").data
    assert b'data-state="not_connected"' in page
    assert b"payments go to the platform's own Stripe account" in page
    assert b'data-testid="connect-stripe"' not in page
