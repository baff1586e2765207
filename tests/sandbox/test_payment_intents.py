"""PaymentIntents through the real stripe SDK: test cards, test PMs, 3DS, cancel, errors."""

from __future__ import annotations

import pytest
import requests
import stripe

from tests.sandbox.conftest import PK, SK, card_token

DECLINES = [
    # (test PM, card number, code, decline_code, message)
    ("pm_card_chargeDeclined", "4000000000000002", "card_declined", "generic_decline",
     "Your card was declined."),
    ("pm_card_chargeDeclinedInsufficientFunds", "4000000000009995", "card_declined",
     "insufficient_funds", "Your card has insufficient funds."),
    ("pm_card_chargeDeclinedExpiredCard", "4000000000000069", "expired_card", "expired_card",
     "Your card has expired."),
    ("pm_card_chargeDeclinedIncorrectCvc", "4000000000000127", "incorrect_cvc", "incorrect_cvc",
     "Your card's security code is incorrect."),
]  # fmt: skip


def create(client: stripe.StripeClient, **params):
    # Card only: with automatic payment methods (Stripe's default) a confirm needs a return_url.
    base = {"amount": 2500, "currency": "eur", "metadata": {"invoice": "INV-1"},
            "payment_method_types": ["card"]}
    return client.v1.payment_intents.create(params={**base, **params})


def app_style(client: stripe.StripeClient, token: str, **params):
    """How paylink creates and confirms a PI from a ConfirmationToken."""
    return create(
        client,
        confirm=True,
        confirmation_token=token,
        automatic_payment_methods={"enabled": True},
        return_url="http://localhost:5000/pay/return",
        use_stripe_sdk=True,
        **params,
    )


def test_visa_test_pm_succeeds(stripe_client):
    pi = create(stripe_client, confirm=True, payment_method="pm_card_visa")
    assert pi.status == "succeeded"
    assert pi.amount_received == 2500
    assert pi.id.startswith("pi_") and len(pi.id) == 27
    assert pi.client_secret.startswith(pi.id + "_secret_")
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert charge.status == "succeeded" and charge.paid and charge.captured
    assert charge.payment_intent == pi.id and charge.amount == 2500
    assert stripe_client.v1.payment_intents.retrieve(pi.id).metadata["invoice"] == "INV-1"


def test_4242_typed_card_succeeds(sandbox, stripe_client):
    token = card_token(sandbox, "4242424242424242")
    assert token["id"].startswith("ctoken_")
    assert token["payment_method_preview"]["card"]["last4"] == "4242"
    pi = app_style(stripe_client, token["id"])
    assert pi.status == "succeeded"
    pm = stripe_client.v1.payment_methods.retrieve(pi.payment_method)
    assert pm.card.last4 == "4242"
    assert pm.billing_details.address.postal_code == "10115"


@pytest.mark.parametrize("test_pm,number,code,decline_code,message", DECLINES)
@pytest.mark.parametrize("source", ["test_pm", "typed_card"])
def test_declines_raise_card_error(
    sandbox, stripe_client, source, test_pm, number, code, decline_code, message
):
    with pytest.raises(stripe.CardError) as info:
        if source == "test_pm":
            create(stripe_client, confirm=True, payment_method=test_pm)
        else:
            app_style(stripe_client, card_token(sandbox, number)["id"])
    err = info.value
    assert err.http_status == 402
    assert err.code == code
    assert err.error.decline_code == decline_code
    assert err.user_message == message
    pi = err.error.payment_intent
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == code
    assert pi.last_payment_error.decline_code == decline_code
    stored = stripe_client.v1.payment_intents.retrieve(pi.id)
    assert stored.status == "requires_payment_method"
    assert stored.last_payment_error.message == message
    assert stripe_client.v1.charges.retrieve(stored.latest_charge).status == "failed"


def test_decline_then_retry_with_good_card(sandbox, stripe_client):
    with pytest.raises(stripe.CardError) as info:
        app_style(stripe_client, card_token(sandbox, "4000000000000002")["id"])
    pi_id = info.value.error.payment_intent.id
    token = card_token(sandbox, "4242424242424242")["id"]
    pi = stripe_client.v1.payment_intents.confirm(pi_id, params={"confirmation_token": token})
    assert pi.status == "succeeded"
    assert pi.last_payment_error is None


@pytest.mark.parametrize("number", ["4000002760003184", "4000000000003220"])
def test_3ds_complete(sandbox, stripe_client, number):
    pi = app_style(stripe_client, card_token(sandbox, number)["id"])
    assert pi.status == "requires_action"
    assert pi.next_action.type == "use_stripe_sdk"
    result = sandbox.authenticate(pi.id, "complete")
    assert result["payment_intent"]["status"] == "succeeded"
    pi = stripe_client.v1.payment_intents.retrieve(pi.id)
    assert pi.status == "succeeded" and pi.next_action is None
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert charge.payment_method_details.card.three_d_secure.result == "authenticated"


def test_3ds_fail(stripe_client, sandbox):
    pi = create(stripe_client, confirm=True, payment_method="pm_card_threeDSecure2Required")
    assert pi.status == "requires_action"
    sandbox.authenticate(pi.id, "fail")
    pi = stripe_client.v1.payment_intents.retrieve(pi.id)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == "payment_intent_authentication_failure"
    assert pi.last_payment_error.message == (
        "We are unable to authenticate your payment method. Please choose a different "
        "payment method and try again."
    )


def test_3ds_then_insufficient_funds(sandbox, stripe_client):
    pi = app_style(stripe_client, card_token(sandbox, "4000008260003178")["id"])
    assert pi.status == "requires_action"
    sandbox.authenticate(pi.id, "complete")
    pi = stripe_client.v1.payment_intents.retrieve(pi.id)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == "card_declined"
    assert pi.last_payment_error.decline_code == "insufficient_funds"
    types = [e.type for e in stripe_client.v1.events.list().data]
    assert types[0] == "payment_intent.payment_failed"


def test_redirect_next_action_when_return_url_without_sdk(sandbox, stripe_client):
    token = stripe_client.v1.test_helpers.confirmation_tokens.create(
        params={"payment_method": "pm_card_authenticationRequired"}
    ).id
    pi = create(
        stripe_client, confirm=True, confirmation_token=token, return_url="http://shop/return"
    )
    assert pi.next_action.type == "redirect_to_url"
    assert pi.next_action.redirect_to_url.return_url == "http://shop/return"
    assert pi.next_action.redirect_to_url.url.startswith(sandbox.url + "/v3/three-ds.html?")
    result = sandbox.authenticate(pi.id, "complete")
    assert result["redirect_url"].startswith("http://shop/return?payment_intent=" + pi.id)
    assert "redirect_status=succeeded" in result["redirect_url"]


def test_test_helper_confirmation_token(stripe_client):
    token = stripe_client.v1.test_helpers.confirmation_tokens.create(
        params={"payment_method": "pm_card_visa"}
    )
    assert token.id.startswith("ctoken_")
    assert stripe_client.v1.confirmation_tokens.retrieve(token.id).id == token.id
    pi = app_style(stripe_client, token.id)
    assert pi.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as info:  # a token is single-use
        app_style(stripe_client, token.id)
    assert info.value.code == "token_already_used"


def test_requires_confirmation_then_confirm(stripe_client):
    pi = create(stripe_client, payment_method="pm_card_visa")
    assert pi.status == "requires_confirmation"
    assert stripe_client.v1.payment_intents.confirm(pi.id).status == "succeeded"


def test_cancel_and_cancel_succeeded(stripe_client):
    pi = create(stripe_client)
    assert pi.status == "requires_payment_method"
    canceled = stripe_client.v1.payment_intents.cancel(
        pi.id, params={"cancellation_reason": "abandoned"}
    )
    assert canceled.status == "canceled" and canceled.canceled_at
    assert canceled.cancellation_reason == "abandoned"
    done = create(stripe_client, confirm=True, payment_method="pm_card_visa")
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.payment_intents.cancel(done.id)
    assert info.value.http_status == 400
    assert info.value.code == "payment_intent_unexpected_state"
    with pytest.raises(stripe.InvalidRequestError):  # confirming a succeeded PI
        stripe_client.v1.payment_intents.confirm(done.id, params={"payment_method": "pm_card_visa"})


@pytest.mark.parametrize(
    "params,param,code",
    [
        ({"currency": "eur"}, "amount", "parameter_missing"),
        ({"amount": "abc", "currency": "eur"}, "amount", "parameter_invalid_integer"),
        ({"amount": -5, "currency": "eur"}, "amount", "parameter_invalid_integer"),
        ({"amount": 10, "currency": "eur"}, "amount", "amount_too_small"),
        ({"amount": 1000, "currency": "xyz"}, "currency", "parameter_invalid_string"),
        ({"amount": 1000}, "currency", "parameter_missing"),
        ({"amount": 1000, "currency": "eur", "bogus": 1}, "bogus", "parameter_unknown"),
    ],
)
def test_bad_params(stripe_client, params, param, code):
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.payment_intents.create(params=params)
    assert info.value.http_status == 400
    assert info.value.param == param
    assert info.value.code == code


def test_unknown_id_404(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.payment_intents.retrieve("pi_nope")
    assert info.value.http_status == 404
    assert info.value.code == "resource_missing"
    assert info.value.json_body["error"] == {
        "code": "resource_missing",
        "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
        "type": "invalid_request_error",
        "param": "id",
        "message": "No such payment_intent: 'pi_nope'",
        "request_log_url": info.value.json_body["error"]["request_log_url"],
    }
    for call in (
        lambda: stripe_client.v1.charges.retrieve("ch_nope"),
        lambda: stripe_client.v1.refunds.retrieve("re_nope"),
        lambda: stripe_client.v1.events.retrieve("evt_nope"),
        lambda: stripe_client.v1.confirmation_tokens.retrieve("ctoken_nope"),
        lambda: stripe_client.v1.payment_intents.cancel("pi_nope"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as info:
            call()
        assert info.value.http_status == 404


def test_wrong_keys_401(sandbox):
    for key in ("sk_live_abcdefghijkl1234", "nonsense"):
        client = stripe.StripeClient(
            key, base_addresses={"api": sandbox.url}, max_network_retries=0
        )
        with pytest.raises(stripe.AuthenticationError) as info:
            client.v1.payment_intents.list()
        assert info.value.http_status == 401
        assert info.value.json_body["error"]["type"] == "invalid_request_error"
        assert info.value.json_body["error"]["message"].startswith("Invalid API Key provided: ")
    response = requests.get(f"{sandbox.url}/v1/payment_intents", timeout=5)
    assert response.status_code == 401


def test_publishable_key_limits(sandbox, stripe_client):
    pk_client = stripe.StripeClient(PK, base_addresses={"api": sandbox.url}, max_network_retries=0)
    for call in (
        lambda: pk_client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"}),
        lambda: pk_client.v1.payment_intents.list(),
        lambda: pk_client.v1.refunds.create(params={"payment_intent": "pi_x"}),
        lambda: pk_client.v1.events.list(),
    ):
        with pytest.raises(stripe.AuthenticationError) as info:
            call()
        assert info.value.json_body["error"]["code"] == "secret_key_required"
    pi = create(stripe_client)
    url = f"{sandbox.url}/v1/payment_intents/{pi.id}"
    ok = requests.get(url, params={"key": PK, "client_secret": pi.client_secret}, timeout=5)
    assert ok.status_code == 200 and ok.json()["id"] == pi.id
    bad = requests.get(url, params={"key": PK, "client_secret": pi.id + "_secret_x"}, timeout=5)
    assert bad.status_code == 400
    none = requests.get(url, headers={"Authorization": f"Bearer {PK}"}, timeout=5)
    assert none.status_code == 401


def test_cors_for_stripe_js_endpoints(sandbox):
    pre = requests.options(
        f"{sandbox.url}/v1/confirmation_tokens",
        headers={"Origin": "http://localhost:5000", "Access-Control-Request-Method": "POST"},
        timeout=5,
    )
    assert pre.status_code in (200, 204)
    assert pre.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    token = requests.post(
        f"{sandbox.url}/v1/confirmation_tokens",
        data={"key": PK},
        headers={"Origin": "http://localhost:5000"},
        timeout=5,
    )
    assert token.headers["Access-Control-Allow-Origin"] == "*"


def test_list_and_expand(stripe_client):
    ids = [create(stripe_client).id for _ in range(3)]
    listed = stripe_client.v1.payment_intents.list(params={"limit": 2})
    assert [p.id for p in listed.data] == ids[::-1][:2]
    assert listed.has_more
    pi = create(stripe_client, confirm=True, payment_method="pm_card_visa")
    expanded = stripe_client.v1.payment_intents.retrieve(
        pi.id, params={"expand": ["latest_charge"]}
    )
    assert expanded.latest_charge.object == "charge"


def test_bad_card_number_rejected_at_token(sandbox):
    response = requests.post(
        f"{sandbox.url}/v1/confirmation_tokens",
        data={
            "key": PK,
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": "4242424242424241",
            "payment_method_data[card][exp_month]": "12",
            "payment_method_data[card][exp_year]": "2040",
            "payment_method_data[card][cvc]": "123",
        },
        timeout=5,
    )
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "incorrect_number"


def test_fail_mode_503_and_secret_key_constant(sandbox, stripe_client):
    sandbox.configure(fail_mode="503")
    with pytest.raises(stripe.APIError) as info:
        create(stripe_client)
    assert info.value.http_status == 503
    sandbox.configure(fail_mode=None)
    assert create(stripe_client).status == "requires_payment_method"
    assert SK.startswith("sk_test_")
