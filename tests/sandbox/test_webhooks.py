"""Webhooks: signed delivery to a real local endpoint, retries, replay, switching off."""

from __future__ import annotations

import contextlib
import time

import stripe

from tests.sandbox.conftest import WEBHOOK_SECRET, wait_for


def pay(client: stripe.StripeClient, pm: str = "pm_card_visa"):
    return client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "eur", "confirm": True, "payment_method": pm,
                "payment_method_types": ["card"]}
    )


def succeeded_call(receiver) -> dict:
    """The delivery of payment_intent.succeeded (created and charge.succeeded come too)."""
    wait_for(lambda: any("payment_intent.succeeded" in c["body"] for c in receiver.calls))
    return next(c for c in receiver.calls if '"payment_intent.succeeded"' in c["body"])


def test_event_delivered_and_signature_verifies(stripe_client, webhook_receiver):
    pi = pay(stripe_client)
    call = succeeded_call(webhook_receiver)
    event = stripe.Webhook.construct_event(
        call["body"], call["headers"]["Stripe-Signature"], WEBHOOK_SECRET
    )
    assert event.type == "payment_intent.succeeded"
    assert event.data.object.id == pi.id
    assert event.id.startswith("evt_")
    stored = stripe_client.v1.events.retrieve(event.id)
    assert stored.data.object.status == "succeeded"
    wait_for(lambda: stripe_client.v1.events.retrieve(event.id).pending_webhooks == 0)


def test_wrong_secret_fails_verification(stripe_client, webhook_receiver):
    pay(stripe_client)
    wait_for(lambda: webhook_receiver.calls)
    call = webhook_receiver.calls[0]
    try:
        stripe.Webhook.construct_event(call["body"], call["headers"]["Stripe-Signature"], "whsec_x")
    except stripe.SignatureVerificationError:
        pass
    else:
        raise AssertionError("a wrong secret must not verify")


def test_retry_after_non_2xx(sandbox, stripe_client, webhook_receiver):
    sandbox.configure(webhooks_enabled=False)
    pi = stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"})
    sandbox.configure(webhooks_enabled=True)
    webhook_receiver.statuses = [500, 503]
    stripe_client.v1.payment_intents.cancel(pi.id)  # one event: payment_intent.canceled
    wait_for(lambda: len(webhook_receiver.calls) >= 3)
    assert [c["status"] for c in webhook_receiver.calls[:3]] == [500, 503, 200]
    deliveries = sandbox.deliveries()
    assert [d["status"] for d in deliveries] == [500, 503, 200]
    assert [d["attempt"] for d in deliveries] == [1, 2, 3]
    time.sleep(0.3)
    assert len(webhook_receiver.calls) == 3  # no more after a 2xx


def test_retry_after_connection_error(sandbox, stripe_client):
    sandbox.configure(webhook_url="http://127.0.0.1:9/unreachable", webhook_max_attempts=2)
    pay(stripe_client)
    deliveries = wait_for(lambda: len(sandbox.deliveries()) >= 2 and sandbox.deliveries())
    assert all(d["status"] is None and d["error"] for d in deliveries)


def test_delivery_off_then_replay(sandbox, stripe_client, webhook_receiver):
    sandbox.configure(webhooks_enabled=False)
    pi = pay(stripe_client)
    time.sleep(0.3)
    assert webhook_receiver.calls == []
    event = stripe_client.v1.events.list(params={"type": "payment_intent.succeeded"}).data[0]
    assert event.data.object.id == pi.id
    record = sandbox.replay(event.id)
    assert record["status"] == 200 and record["replay"] is True
    assert webhook_receiver.events()[0]["id"] == event.id


def test_delivery_delay(sandbox, stripe_client, webhook_receiver):
    sandbox.configure(webhook_delay_ms=400)
    started = time.monotonic()
    pay(stripe_client)
    assert time.monotonic() - started < 0.3  # the API response never waits for webhooks
    time.sleep(0.2)
    assert webhook_receiver.calls == []
    wait_for(lambda: webhook_receiver.calls)


def test_event_types(sandbox, stripe_client, webhook_receiver):
    pay(stripe_client)
    with contextlib.suppress(stripe.CardError):
        pay(stripe_client, "pm_card_chargeDeclined")
    action = pay(stripe_client, "pm_card_threeDSecure2Required")
    canceled = stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"})
    stripe_client.v1.payment_intents.cancel(canceled.id)
    paid = pay(stripe_client)
    stripe_client.v1.refunds.create(params={"payment_intent": paid.id})
    expected = {
        "payment_intent.created",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.requires_action",
        "payment_intent.canceled",
        "charge.succeeded",
        "charge.failed",
        "charge.refunded",
        "refund.created",
    }
    listed = stripe_client.v1.events.list(params={"limit": 100}).data
    assert {e.type for e in listed} == expected
    wait_for(lambda: len(webhook_receiver.calls) >= len(listed))
    assert {e["type"] for e in webhook_receiver.events()} == expected
    assert action.status == "requires_action"
