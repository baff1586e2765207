"""Connect in a real Chromium: the console's onboarding through the sandbox's hosted page,
then a customer paying (3-D Secure) on the merchant's own account through Stripe.js's
stripeAccount option."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from models import CustomerPayment, db
from tests.browser_helpers import accept_agreements, challenge, type_card
from tests.connect_helpers import connect_server, open_invoice
from tests.console_helpers import PASSWORD, html_problems, seed_merchant

pytestmark = pytest.mark.browser


@pytest.fixture
def live(sqlite_url, sandbox):
    with connect_server(sqlite_url, sandbox) as server:
        yield server


def test_console_onboarding_then_an_invoice_can_be_sent(page: Page, live, sandbox,
                                                         stripe_sdk):
    shop = seed_merchant()
    booking = shop["booking"]
    page.goto(f"{live.url}/console/login")
    page.get_by_label("Email").fill(shop["email"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()

    # Not connected: Send Invoice is refused with what to do.
    page.goto(f"{live.url}/console/bookings/{booking.uuid}/send-invoice")
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("form-error")).to_contain_text(
        "Connect a Stripe account before creating or sending invoices.")

    page.goto(f"{live.url}/console/settings")
    expect(page.get_by_test_id("stripe-status")).to_have_attribute("data-state", "not_connected")
    expect(page.get_by_test_id("stripe-account")).to_have_text("none")
    assert html_problems(page.content()) == []
    page.get_by_test_id("connect-stripe").click()

    # Stripe's (the sandbox's) hosted onboarding, then back in the console.
    page.wait_for_url(f"{sandbox.url}/connect/setup/**")
    account = page.get_by_test_id("onboarding-account").inner_text()
    assert account.startswith("acct_")
    page.get_by_role("button", name="Complete onboarding").click()
    page.wait_for_url(f"{live.url}/console/settings")
    expect(page.get_by_test_id("flash-ok")).to_have_text(
        "Your Stripe account is connected and can take payments.")
    expect(page.get_by_test_id("stripe-status")).to_have_attribute("data-state", "connected")
    expect(page.get_by_test_id("stripe-account")).to_have_text(account)
    expect(page.get_by_test_id("stripe-charges-enabled")).to_have_text("yes")
    expect(page.get_by_test_id("stripe-payouts-enabled")).to_have_text("yes")
    expect(page.get_by_test_id("stripe-details-submitted")).to_have_text("yes")
    expect(page.get_by_test_id("stripe-requirements")).to_have_text("nothing")
    expect(page.get_by_test_id("connect-stripe")).to_have_count(0)
    assert stripe_sdk.v1.accounts.retrieve(account).charges_enabled

    # Now the invoice goes out.
    page.goto(f"{live.url}/console/bookings/{booking.uuid}/send-invoice")
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("flash-ok")).to_have_text("Invoice for $100.00 queued by email.")


def test_expired_link_sends_the_merchant_back_through_a_fresh_one(page: Page, live, sandbox):
    shop = seed_merchant()
    page.goto(f"{live.url}/console/login")
    page.get_by_label("Email").fill(shop["email"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    page.goto(f"{live.url}/console/settings")
    page.get_by_test_id("connect-stripe").click()
    page.wait_for_url(f"{sandbox.url}/connect/setup/**")
    first = page.url
    sandbox._control("/_sandbox/account_links/expire", {})
    page.reload()  # Stripe: an expired link goes to refresh_url, which makes a new link
    page.wait_for_url(f"{sandbox.url}/connect/setup/**")
    assert page.url != first
    page.get_by_role("button", name="Complete onboarding").click()
    expect(page.get_by_test_id("stripe-status")).to_have_attribute("data-state", "connected")


def test_customer_pays_with_three_d_secure_on_the_merchants_account(page: Page, live,
                                                                     sandbox, stripe_sdk):
    shop = seed_merchant()
    account = stripe_sdk.v1.accounts.create(params={"type": "standard"}).id
    sandbox._control(f"/_sandbox/accounts/{account}", {"complete_onboarding": True})
    linked = live.app.test_cli_runner().invoke(
        args=["connect-merchant", shop["merchant"].uuid, "--account", account])
    assert linked.exit_code == 0, linked.output
    seeded = open_invoice(live.app, shop["merchant"])
    page.goto(f"{live.url}/pay/{seeded['token']}")
    accept_agreements(page, seeded["agreements"])
    type_card(page, "4000 0027 6000 3184")
    page.get_by_test_id("pay-button").click()
    challenge(page).get_by_role("button", name="Complete", exact=True).click()
    expect(page.get_by_test_id("payment-confirmation")).to_be_visible()
    with db.connection_context():
        payment = CustomerPayment.get()
    intent = stripe_sdk.v1.payment_intents.retrieve(payment.stripe_payment_intent_id,
                                                    options={"stripe_account": account})
    assert intent.status == "succeeded" and intent.application_fee_amount == 280
    # Stripe.js made the ConfirmationToken on that account too, and nothing is on the platform.
    store = sandbox.sandbox.connect.stores[account]
    assert len(store.confirmation_tokens) == 1
    assert sandbox.sandbox.store.confirmation_tokens == {}
    assert sandbox.sandbox.store.payment_intents == {}
