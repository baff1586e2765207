"""The Stripe.js double in a real Chromium: a bare shop page on another origin pays through it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe
from flask import Flask, Response, jsonify, request
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.sandbox.conftest import PK

pytestmark = pytest.mark.browser

CARD_FRAME = 'iframe[title="Secure payment input frame"]'
THREE_DS_FRAME = 'iframe[title="3D Secure authentication"]'
CHALLENGE_FRAME = 'iframe[name="stripe-challenge-frame"]'


def challenge(scope):
    return scope.frame_locator(THREE_DS_FRAME).frame_locator(CHALLENGE_FRAME)
PAGE_JS = (Path(__file__).parent / "shop" / "page.js").read_text()


class Server:
    def __init__(self, app: Flask, host: str) -> None:
        self.server = make_server(host, 0, app, threaded=True)
        self.url = f"http://{host}:{self.server.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()


def shop_app(sandbox_url: str, client: stripe.StripeClient) -> Flask:
    app = Flask(__name__)
    csp = (
        f"default-src 'self'; script-src 'self' {sandbox_url}; frame-src {sandbox_url}; "
        f"connect-src 'self' {sandbox_url}; style-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'self'"
    )

    @app.get("/")
    def page() -> Response:
        html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<script src="{sandbox_url}/v3/"></script></head>
<body data-pk="{PK}"><h1>Pay invoice</h1>
<div id="payment-element"></div>
<button type="button" id="pay">Pay</button>
<button type="button" id="confirm-pay">Pay with confirmPayment</button>
<p>complete: <span id="complete">false</span></p><p id="result"></p>
<script src="/page.js"></script></body></html>"""
        return Response(html, headers={"Content-Security-Policy": csp})

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status=204)

    @app.get("/page.js")
    def script() -> Response:
        return Response(PAGE_JS, mimetype="application/javascript")

    @app.post("/pay")
    def pay() -> Response:
        # What paylink's server does with the browser's ConfirmationToken.
        try:
            pi = client.v1.payment_intents.create(
                params={
                    "amount": 2500,
                    "currency": "eur",
                    "confirm": True,
                    "confirmation_token": request.json["token"],
                    "automatic_payment_methods": {"enabled": True},
                    "return_url": request.host_url + "return",
                    "use_stripe_sdk": True,
                }
            )
        except stripe.CardError as exc:
            return jsonify(error={"code": exc.code, "decline_code": exc.error.decline_code})
        return jsonify(id=pi.id, status=pi.status, client_secret=pi.client_secret)

    @app.post("/intent")
    def intent() -> Response:
        pi = client.v1.payment_intents.create(
            params={
                "amount": 2500,
                "currency": "eur",
                "automatic_payment_methods": {"enabled": True},
            }
        )
        return jsonify(id=pi.id, client_secret=pi.client_secret)

    @app.get("/return")
    def back() -> Response:
        return Response(f"<p id='back'>{json.dumps(dict(request.args))}</p>")

    return app


@pytest.fixture
def shop(sandbox, stripe_client) -> Iterator[Server]:
    # "localhost" vs the sandbox's "127.0.0.1": two different origins, as in production.
    server = Server(shop_app(sandbox.url, stripe_client), "localhost")
    yield server
    server.stop()


def fill_card(frame, number: str, expiry: str = "1234", cvc: str = "123", postal: str = "10115"):
    frame.locator('input[name="number"]').press_sequentially(number)
    frame.locator('input[name="expiry"]').press_sequentially(expiry)
    frame.locator('input[name="cvc"]').fill(cvc)
    frame.locator('input[name="postalCode"]').fill(postal)


def open_shop(page, shop):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(shop.url)
    page.wait_for_selector("body[data-ready='1']")
    return page.frame_locator(CARD_FRAME), errors


def result(page) -> str:
    # Locator waits, not wait_for_function: the page's CSP forbids eval.
    expect(page.locator("#result")).not_to_have_text("", timeout=10_000)
    return page.inner_text("#result")


def assert_no_card_data(page, number: str) -> None:
    messages = page.evaluate("window.__messages")
    assert messages, "the parent should have received postMessages"
    for message in messages:
        assert number not in message.replace(" ", "")
        assert '"cvc"' not in message and '"number"' not in message


def test_4242_without_3ds(page, shop, stripe_client):
    frame, errors = open_shop(page, shop)
    fill_card(frame, "4242424242424242")
    assert frame.locator('input[name="number"]').input_value() == "4242 4242 4242 4242"
    assert frame.locator('input[name="expiry"]').input_value() == "12 / 34"
    expect(page.locator("#complete")).to_have_text("true")
    page.click("#pay")
    status, pi_id = result(page).split(":")[1:]
    assert status == "succeeded"
    assert stripe_client.v1.payment_intents.retrieve(pi_id).status == "succeeded"
    assert_no_card_data(page, "4242424242424242")
    assert errors == []


def test_3ds_complete_in_modal(page, shop, stripe_client):
    frame, errors = open_shop(page, shop)
    fill_card(frame, "4000002760003184")
    page.click("#pay")
    challenge(page).get_by_role("button", name="Complete", exact=True).click()
    text = result(page)
    assert text.startswith("done:succeeded:"), text
    pi = stripe_client.v1.payment_intents.retrieve(text.split(":")[2])
    assert pi.status == "succeeded"
    assert page.locator(THREE_DS_FRAME).count() == 0  # the modal closed
    assert_no_card_data(page, "4000002760003184")
    assert errors == []


def test_3ds_fail_in_modal(page, shop, stripe_client):
    frame, _ = open_shop(page, shop)
    fill_card(frame, "4000000000003220")
    page.click("#pay")
    challenge(page).get_by_role("button", name="Fail", exact=True).click()
    code, pi_id = result(page).split(":")[1:]
    assert code == "payment_intent_authentication_failure"
    pi = stripe_client.v1.payment_intents.retrieve(pi_id)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == "payment_intent_authentication_failure"


def test_3ds_then_insufficient_funds(page, shop, stripe_client):
    frame, _ = open_shop(page, shop)
    fill_card(frame, "4000008260003178")
    page.click("#pay")
    challenge(page).get_by_role("button", name="Complete", exact=True).click()
    code, pi_id = result(page).split(":")[1:]
    assert code == "card_declined"
    pi = stripe_client.v1.payment_intents.retrieve(pi_id)
    assert pi.last_payment_error.decline_code == "insufficient_funds"


def test_decline_reported_by_server(page, shop):
    frame, _ = open_shop(page, shop)
    fill_card(frame, "4000000000009995")
    page.click("#pay")
    assert result(page) == "declined:card_declined:insufficient_funds"


def test_incomplete_form_shows_errors(page, shop):
    frame, _ = open_shop(page, shop)
    frame.locator('input[name="number"]').press_sequentially("4242")
    page.click("#pay")
    assert result(page) == "submit-error:Your card number is incomplete."
    error = frame.locator("#number-error")
    assert error.inner_text() == "Your card number is incomplete."
    assert frame.locator('input[name="number"]').get_attribute("aria-invalid") == "true"
    assert frame.get_by_label("Card number").count() == 1  # labelled, accessible inputs
    assert frame.get_by_label("Expiration date").count() == 1


def test_confirm_payment_with_3ds(page, shop, stripe_client):
    frame, _ = open_shop(page, shop)
    fill_card(frame, "4000002760003184")
    page.click("#confirm-pay")
    challenge(page).get_by_role("button", name="Complete", exact=True).click()
    text = result(page)
    assert text.startswith("done:succeeded:"), text
    assert stripe_client.v1.payment_intents.retrieve(text.split(":")[2]).status == "succeeded"


def test_redirect_to_url_page(page, shop, stripe_client):
    token = stripe_client.v1.test_helpers.confirmation_tokens.create(
        params={"payment_method": "pm_card_threeDSecure2Required"}
    )
    pi = stripe_client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "eur", "confirm": True,
                "confirmation_token": token.id, "return_url": shop.url + "/return"}
    )  # fmt: skip
    assert pi.next_action.type == "redirect_to_url"
    page.goto(pi.next_action.redirect_to_url.url)
    page.get_by_role("button", name="Complete", exact=True).click()
    page.wait_for_url(shop.url + "/return?*")
    args = json.loads(page.inner_text("#back"))
    assert args["payment_intent"] == pi.id
    assert args["redirect_status"] == "succeeded"
    assert args["payment_intent_client_secret"] == pi.client_secret


def test_works_inside_cross_origin_iframe(page, sandbox, shop, stripe_client):
    merchant = Flask("merchant")

    @merchant.get("/")
    def embed() -> str:
        return (
            f'<iframe id="paylink" title="Pay" src="{shop.url}/" width="600" height="700"></iframe>'
        )

    server = Server(merchant, "127.0.0.1")
    try:
        page.goto(server.url)
        shop_frame = page.frame_locator("#paylink")
        card = shop_frame.frame_locator(CARD_FRAME)
        fill_card(card, "4000002760003184")
        shop_frame.locator("#pay").click()
        challenge(shop_frame).get_by_role("button", name="Complete", exact=True).click()
        shop_frame.locator("#result").filter(has_text="done:").wait_for()
        text = shop_frame.locator("#result").inner_text()
        assert stripe_client.v1.payment_intents.retrieve(text.split(":")[2]).status == "succeeded"
    finally:
        server.stop()
