"""Where the sandbox once differed from Stripe (issue 16), each through the real stripe SDK or
plain HTTP: list cursors, manual capture, automatic payment methods by default, the events of
each flow, Stripe-Version, charge refunds only when expanded, update routes, /search, and
Stripe's JSON answer (with Request-Id) to an unknown URL or method.
"""

from __future__ import annotations

import pytest
import requests
import stripe

from sandbox.objects import API_VERSION
from tests.sandbox.conftest import SK

CARD_ONLY = {"currency": "usd", "payment_method_types": ["card"]}


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {SK}"}


def paid(client: stripe.StripeClient, amount: int = 2000, **extra):
    return client.v1.payment_intents.create(
        params={"amount": amount, "confirm": True, "payment_method": "pm_card_visa",
                **CARD_ONLY, **extra}
    )  # fmt: skip


def event_types(client: stripe.StripeClient) -> list[str]:
    """Oldest first."""
    events = client.v1.events.list(params={"limit": 100}).auto_paging_iter()
    return [e.type for e in reversed(list(events))]


# ---- list pagination ---------------------------------------------------------------------
def test_cursors_walk_every_page_once_and_auto_paging_ends(stripe_client):
    created = [
        stripe_client.v1.payment_intents.create(params={"amount": 1000 + i, **CARD_ONLY}).id
        for i in range(23)
    ]
    walked = [
        pi.id
        for pi in stripe_client.v1.payment_intents.list(params={"limit": 5}).auto_paging_iter()
    ]
    assert walked == list(reversed(created))  # newest first, none twice, and it stops

    first = stripe_client.v1.payment_intents.list(params={"limit": 5})
    second = stripe_client.v1.payment_intents.list(
        params={"limit": 5, "starting_after": first.data[-1].id}
    )
    assert [p.id for p in second.data] == walked[5:10] and second.has_more is True
    back = stripe_client.v1.payment_intents.list(
        params={"limit": 5, "ending_before": second.data[0].id}
    )
    assert [p.id for p in back.data] == walked[:5] and back.has_more is False
    last = stripe_client.v1.payment_intents.list(params={"limit": 5, "starting_after": walked[19]})
    assert [p.id for p in last.data] == walked[20:] and last.has_more is False


def test_a_cursor_that_does_not_exist_is_resource_missing(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.refunds.list(params={"starting_after": "re_nope"})
    assert info.value.http_status == 404 and info.value.error.param == "starting_after"


# ---- capture_method=manual -----------------------------------------------------------------
def test_manual_capture_holds_then_captures_part(stripe_client):
    pi = paid(stripe_client, 5000, capture_method="manual")
    assert pi.status == "requires_capture"
    assert pi.amount_capturable == 5000 and pi.amount_received == 0
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert charge.captured is False and charge.amount_captured == 0 and charge.paid is True

    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 6000})
    captured = stripe_client.v1.payment_intents.capture(
        pi.id, params={"amount_to_capture": 3000}
    )
    assert captured.status == "succeeded"
    assert captured.amount_received == 3000 and captured.amount_capturable == 0
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert charge.captured is True and charge.amount_captured == 3000
    assert charge.amount_refunded == 2000  # the uncaptured rest goes back to the card
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.payment_intents.capture(pi.id)
    assert info.value.code == "payment_intent_unexpected_state"
    refund = stripe_client.v1.refunds.create(params={"payment_intent": pi.id})
    assert refund.amount == 3000
    types = event_types(stripe_client)
    assert types.index("payment_intent.amount_capturable_updated") < types.index("charge.captured")
    assert types.index("charge.captured") < types.index("payment_intent.succeeded")


def test_cancel_releases_a_held_payment(stripe_client):
    pi = paid(stripe_client, 5000, capture_method="manual")
    canceled = stripe_client.v1.payment_intents.cancel(pi.id)
    assert canceled.status == "canceled" and canceled.amount_capturable == 0
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert charge.refunded is True and charge.amount_refunded == 5000
    assert {"charge.refunded", "payment_intent.canceled"} <= set(event_types(stripe_client))


def test_capture_of_an_automatic_intent_is_refused(stripe_client):
    pi = paid(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.payment_intents.capture(pi.id)
    assert info.value.code == "payment_intent_unexpected_state"


# ---- automatic_payment_methods ---------------------------------------------------------
def test_automatic_payment_methods_on_unless_types_are_given(stripe_client):
    default = stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    assert default.automatic_payment_methods.enabled is True
    assert default.automatic_payment_methods.allow_redirects == "always"
    typed = stripe_client.v1.payment_intents.create(params={"amount": 1000, **CARD_ONLY})
    assert typed.automatic_payment_methods is None
    with pytest.raises(stripe.InvalidRequestError) as info:  # redirects allowed: return_url
        stripe_client.v1.payment_intents.confirm(
            default.id, params={"payment_method": "pm_card_visa"})
    assert info.value.error.param == "return_url"


# ---- events ----------------------------------------------------------------------------------
def test_the_events_stripe_sends_for_each_flow(stripe_client):
    pi = paid(stripe_client)
    assert event_types(stripe_client) == [
        "payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]  # fmt: skip
    stripe_client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 500})
    assert event_types(stripe_client)[-2:] == ["refund.created", "charge.refunded"]

    with pytest.raises(stripe.CardError):
        paid(stripe_client, payment_method="pm_card_chargeDeclined")
    assert event_types(stripe_client)[-3:] == [
        "payment_intent.created", "charge.failed", "payment_intent.payment_failed"]  # fmt: skip

    action = paid(stripe_client, payment_method="pm_card_threeDSecure2Required")
    assert event_types(stripe_client)[-1] == "payment_intent.requires_action"
    stripe_client.v1.payment_intents.cancel(action.id)
    assert event_types(stripe_client)[-1] == "payment_intent.canceled"
    refund_event = stripe_client.v1.events.list(params={"type": "refund.created"}).data[0]
    assert refund_event.data.object.object == "refund"


# ---- Stripe-Version ----------------------------------------------------------------------------
def test_stripe_version_is_echoed_and_checked(sandbox):
    asked = requests.get(f"{sandbox.url}/v1/events", timeout=5,
                         headers={**auth(), "Stripe-Version": "2023-08-16"})  # fmt: skip
    assert asked.status_code == 200 and asked.headers["Stripe-Version"] == "2023-08-16"
    default = requests.get(f"{sandbox.url}/v1/events", headers=auth(), timeout=5)
    assert default.headers["Stripe-Version"] == API_VERSION
    wrong = requests.get(f"{sandbox.url}/v1/events", timeout=5,
                         headers={**auth(), "Stripe-Version": "last tuesday"})  # fmt: skip
    assert wrong.status_code == 400
    assert wrong.json()["error"]["type"] == "invalid_request_error"


def test_older_versions_keep_their_defaults(sandbox):
    """Before 2023-08-16 no automatic payment methods by default; before 2022-11-15 refunds."""
    old = stripe.StripeClient(SK, base_addresses={"api": sandbox.url},
                              stripe_version="2022-08-01")  # fmt: skip
    new = stripe.StripeClient(SK, base_addresses={"api": sandbox.url})
    params = {"amount": 1000, "currency": "usd"}
    assert old.v1.payment_intents.create(params=params).automatic_payment_methods is None
    assert new.v1.payment_intents.create(params=params).automatic_payment_methods.enabled is True
    pi = paid(new)
    assert "refunds" in old.v1.charges.retrieve(pi.latest_charge)
    assert "refunds" not in new.v1.charges.retrieve(pi.latest_charge)
    expanded = old.v1.payment_intents.retrieve(pi.id, params={"expand": ["latest_charge"]})
    assert expanded.latest_charge.refunds.object == "list"


def test_the_sdk_sees_its_own_version(sandbox):
    client = stripe.StripeClient(SK, base_addresses={"api": sandbox.url},
                                 stripe_version="2024-06-20")  # fmt: skip
    pi = client.v1.payment_intents.create(params={"amount": 1000, **CARD_ONLY})
    assert pi.last_response.headers["Stripe-Version"] == "2024-06-20"


# ---- charges and refunds ---------------------------------------------------------------------
def test_charge_refunds_only_when_expanded(stripe_client):
    pi = paid(stripe_client)
    refund = stripe_client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 700})
    plain = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert "refunds" not in plain and plain.amount_refunded == 700
    expanded = stripe_client.v1.charges.retrieve(pi.latest_charge, params={"expand": ["refunds"]})
    assert [r.id for r in expanded.refunds.data] == [refund.id]
    intent = stripe_client.v1.payment_intents.retrieve(pi.id, params={"expand": ["latest_charge"]})
    assert "refunds" not in intent.latest_charge
    deep = stripe_client.v1.payment_intents.retrieve(
        pi.id, params={"expand": ["latest_charge.refunds"]})
    assert deep.latest_charge.refunds.data[0].id == refund.id
    refunded_event = stripe_client.v1.events.list(params={"type": "charge.refunded"}).data[0]
    assert "refunds" not in refunded_event.data.object


# ---- update routes, unknown routes and methods ----------------------------------------------
def test_update_routes(stripe_client):
    pi = stripe_client.v1.payment_intents.create(
        params={"amount": 1000, "metadata": {"a": "1", "b": "2"}, **CARD_ONLY})
    updated = stripe_client.v1.payment_intents.update(
        pi.id, params={"amount": 1500, "description": "Kayak", "metadata": {"b": "", "c": "3"}})
    assert updated.amount == 1500 and updated.description == "Kayak"
    assert updated.metadata.to_dict() == {"a": "1", "c": "3"}
    done = stripe_client.v1.payment_intents.confirm(
        pi.id, params={"payment_method": "pm_card_visa"})
    assert done.amount_received == 1500
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.payment_intents.update(pi.id, params={"amount": 2000})
    assert info.value.code == "payment_intent_unexpected_state"
    charge = stripe_client.v1.charges.update(done.latest_charge, params={"metadata": {"k": "v"}})
    assert charge.metadata.k == "v"
    refund = stripe_client.v1.refunds.create(params={"payment_intent": pi.id})
    tagged = stripe_client.v1.refunds.update(refund.id, params={"metadata": {"r": "1"}})
    assert tagged.metadata.r == "1"
    pm = stripe_client.v1.payment_methods.update(
        done.payment_method, params={"billing_details": {"name": "Pat Doe"}})
    assert pm.billing_details.name == "Pat Doe"


@pytest.mark.parametrize(
    "method,path",
    [("DELETE", "/v1/payment_intents/pi_1"), ("PUT", "/v1/refunds"), ("GET", "/v1/nope"),
     ("POST", "/v1/events/evt_1"), ("PATCH", "/v1/charges/ch_1")],
)  # fmt: skip
def test_unknown_routes_and_methods_answer_stripes_json(sandbox, method, path):
    response = requests.request(method, sandbox.url + path, headers=auth(), timeout=5)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Request-Id"].startswith("req_")
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith(f"Unrecognized request URL ({method}: {path}).")


def test_unknown_urls_outside_v1_have_a_request_id_too(sandbox):
    response = requests.get(sandbox.url + "/v2/nothing", timeout=5)
    assert response.status_code == 404 and response.headers["Request-Id"].startswith("req_")


# ---- search --------------------------------------------------------------------------------------
def test_search_is_not_read_as_an_id(stripe_client, sandbox):
    a = paid(stripe_client, 1200, metadata={"invoice": "INV-7"})
    paid(stripe_client, 900, metadata={"invoice": "INV-8"})
    open_one = stripe_client.v1.payment_intents.create(params={"amount": 5000, **CARD_ONLY})
    found = stripe_client.v1.payment_intents.search(
        params={"query": "metadata['invoice']:'INV-7'"})
    assert [p.id for p in found.data] == [a.id] and found.object == "search_result"
    big = stripe_client.v1.payment_intents.search(
        params={"query": "amount>1000 AND status:'succeeded'"})
    assert [p.id for p in big.data] == [a.id]
    every = stripe_client.v1.payment_intents.search(
        params={"query": "currency:'usd'", "limit": 1}).auto_paging_iter()
    assert len(list(every)) == 3  # next_page walks and ends
    not_open = stripe_client.v1.payment_intents.search(
        params={"query": "-status:'requires_payment_method'"})
    assert open_one.id not in [p.id for p in not_open.data]
    charges = stripe_client.v1.charges.search(params={"query": "amount<1000"})
    assert [c.amount for c in charges.data] == [900]
    bare = requests.get(f"{sandbox.url}/v1/payment_intents/search", headers=auth(), timeout=5)
    assert bare.status_code == 400 and bare.json()["error"]["param"] == "query"
    assert "No such" not in bare.json()["error"]["message"]
