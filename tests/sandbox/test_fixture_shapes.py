"""The sandbox's objects carry the keys of Stripe's own example objects, with the same JSON types.

The fixtures are `tests/sandbox/data/stripe_fixtures.json` (Stripe's openapi fixtures, see its
README). A null in the fixture accepts any type; a null in the sandbox is accepted where Stripe
documents the field as nullable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.sandbox.conftest import SK, card_token

FIXTURES = Path(__file__).resolve().parent / "data" / "stripe_fixtures.json"

# Fields Stripe's API reference marks nullable whose fixture value happens to be non-null.
NULLABLE = {
    "payment_intent": {
        "canceled_at", "last_payment_error", "next_action", "processing", "shipping",
        "transfer_data", "payment_method_configuration_details", "automatic_payment_methods",
        "managed_payments",
    },
    "charge": {
        "balance_transaction", "shipping", "source", "transfer_data", "outcome.type",
        "payment_method_details.card.installments", "payment_method_details.card.three_d_secure",
        "payment_method_details.card.wallet", "description",
    },
    "confirmation_token": {"mandate_data", "payment_method_options", "return_url",
                           "setup_future_usage", "shipping"},
    "payment_method": {"card.wallet", "card.generated_from"},
    "refund": set(),
    "event": set(),
}  # fmt: skip
# Nullable wherever they appear: address and contact fields the customer did not give.
NULLABLE_LEAVES = {
    "city", "country", "line1", "line2", "postal_code", "state", "email", "name", "phone",
    "generated_from", "wallet",
}  # fmt: skip
# Type-specific hashes: the fixture shows another payment method type than card.
SKIP = {"confirmation_token": {"payment_method_preview.us_bank_account"}, "event": {"data.object"}}


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def compare(resource: str, fixture: Any, ours: Any, path: str = "") -> list[str]:
    problems: list[str] = []
    for key, expected in fixture.items():
        where = f"{path}{key}"
        if where in SKIP.get(resource, set()):
            continue
        if key not in ours:
            problems.append(f"{resource}: missing key {where}")
            continue
        actual = ours[key]
        nullable = where in NULLABLE[resource] or key in NULLABLE_LEAVES
        if expected is None or (actual is None and nullable):
            continue
        if json_type(expected) != json_type(actual):
            problems.append(
                f"{resource}: {where} is {json_type(actual)}, Stripe has {json_type(expected)}"
            )
        elif isinstance(expected, dict) and expected and key != "metadata":  # metadata: user keys
            problems += compare(resource, expected, actual, where + ".")
        elif isinstance(expected, list) and expected and actual:
            if json_type(expected[0]) != json_type(actual[0]):
                problems.append(f"{resource}: {where}[] item types differ")
            elif isinstance(expected[0], dict):
                problems += compare(resource, expected[0], actual[0], where + "[].")
    return problems


@pytest.fixture
def ours(sandbox, stripe_client) -> dict[str, dict[str, Any]]:
    token = card_token(sandbox, "4000002760003184")
    pi = stripe_client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "usd", "confirm": True,
                "confirmation_token": token["id"], "use_stripe_sdk": True}
    )  # fmt: skip
    sandbox.authenticate(pi.id, "complete")
    refund = stripe_client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 500})

    def get(path: str) -> dict[str, Any]:
        response = requests.get(
            sandbox.url + path, headers={"Authorization": f"Bearer {SK}"}, timeout=5
        )
        assert response.status_code == 200, response.text
        return response.json()

    pi_json = get(f"/v1/payment_intents/{pi.id}")
    events = get("/v1/events?limit=100")["data"]
    return {
        "payment_intent": pi_json,
        # Stripe's example charge shows `refunds`, which is there only when expanded.
        "charge": get(f"/v1/charges/{pi_json['latest_charge']}?expand[]=refunds"),
        "refund": get(f"/v1/refunds/{refund.id}"),
        "confirmation_token": get(f"/v1/confirmation_tokens/{token['id']}"),
        "payment_method": get(f"/v1/payment_methods/{pi_json['payment_method']}"),
        "event": next(e for e in events if e["type"] == "payment_intent.succeeded"),
    }


@pytest.mark.parametrize(
    "resource",
    ["payment_intent", "charge", "refund", "confirmation_token", "payment_method", "event"],
)
def test_keys_and_types_match_stripe(ours, resource):
    fixture = json.loads(FIXTURES.read_text())["resources"][resource]
    assert compare(resource, fixture, ours[resource]) == []


def test_event_object_and_preview_match_their_own_fixtures(ours):
    resources = json.loads(FIXTURES.read_text())["resources"]
    event_pi = ours["event"]["data"]["object"]
    assert compare("payment_intent", resources["payment_intent"], event_pi) == []
    preview_card = ours["confirmation_token"]["payment_method_preview"]["card"]
    assert compare("payment_method", resources["payment_method"]["card"], preview_card) == []


def test_declined_pi_matches_too(sandbox, stripe_client):
    import stripe

    with pytest.raises(stripe.CardError) as info:
        stripe_client.v1.payment_intents.create(
            params={"amount": 2000, "currency": "usd", "confirm": True,
                    "payment_method": "pm_card_chargeDeclined", "payment_method_types": ["card"]}
        )  # fmt: skip
    fixture = json.loads(FIXTURES.read_text())["resources"]["payment_intent"]
    assert compare("payment_intent", fixture, info.value.json_body["error"]["payment_intent"]) == []
