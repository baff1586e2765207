"""Twenty customers (or one impatient one) press Pay at the same moment: one charge."""

from __future__ import annotations

import threading

import requests

from models import Booking, CustomerPayment, db
from services.payments import PAID_MESSAGE, PENDING_MESSAGE
from tests.conftest import LiveServer
from tests.pay_helpers import ctoken, intents, new_invoice


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
