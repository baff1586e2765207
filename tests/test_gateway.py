"""services.gateway.create_payment_intent: the SDK's request path without its object model,
against the sandbox; the same answers, errors and idempotency as the typed call."""

from __future__ import annotations

import pytest

from services import gateway


def params(stripe_sdk, card: str = "pm_card_visa") -> dict:
    token = stripe_sdk.v1.test_helpers.confirmation_tokens.create(
        params={"payment_method": card}).id
    return {"amount": 4321, "currency": "usd", "confirm": True, "confirmation_token": token,
            "automatic_payment_methods": {"enabled": True}, "use_stripe_sdk": True,
            "metadata": {"invoice_uuid": "inv-1", "amount_cents": "4321"}}


def test_reads_like_the_sdk_object(stripe_sdk):
    intent = gateway.create_payment_intent(stripe_sdk, params(stripe_sdk),
                                           {"idempotency_key": "gw-1"})
    same = stripe_sdk.v1.payment_intents.retrieve(intent.id)
    assert intent.status == same.status == "succeeded"
    assert (intent.amount, intent.currency) == (same.amount, same.currency) == (4321, "usd")
    assert intent.metadata.to_dict() == same.metadata.to_dict() == {
        "invoice_uuid": "inv-1", "amount_cents": "4321"}
    assert intent.latest_charge == same.latest_charge
    assert getattr(intent, "next_action", "absent") is None  # present, null
    assert getattr(intent, "no_such_field", "absent") == "absent"
    with pytest.raises(AttributeError):
        _ = intent.no_such_field


def test_idempotency_key_replays_the_first_answer(stripe_sdk):
    call = params(stripe_sdk)
    first = gateway.create_payment_intent(stripe_sdk, call, {"idempotency_key": "k"})
    again = gateway.create_payment_intent(stripe_sdk, call, {"idempotency_key": "k"})
    assert again.id == first.id and again.status == "succeeded"
    with pytest.raises(gateway.StripeError):  # the same key with other parameters
        gateway.create_payment_intent(stripe_sdk, {**call, "amount": 1},
                                      {"idempotency_key": "k"})


def test_decline_raises_the_sdk_card_error(stripe_sdk):
    with pytest.raises(gateway.CardError) as caught:
        gateway.create_payment_intent(stripe_sdk, params(stripe_sdk, "pm_card_chargeDeclined"),
                                      {"idempotency_key": "gw-declined"})
    assert caught.value.error.decline_code == "generic_decline"


def test_three_d_secure_next_action_is_readable(stripe_sdk):
    intent = gateway.create_payment_intent(
        stripe_sdk, params(stripe_sdk, "pm_card_threeDSecure2Required"),
        {"idempotency_key": "gw-3ds"})
    assert intent.status == "requires_action"
    assert intent.next_action.type == "use_stripe_sdk"
    assert intent.client_secret.startswith(intent.id + "_secret_")
