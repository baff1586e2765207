"""A booking is never charged beyond its balance, whatever the number of invoices, routes
and processes (issue 13, "Money" 1). Two open invoices on one booking of 100.00."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
import requests

from bench import servers
from models import Booking, CustomerPayment, Invoice, OutboxMessage, Refund, db
from services.invoices.lifecycle import create_invoice
from services.invoices.links import pay_token
from services.payments.finalisation import finalise
from tests.conftest import LiveServer
from tests.pay_helpers import ctoken, new_invoice, pay_api, start_three_d_secure


def second_invoice(app, seeded: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Another open invoice on the same booking, in the shape of new_invoice's answer."""
    with db.connection_context():
        booking = Booking.get_by_id(seeded["booking"].id)
        invoice = create_invoice(booking, **fields)
        token = pay_token(invoice, app.config["SECRET_KEY"])
    return {**seeded, "invoice": invoice, "uuid": invoice.uuid, "token": token}


def books(stripe_sdk, seeded: dict[str, Any]) -> dict[str, int]:
    """What Stripe took net of refunds, and what the app recorded, for the booking."""
    charged = refunded = 0
    for intent in stripe_sdk.v1.payment_intents.list(params={"limit": 100}).data:
        if intent.status == "succeeded":
            charged += intent.amount
    for refund in stripe_sdk.v1.refunds.list(params={"limit": 100}).data:
        refunded += refund.amount
    with db.connection_context():
        balance = Booking.get_by_id(seeded["booking"].id).balance_cents
        recorded = sum(p.amount_cents + p.tip_cents - p.refunded_cents
                       for p in CustomerPayment.select())
    return {"net": charged - refunded, "balance": balance, "recorded": recorded}


def assert_never_beyond_balance(stripe_sdk, seeded: dict[str, Any]) -> None:
    got = books(stripe_sdk, seeded)
    assert got["balance"] >= 0, got
    assert got["net"] == got["recorded"] == 10000 - got["balance"], got


def test_second_invoice_waits_while_the_first_is_in_three_d_secure(any_pay_app, stripe_sdk,
                                                                  sandbox):
    client = any_pay_app.test_client()
    first = new_invoice(any_pay_app)
    second = second_invoice(any_pay_app, first)
    started, intent_id = start_three_d_secure(client, first, stripe_sdk)
    assert started.status_code == 200 and started.json["requiresAction"] is True

    blocked = pay_api(client, second, stripeConfirmationToken=ctoken(stripe_sdk))
    assert blocked.status_code == 409 and blocked.json["code"] == "payment_pending"

    sandbox.authenticate(intent_id, "complete")
    done = pay_api(client, first, handledNextAction=intent_id)
    assert done.status_code == 200, done.json
    after = pay_api(client, second, stripeConfirmationToken=ctoken(stripe_sdk))
    assert after.status_code == 409 and after.json["code"] == "no_balance"
    assert_never_beyond_balance(stripe_sdk, first)


def _succeeded_intent_for(stripe_sdk, seeded: dict[str, Any], attempt: str) -> Any:
    """A PaymentIntent Stripe charged for an invoice, as a cut-off attempt leaves one."""
    return stripe_sdk.v1.payment_intents.create(params={
        "amount": 10000, "currency": "usd", "confirm": True,
        "confirmation_token": ctoken(stripe_sdk),
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        "metadata": {"invoice_uuid": seeded["uuid"], "amount_cents": "10000",
                     "tip_cents": "0", "attempt_key": attempt},
    })


def test_money_taken_after_the_booking_was_paid_is_refunded(any_pay_app, stripe_sdk, caplog):
    """Stripe charged invoice 1 (its answer was lost), invoice 2 was paid meanwhile; when
    invoice 1's payment arrives (return URL), its excess is refunded and recorded."""
    with db.connection_context():
        from models import Merchant

        first = new_invoice(any_pay_app)
        Merchant.update(webhook_url="http://127.0.0.1:9/hooks").execute()
    second = second_invoice(any_pay_app, first)
    late = _succeeded_intent_for(stripe_sdk, first, "lost-answer")
    client = any_pay_app.test_client()
    paid = pay_api(client, second, stripeConfirmationToken=ctoken(stripe_sdk))
    assert paid.status_code == 200, paid.json

    caplog.set_level(logging.INFO, logger="paylink")
    back = client.get(f"/pay/{first['token']}/return?payment_intent={late.id}")
    assert back.status_code in (200, 303)
    assert_never_beyond_balance(stripe_sdk, first)
    refunds = stripe_sdk.v1.refunds.list(params={"payment_intent": late.id}).data
    assert [r.amount for r in refunds] == [10000]
    with db.connection_context():
        payment = CustomerPayment.get(CustomerPayment.stripe_payment_intent_id == late.id)
        assert payment.excess_cents == 10000 and payment.refunded_cents == 10000
        assert Refund.get(Refund.payment == payment.id).amount_cents == 10000
        assert Invoice.get_by_id(first["invoice"].id).status == "open"
        hooks = [m.payload for m in OutboxMessage.select().where(
            OutboxMessage.kind == "merchant_webhook")]
        assert any(h["type"] == "payment.refunded" and h["data"]["reason"] == "overpayment"
                   for h in hooks), hooks
    assert any("overpayment refunded" in r.getMessage() for r in caplog.records)
    # the customer is told, and a second report of the same payment refunds nothing more
    with any_pay_app.app_context(), db.connection_context():
        again = finalise(stripe_sdk.v1.payment_intents.retrieve(late.id),
                         any_pay_app.extensions["stripe_client"])
    assert again["refundedCents"] == 10000 and "refunded" in again["message"]
    assert len(stripe_sdk.v1.refunds.list(params={"payment_intent": late.id}).data) == 1


def test_excess_refund_waits_in_the_outbox_when_stripe_is_down(any_pay_app, stripe_sdk,
                                                              sandbox):
    from services.messaging.worker import run_once

    first = new_invoice(any_pay_app)
    second = second_invoice(any_pay_app, first)
    late = _succeeded_intent_for(stripe_sdk, first, "lost-answer-2")
    client = any_pay_app.test_client()
    assert pay_api(client, second, stripeConfirmationToken=ctoken(stripe_sdk)).status_code == 200
    intent = stripe_sdk.v1.payment_intents.retrieve(late.id)
    sandbox.configure(fail_mode="503")
    with any_pay_app.app_context(), db.connection_context():
        confirmation = finalise(intent, any_pay_app.extensions["stripe_client"])
        run_once(any_pay_app)  # still down: the refund stays queued
        queued = OutboxMessage.get(OutboxMessage.kind == "excess_refund")
        assert queued.delivered_at is None and queued.last_error
        OutboxMessage.update(next_attempt_at=queued.created_at).execute()
    assert confirmation["refundedCents"] == 10000
    sandbox.configure(fail_mode=None)
    assert not stripe_sdk.v1.refunds.list(params={"payment_intent": late.id}).data
    with any_pay_app.app_context(), db.connection_context():
        run_once(any_pay_app)
    assert_never_beyond_balance(stripe_sdk, first)


@pytest.mark.pgbouncer
@pytest.mark.parametrize("deposit", [False, True])
def test_two_invoices_paid_at_the_same_moment(any_pay_app, stripe_sdk, sandbox, deposit):
    """Two threads pay the booking's two invoices at once (a deposit plus the full amount,
    or twice the full amount): the booking is charged at most its balance."""
    first = new_invoice(any_pay_app, **({"amount_cents": 3000} if deposit else {}))
    second = second_invoice(any_pay_app, first)
    sandbox.configure(latency_ms=150)
    barrier = threading.Barrier(2)
    results: list[int] = []

    def press(url: str, seeded: dict[str, Any], n: int) -> None:
        token = ctoken(stripe_sdk)
        barrier.wait()
        response = requests.post(url + f"/api/v1/invoices/{seeded['uuid']}/pay", json={
            "stripeConfirmationToken": token, "agreements": seeded["agreements"],
            "attemptKey": f"race-{n:04d}"}, timeout=60)
        results.append(response.status_code)

    with LiveServer(any_pay_app) as server:
        threads = [threading.Thread(target=press, args=(server.url, s, n))
                   for n, s in enumerate((first, second))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
    sandbox.configure(latency_ms=0)
    assert sorted(results)[0] == 200 and set(results) <= {200, 409}, results
    assert_never_beyond_balance(stripe_sdk, first)


@pytest.mark.pgbouncer
def test_two_processes_pay_two_invoices_of_one_booking(database_url, sandbox, tmp_path):
    """Two gunicorn processes on one database, each paying one of the booking's invoices
    over and over at the same time: never more than the balance."""
    import stripe

    from tests.conftest import make_test_app

    env = servers.app_env(database_url, sandbox.url, RATELIMIT_ENABLED="0",
                          STRIPE_SECRET_KEY="sk_test_paylink")
    app = make_test_app(database_url, SECRET_KEY=env["SECRET_KEY"])
    sdk = stripe.StripeClient("sk_test_paylink", base_addresses={"api": sandbox.url},
                              max_network_retries=0)
    first = new_invoice(app)
    second = second_invoice(app, first)
    db.close()
    sandbox.configure(latency_ms=100)
    instances = [servers.Gunicorn("wsgi:app", env, tmp_path / f"app-{n}.log", workers=1,
                                  threads=4) for n in range(2)]
    try:
        barrier = threading.Barrier(4)
        codes: list[int] = []

        def press(base: str, seeded: dict[str, Any], n: int) -> None:
            barrier.wait()
            for round_ in range(3):
                response = requests.post(f"{base}/api/v1/invoices/{seeded['uuid']}/pay", json={
                    "stripeConfirmationToken": ctoken(sdk), "agreements": seeded["agreements"],
                    "attemptKey": f"proc-{n}-{round_:04d}"}, timeout=60)
                codes.append(response.status_code)

        threads = [threading.Thread(target=press, args=(instances[n % 2].url, s, n))
                   for n, s in enumerate((first, second, second, first))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        for instance in instances:
            instance.stop()
        sandbox.configure(latency_ms=0)
    assert codes.count(200) >= 1 and set(codes) <= {200, 409}, codes
    assert_never_beyond_balance(sdk, first)
