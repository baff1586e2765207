"""A customer pays in a real Chromium: the page, the Stripe.js double, the sandbox, the app."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from models import CustomerPayment, db
from tests.browser_helpers import (
    CARD_FRAME,
    accept_agreements,
    challenge,
    type_card,
)
from tests.conftest import LiveServer
from tests.pay_helpers import intents, new_invoice, reload

pytestmark = pytest.mark.browser

@pytest.fixture
def live(pay_app):
    with LiveServer(pay_app) as server:
        pay_app.config["PAYLINK_BASE_URL"] = server.url  # where return URLs lead
        yield server


def open_invoice(page: Page, live, pay_app, **fields) -> dict:
    seeded = new_invoice(pay_app, **fields)
    page.goto(f"{live.url}/pay/{seeded['token']}")
    return seeded


def accept_all(page: Page, seeded: dict) -> None:
    accept_agreements(page, seeded["agreements"])


def expect_paid(page: Page, seeded: dict) -> None:
    expect(page.get_by_test_id("payment-confirmation")).to_be_visible()
    expect(page.get_by_test_id("confirmation-amount")).to_have_text("$100.00")
    expect(page.get_by_test_id("amount-due")).to_have_text("$0.00")
    expect(page.get_by_test_id("confirmation-code")).to_have_text(
        seeded["booking"].confirmation_code)
    expect(page.get_by_test_id("invoice-state")).to_have_text("paid")


def test_pay_with_4242(page: Page, live, pay_app, stripe_sdk):
    seeded = open_invoice(page, live, pay_app)
    expect(page.get_by_test_id("amount-due")).to_have_text("$100.00")
    accept_all(page, seeded)
    type_card(page, "4242 4242 4242 4242")
    page.get_by_test_id("pay-button").click()
    expect_paid(page, seeded)
    assert reload(seeded["invoice"]).status == "paid"
    assert [i.status for i in intents(stripe_sdk)] == ["succeeded"]


def test_agreements_unticked_keep_button_disabled(page: Page, live, pay_app):
    seeded = open_invoice(page, live, pay_app)
    button = page.get_by_test_id("pay-button")
    type_card(page, "4242424242424242")
    expect(button).to_be_disabled()
    page.get_by_test_id(f"agreement-{seeded['agreements'][0]}").check()
    expect(button).to_be_disabled()
    page.get_by_test_id(f"agreement-{seeded['agreements'][1]}").check()
    expect(button).to_be_enabled()
    page.get_by_test_id(f"agreement-{seeded['agreements'][1]}").uncheck()
    expect(button).to_be_disabled()


def test_incomplete_card_keeps_button_disabled(page: Page, live, pay_app):
    seeded = open_invoice(page, live, pay_app)
    accept_all(page, seeded)
    page.frame_locator(CARD_FRAME).locator('input[name="number"]').fill("4242 4242")
    expect(page.get_by_test_id("pay-button")).to_be_disabled()


def test_three_d_secure_complete(page: Page, live, pay_app):
    seeded = open_invoice(page, live, pay_app)
    accept_all(page, seeded)
    type_card(page, "4000 0027 6000 3184")
    page.get_by_test_id("pay-button").click()
    challenge(page).get_by_role("button", name="Complete", exact=True).click()
    expect_paid(page, seeded)


def test_three_d_secure_fail_then_4242(page: Page, live, pay_app):
    seeded = open_invoice(page, live, pay_app)
    accept_all(page, seeded)
    type_card(page, "4000000000003220")
    page.get_by_test_id("pay-button").click()
    challenge(page).get_by_role("button", name="Fail", exact=True).click()
    expect(page.get_by_test_id("error-message")).to_contain_text("unable to authenticate")
    assert reload(seeded["invoice"]).failed_attempts == 1
    type_card(page, "4242424242424242")
    page.get_by_test_id("pay-button").click()
    expect_paid(page, seeded)


def test_insufficient_funds_then_success(page: Page, live, pay_app):
    seeded = open_invoice(page, live, pay_app)
    accept_all(page, seeded)
    type_card(page, "4000000000009995")
    page.get_by_test_id("pay-button").click()
    expect(page.get_by_test_id("error-message")).to_have_text("Your card has insufficient funds.")
    expect(page.get_by_test_id("pay-button")).to_be_enabled()
    type_card(page, "4242424242424242")
    page.get_by_test_id("pay-button").click()
    expect_paid(page, seeded)


def test_paid_link_reopened_shows_confirmation(page: Page, live, pay_app):
    seeded = open_invoice(page, live, pay_app)
    accept_all(page, seeded)
    type_card(page, "4242424242424242")
    page.get_by_test_id("pay-button").click()
    expect_paid(page, seeded)
    number = page.get_by_test_id("confirmation-number").text_content()
    page.reload()
    expect_paid(page, seeded)
    expect(page.get_by_test_id("confirmation-number")).to_have_text(number)
    expect(page.get_by_test_id("pay-button")).to_have_count(0)


def test_double_click_charges_once(page: Page, live, pay_app, stripe_sdk, sandbox):
    seeded = open_invoice(page, live, pay_app)
    accept_all(page, seeded)
    type_card(page, "4242424242424242")
    sandbox.configure(latency_ms=300)
    page.get_by_test_id("pay-button").dblclick(force=True)
    page.get_by_test_id("pay-button").click(force=True, no_wait_after=True)
    expect_paid(page, seeded)
    assert len(intents(stripe_sdk)) == 1
    with db.connection_context():
        assert CustomerPayment.select().count() == 1


def test_network_failure_shows_message_and_button_recovers(page: Page, live, pay_app,
                                                           stripe_sdk):
    seeded = open_invoice(page, live, pay_app)
    accept_all(page, seeded)
    type_card(page, "4242424242424242")
    page.route("**/confirm", lambda route: route.abort("internetdisconnected"))
    page.get_by_test_id("pay-button").click()
    expect(page.get_by_test_id("error-message")).to_contain_text("could not reach")
    expect(page.get_by_test_id("pay-button")).to_be_enabled()
    page.unroute("**/confirm")
    page.get_by_test_id("pay-button").click()
    expect_paid(page, seeded)
    assert len(intents(stripe_sdk)) == 1


def test_bank_redirect_at_top_level_comes_back_paid(page: Page, live, pay_app):
    pay_app.config["STRIPE_USE_SDK_NEXT_ACTIONS"] = False  # 3-D Secure by redirect
    seeded = open_invoice(page, live, pay_app)
    accept_all(page, seeded)
    type_card(page, "4000002760003184")
    page.get_by_test_id("pay-button").click()
    page.get_by_role("button", name="Fail", exact=True).click()
    expect(page.get_by_test_id("error-message")).to_contain_text("unable to authenticate")
    assert reload(seeded["invoice"]).failed_attempts == 1
    accept_all(page, seeded)  # the return URL rendered a fresh page
    type_card(page, "4000002760003184")
    page.get_by_test_id("pay-button").click()
    page.get_by_role("button", name="Complete", exact=True).click()
    expect_paid(page, seeded)
