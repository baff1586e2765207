"""Idempotency-Key: replay, mismatch, in-flight conflict, per-API-key scope."""

from __future__ import annotations

import threading
import time

import pytest
import requests
import stripe

from tests.sandbox.conftest import SK

PARAMS = {"amount": 1500, "currency": "eur", "payment_method_types": ["card"]}


def test_same_key_same_params_replays(stripe_client):
    first = stripe_client.v1.payment_intents.create(
        params=PARAMS, options={"idempotency_key": "key-1"}
    )
    again = stripe_client.v1.payment_intents.create(
        params=PARAMS, options={"idempotency_key": "key-1"}
    )
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(stripe_client.v1.payment_intents.list().data) == 1


def test_error_response_is_replayed_with_same_status(stripe_client):
    params = {**PARAMS, "confirm": True, "payment_method": "pm_card_chargeDeclined"}
    with pytest.raises(stripe.CardError) as first:
        stripe_client.v1.payment_intents.create(params=params, options={"idempotency_key": "k2"})
    with pytest.raises(stripe.CardError) as again:
        stripe_client.v1.payment_intents.create(params=params, options={"idempotency_key": "k2"})
    assert again.value.http_status == 402
    assert again.value.headers["Idempotent-Replayed"] == "true"
    assert again.value.error.payment_intent.id == first.value.error.payment_intent.id
    assert len(stripe_client.v1.payment_intents.list().data) == 1


def test_same_key_different_params_is_idempotency_error(stripe_client):
    stripe_client.v1.payment_intents.create(params=PARAMS, options={"idempotency_key": "k3"})
    with pytest.raises(stripe.IdempotencyError) as info:
        stripe_client.v1.payment_intents.create(
            params={**PARAMS, "amount": 1600}, options={"idempotency_key": "k3"}
        )
    assert info.value.http_status == 400
    assert info.value.json_body["error"]["type"] == "idempotency_error"


def test_validation_errors_are_not_saved(stripe_client):
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.create(
            params={"currency": "eur"}, options={"idempotency_key": "k4"}
        )
    # Stripe saves no result when parameters fail validation, so the key is free again.
    pi = stripe_client.v1.payment_intents.create(params=PARAMS, options={"idempotency_key": "k4"})
    assert pi.amount == 1500


def test_concurrent_requests_with_one_key_get_409(sandbox, stripe_client):
    sandbox.configure(latency_ms=600)  # holds the first request in flight
    results: dict[str, object] = {}

    def first() -> None:
        results["first"] = stripe_client.v1.payment_intents.create(
            params=PARAMS, options={"idempotency_key": "k5"}
        )

    thread = threading.Thread(target=first)
    thread.start()
    time.sleep(0.2)
    with pytest.raises(stripe.APIError) as info:
        stripe_client.v1.payment_intents.create(params=PARAMS, options={"idempotency_key": "k5"})
    thread.join()
    assert info.value.http_status == 409
    assert info.value.json_body["error"]["code"] == "idempotency_key_in_use"
    sandbox.configure(latency_ms=0)
    replay = stripe_client.v1.payment_intents.create(
        params=PARAMS, options={"idempotency_key": "k5"}
    )
    assert replay.id == results["first"].id


def test_keys_are_scoped_per_api_key(sandbox, stripe_client):
    a = stripe_client.v1.payment_intents.create(params=PARAMS, options={"idempotency_key": "k6"})
    other = stripe.StripeClient(
        "sk_test_other", base_addresses={"api": sandbox.url}, max_network_retries=0
    )
    b = other.v1.payment_intents.create(
        params={**PARAMS, "amount": 999}, options={"idempotency_key": "k6"}
    )
    assert a.id != b.id


def test_twenty_concurrent_creates(sandbox):
    def post(i: int) -> int:
        return requests.post(
            f"{sandbox.url}/v1/payment_intents",
            data={"amount": 1000 + i, "currency": "eur", "confirm": "true",
                  "payment_method": "pm_card_visa", "payment_method_types[0]": "card"},
            headers={"Authorization": f"Bearer {SK}", "Idempotency-Key": f"par-{i}"},
            timeout=10,
        ).status_code  # fmt: skip

    codes: list[int] = []
    threads = [threading.Thread(target=lambda i=i: codes.append(post(i))) for i in range(25)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 25
    listed = requests.get(
        f"{sandbox.url}/v1/payment_intents",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {SK}"},
        timeout=10,
    ).json()
    assert len(listed["data"]) == 25
