"""Stripe webhooks in: signed by the sandbox as Stripe signs them, delivered over HTTP."""

from __future__ import annotations

import json
import time

import pytest

from models import Booking, CustomerPayment, Invoice, StripeEvent, db
from tests.conftest import LiveServer
from tests.pay_helpers import ctoken, new_invoice, pay_api, reload, start_three_d_secure

SECRET = "whsec_test_paylink"


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def hooked(pay_app, sandbox):
    """A live app receiving the sandbox's webhooks."""
    pay_app.config["STRIPE_WEBHOOK_SECRET"] = SECRET
    with LiveServer(pay_app) as server:
        sandbox.configure(webhook_url=f"{server.url}/webhooks/stripe", webhook_secret=SECRET,
                          webhooks_enabled=True, webhook_delay_ms=0)
        yield server
    sandbox.configure(webhooks_enabled=False)


def delivered(sandbox, event_type: str) -> list[dict]:
    return [d for d in sandbox.deliveries() if d.get("type") == event_type
            and d.get("status") == 200]


def test_bad_or_missing_signature_is_400(pay_app):
    client = pay_app.test_client()
    body = json.dumps({"id": "evt_1", "type": "payment_intent.succeeded"})
    for headers in ({}, {"Stripe-Signature": "t=1,v1=deadbeef"}):
        response = client.post("/webhooks/stripe", data=body, headers=headers,
                               content_type="application/json")
        assert response.status_code == 400 and response.json["success"] is False


def test_succeeded_webhook_finalises_when_browser_never_returns(hooked, pay_app, stripe_sdk,
                                                               sandbox):
    seeded = new_invoice(pay_app, confirm_on_pay=True)
    first, intent_id = start_three_d_secure(pay_app.test_client(), seeded, stripe_sdk)
    sandbox.authenticate(intent_id, "complete")  # the customer closes the tab right after
    wait_for(lambda: reload(seeded["invoice"]).status == "paid")
    with db.connection_context():
        assert Booking.get_by_id(seeded["booking"].id).status == "confirmed"
        assert CustomerPayment.get().stripe_payment_intent_id == intent_id
    [hook] = wait_for(lambda: delivered(sandbox, "payment_intent.succeeded"))
    # replayed three times: still one payment, one balance change
    for _ in range(3):
        sandbox.replay(hook["event_id"])
    wait_for(lambda: len(delivered(sandbox, "payment_intent.succeeded")) >= 4)
    with db.connection_context():
        assert CustomerPayment.select().count() == 1
        assert Booking.get_by_id(seeded["booking"].id).balance_cents == 0
        assert StripeEvent.select().where(StripeEvent.event_id == hook["event_id"]).count() == 1


def test_failed_webhook_records_attempt_and_clears_pending(hooked, pay_app, stripe_sdk, sandbox):
    seeded = new_invoice(pay_app)
    first, intent_id = start_three_d_secure(pay_app.test_client(), seeded, stripe_sdk)
    sandbox.authenticate(intent_id, "fail")
    invoice = wait_for(lambda: (i := reload(seeded["invoice"])).pending_intent_id is None and i)
    assert invoice.failed_attempts == 1 and invoice.status == "open"
    assert invoice.last_attempt_code == "payment_intent_authentication_failure"
    # the browser reports the same failure later: counted once
    late = pay_api(pay_app.test_client(), seeded, handledNextAction=intent_id)
    assert late.status_code == 402
    assert reload(seeded["invoice"]).failed_attempts == 1


def test_out_of_order_failure_after_success_is_harmless(hooked, pay_app, stripe_sdk, sandbox):
    seeded = new_invoice(pay_app)
    response, intent_id = start_three_d_secure(pay_app.test_client(), seeded, stripe_sdk)
    requires_action = wait_for(lambda: delivered(sandbox, "payment_intent.requires_action"))
    sandbox.authenticate(intent_id, "complete")
    wait_for(lambda: reload(seeded["invoice"]).status == "paid")
    sandbox.replay(requires_action[0]["event_id"])  # an old event arrives late
    wait_for(lambda: len(delivered(sandbox, "payment_intent.requires_action")) >= 2)
    invoice = reload(seeded["invoice"])
    assert invoice.status == "paid" and invoice.pending_intent_id is None


def test_dashboard_refund_is_reflected(hooked, pay_app, stripe_sdk, sandbox):
    seeded = new_invoice(pay_app)
    pay_api(pay_app.test_client(), seeded, stripeConfirmationToken=ctoken(stripe_sdk))
    with db.connection_context():
        intent_id = CustomerPayment.get().stripe_payment_intent_id
    stripe_sdk.v1.refunds.create(params={"payment_intent": intent_id, "amount": 2500})
    wait_for(lambda: delivered(sandbox, "charge.refunded"))
    with db.connection_context():
        payment = CustomerPayment.get()
        assert payment.refunded_cents == 2500
        assert Booking.get_by_id(seeded["booking"].id).balance_cents == 2500
        assert Invoice.get_by_id(seeded["invoice"].id).status == "open"
    stripe_sdk.v1.refunds.create(params={"payment_intent": intent_id})
    wait_for(lambda: len(delivered(sandbox, "charge.refunded")) >= 2)
    with db.connection_context():
        assert CustomerPayment.get().refunded_cents == 10000
        assert Booking.get_by_id(seeded["booking"].id).balance_cents == 10000
