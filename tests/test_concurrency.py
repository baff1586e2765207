"""Twenty customers (or one impatient one) press Pay at the same moment: one charge."""

from __future__ import annotations

import threading

import pytest
import requests

from models import Booking, CustomerPayment, db
from services.payments.finalisation import finalise
from services.payments.rules import PAID_MESSAGE, PENDING_MESSAGE
from tests.conftest import LiveServer
from tests.pay_helpers import ctoken, intents, new_invoice


@pytest.mark.pgbouncer
def test_twenty_concurrent_confirms_charge_once(any_pay_app, stripe_sdk, sandbox):
    seeded = new_invoice(any_pay_app)
    tokens = [ctoken(stripe_sdk) for _ in range(20)]
    # A slow Stripe widens the race window: every request is in flight together.
    sandbox.configure(latency_ms=150)
    barrier = threading.Barrier(20)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def press(url: str, token: str, n: int) -> None:
        barrier.wait()
        response = requests.post(url, json={
            "stripeConfirmationToken": token, "agreements": seeded["agreements"],
            "attemptKey": f"attempt-{n:04d}"}, timeout=60)
        with lock:
            results.append((response.status_code, response.json()))

    with LiveServer(any_pay_app) as server:
        url = f"{server.url}/api/v1/invoices/{seeded['uuid']}/pay"
        threads = [threading.Thread(target=press, args=(url, t, n)) for n, t in enumerate(tokens)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
    sandbox.configure(latency_ms=0)

    assert len(results) == 20
    succeeded = [body for status, body in results if status == 200]
    refused = [body for status, body in results if status == 409]
    assert len(succeeded) == 1, results
    assert len(refused) == 19, results
    assert {body["message"] for body in refused} <= {PENDING_MESSAGE, PAID_MESSAGE}
    assert [i.status for i in intents(stripe_sdk)] == ["succeeded"]
    with db.connection_context():
        assert CustomerPayment.select().count() == 1
        assert Booking.get_by_id(seeded["booking"].id).balance_cents == 0


@pytest.mark.pgbouncer
def test_concurrent_finalisers_record_one_payment(any_pay_app, stripe_sdk):
    """The browser, the return URL and webhooks may finalise one PaymentIntent together:
    whoever waits for the invoice lock must see the payment its holder just recorded."""
    seeded = new_invoice(any_pay_app)
    intent = stripe_sdk.v1.payment_intents.create(params={
        "amount": 10000, "currency": "usd", "confirm": True,
        "confirmation_token": ctoken(stripe_sdk),
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        "metadata": {"invoice_uuid": seeded["uuid"], "amount_cents": "10000",
                     "tip_cents": "0", "attempt_key": "finalisers"},
    })
    assert intent.status == "succeeded"
    barrier = threading.Barrier(8)
    outcomes: list[object] = []

    def finalise_once() -> None:
        with any_pay_app.app_context(), db.connection_context():
            barrier.wait()
            try:
                outcomes.append(finalise(intent)["confirmationNumber"])
            except Exception as exc:  # noqa: BLE001 (the assertion below shows it)
                outcomes.append(exc)

    threads = [threading.Thread(target=finalise_once) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(outcomes) == 8 and len(set(outcomes)) == 1, outcomes
    assert isinstance(outcomes[0], str) and outcomes[0].startswith("P-")
    with db.connection_context():
        assert CustomerPayment.select().count() == 1
        assert Booking.get_by_id(seeded["booking"].id).balance_cents == 0
