"""A merchant's page on another origin embeds the pay page with embed.js (no cookies)."""

from __future__ import annotations

import pytest
from flask import Flask, request
from playwright.sync_api import expect

from models import Merchant, db
from tests.browser_helpers import accept_agreements, challenge, type_card
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, LiveServer
from tests.pay_helpers import new_invoice, reload

pytestmark = pytest.mark.browser

HOST_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Kayak shop</title>
</head><body><h1>Book your tour</h1><ol id="events"></ol>
<script>
  for (const name of ["paylink:ready", "paylink:paid"]) {
    document.addEventListener(name, (e) => {
      const li = document.createElement("li");
      li.textContent = name + " " + JSON.stringify(e.detail);
      document.getElementById("events").appendChild(li);
    });
  }
</script>
<script src="%(app)s/static/embed.js" data-pay-url="%(pay)s" async></script>
</body></html>"""


def host_app() -> Flask:
    shop = Flask("shop")

    @shop.get("/")
    def page() -> str:
        return HOST_PAGE % {"app": request.args["app"], "pay": request.args["pay"]}

    return shop


@pytest.fixture
def embedding(pay_app, sandbox):
    with LiveServer(pay_app) as app_server, LiveServer(host_app(), host="127.0.0.2") as shop, \
            LiveServer(host_app(), host="127.0.0.3") as stranger:
        app_url = app_server.url.replace("127.0.0.1", "localhost")
        pay_app.config["PAYLINK_BASE_URL"] = app_url  # where return URLs lead
        yield {"app": app_url, "shop": shop.url, "stranger": stranger.url}


@pytest.fixture
def cookieless_page(playwright):
    """Chromium with third-party cookies blocked, as in most browsers' iframes today."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=[*CHROMIUM_FLAGS, "--test-third-party-cookie-phaseout"])
    context = browser.new_context()
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    page.messages = messages
    yield page
    context.close()
    browser.close()


def _embed(pay_app, embedding, page, host: str) -> dict:
    seeded = new_invoice(pay_app, confirm_on_pay=True)
    with db.connection_context():
        Merchant.update(allowed_embed_origins=[embedding["shop"]]).execute()
    pay = f"{embedding['app']}/pay/{seeded['token']}"
    page.goto(f"{embedding[host]}/?app={embedding['app']}&pay={pay}")
    return seeded


def _fill(frame, seeded, number: str) -> None:
    accept_agreements(frame, seeded["agreements"])
    type_card(frame, number)
    frame.get_by_test_id("pay-button").click()


@pytest.mark.parametrize("number", ["4242424242424242", "4000002760003184"])
def test_pay_inside_a_cross_origin_frame_without_cookies(pay_app, embedding, cookieless_page,
                                                         number):
    page = cookieless_page
    seeded = _embed(pay_app, embedding, page, "shop")
    frame = page.frame_locator("iframe.paylink-frame")
    expect(frame.get_by_test_id("amount-due")).to_have_text("$100.00")
    expect(page.locator("#events")).to_contain_text('paylink:ready {"state":"open"}')
    height_before = page.locator("iframe.paylink-frame").evaluate("f => f.style.height")
    assert height_before != "720px"  # resized to its content
    _fill(frame, seeded, number)
    if number != "4242424242424242":
        challenge(frame).get_by_role("button", name="Complete", exact=True).click()
    expect(frame.get_by_test_id("confirmation-code")).to_have_text(
        seeded["booking"].confirmation_code)
    expect(page.locator("#events")).to_contain_text("paylink:paid")
    expect(page.locator("#events")).to_contain_text(seeded["booking"].confirmation_code)
    assert reload(seeded["invoice"]).status == "paid"
    assert page.context.cookies() == []  # the whole flow ran without a cookie
    assert not [m for m in page.messages if "Content Security Policy" in m]


def test_origin_not_in_the_list_is_refused_by_the_browser(pay_app, embedding, cookieless_page):
    page = cookieless_page
    _embed(pay_app, embedding, page, "stranger")
    page.wait_for_timeout(1500)
    frame = page.frame_locator("iframe.paylink-frame")
    expect(frame.get_by_test_id("amount-due")).to_have_count(0)
    assert any("frame-ancestors" in m for m in page.messages), page.messages
    expect(page.locator("#events")).to_be_empty()


def test_bank_redirect_leaves_the_frame_and_the_frame_shows_the_result(
        pay_app, embedding, cookieless_page):
    pay_app.config["STRIPE_USE_SDK_NEXT_ACTIONS"] = False  # 3-D Secure by redirect
    page = cookieless_page
    seeded = _embed(pay_app, embedding, page, "shop")
    frame = page.frame_locator("iframe.paylink-frame")
    with page.context.expect_page() as opened:
        _fill(frame, seeded, "4000002760003184")
    bank = opened.value
    expect(frame.get_by_test_id("bank-link")).to_be_visible()
    bank.get_by_role("button", name="Complete", exact=True).click()
    # the bank tab comes back to the return URL, which finalises and shows the result
    expect(bank.get_by_test_id("invoice-state")).to_have_text("paid")
    expect(frame.get_by_test_id("confirmation-code")).to_have_text(
        seeded["booking"].confirmation_code)
    expect(page.locator("#events")).to_contain_text("paylink:paid")
    assert reload(seeded["invoice"]).status == "paid"
