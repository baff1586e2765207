"""Refunds: partial, full, over-refund, and the charge's refund bookkeeping."""

from __future__ import annotations

import pytest
import stripe


def paid(client: stripe.StripeClient, amount: int = 5000):
    return client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "eur",
            "confirm": True,
            "payment_method": "pm_card_visa",
            "payment_method_types": ["card"],
        }
    )


def test_partial_then_full_refund(stripe_client):
    pi = paid(stripe_client)
    first = stripe_client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 2000})
    assert first.id.startswith("re_") and first.status == "succeeded" and first.amount == 2000
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert charge.amount_refunded == 2000 and charge.refunded is False
    rest = stripe_client.v1.refunds.create(params={"payment_intent": pi.id})
    assert rest.amount == 3000
    charge = stripe_client.v1.charges.retrieve(
        pi.latest_charge, params={"expand": ["refunds"]})
    assert charge.amount_refunded == 5000 and charge.refunded is True
    assert [r.id for r in charge.refunds.data] == [rest.id, first.id]
    assert stripe_client.v1.refunds.retrieve(first.id).charge == charge.id
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1})
    assert info.value.code == "charge_already_refunded"


def test_over_refund_is_400(stripe_client):
    pi = paid(stripe_client, 1000)
    stripe_client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 400})
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 700})
    assert info.value.http_status == 400
    assert info.value.param == "amount"
    assert "greater than" in info.value.user_message
    assert stripe_client.v1.charges.retrieve(pi.latest_charge).amount_refunded == 400


def test_refund_of_unpaid_pi_and_unknown_pi(stripe_client):
    pi = stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"})
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.refunds.create(params={"payment_intent": pi.id})
    assert info.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.refunds.create(params={"payment_intent": "pi_unknown"})
    assert info.value.http_status == 404


def test_refund_emits_charge_refunded(stripe_client):
    pi = paid(stripe_client)
    stripe_client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 100})
    events = stripe_client.v1.events.list(params={"type": "charge.refunded"}).data
    assert len(events) == 1
    assert events[0].data.object.amount_refunded == 100


def test_list_refunds_filtered_by_payment_intent(stripe_client):
    a, b = paid(stripe_client), paid(stripe_client)
    stripe_client.v1.refunds.create(params={"payment_intent": a.id, "amount": 100})
    stripe_client.v1.refunds.create(params={"payment_intent": b.id, "amount": 200})
    listed = stripe_client.v1.refunds.list(params={"payment_intent": a.id}).data
    assert [r.amount for r in listed] == [100]
    assert len(stripe_client.v1.refunds.list().data) == 2
