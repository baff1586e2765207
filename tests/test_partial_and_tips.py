"""Partial payments and tips: the server re-checks every amount; balances and states follow."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from models import Booking, CustomerPayment, db
from services.invoices.status import stax_status
from tests.browser_helpers import accept_agreements, type_card
from tests.conftest import LiveServer
from tests.pay_helpers import ctoken, intents, new_invoice, pay_api, reload


def test_partial_then_rest(pay_app, stripe_sdk):
    client = pay_app.test_client()
    seeded = new_invoice(pay_app, allow_partial=True, min_partial_cents=2000)
    for bad in (1999, 10001, 0, -5):
        response = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk),
                           amountCents=bad)
        assert response.status_code == 422 and response.json["code"] == "amount_invalid", bad
    assert intents(stripe_sdk) == []
    first = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk), amountCents=3000)
    assert first.status_code == 200 and first.json["confirmation"]["amountCents"] == 3000
    invoice = reload(seeded["invoice"])
    assert invoice.status == "open" and invoice.amount_paid_cents == 3000
    assert stax_status(invoice) == "partially_paid"
    read = client.get(f"/api/v1/invoices/{seeded['uuid']}").json
    assert read["invoice"]["dueNowCents"] == 7000 and read["balanceCents"] == 7000
    page = client.get(f"/pay/{seeded['token']}").get_data(as_text=True)
    assert "$70.00" in page and "Already paid" in page
    # the minimum never exceeds what is left
    rest = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk), amountCents=7000)
    assert rest.status_code == 200
    invoice = reload(seeded["invoice"])
    assert invoice.status == "paid" and stax_status(invoice) == "paid"
    with db.connection_context():
        assert Booking.get_by_id(seeded["booking"].id).balance_cents == 0
        assert sum(p.amount_cents for p in CustomerPayment.select()) == 10000
    assert sorted(i.amount for i in intents(stripe_sdk)) == [3000, 7000]


def test_partial_not_allowed_must_pay_in_full(pay_app, stripe_sdk):
    seeded = new_invoice(pay_app)
    response = pay_api(pay_app.test_client(), seeded, stripeConfirmationToken=ctoken(stripe_sdk),
                       amountCents=5000)
    assert response.status_code == 422 and "in full" in response.json["message"]


def test_tip_is_charged_but_not_taken_from_the_balance(pay_app, stripe_sdk):
    client = pay_app.test_client()
    seeded = new_invoice(pay_app, allow_tip=True)
    for bad in (-1, 10**12):
        response = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk),
                           tipCents=bad)
        assert response.status_code == 422 and response.json["code"] == "tip_invalid", bad
    ok = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk), tipCents=1500)
    assert ok.status_code == 200 and ok.json["confirmation"]["tipCents"] == 1500
    [intent] = intents(stripe_sdk)
    assert intent.amount == 11500
    with db.connection_context():
        payment = CustomerPayment.get()
        assert (payment.amount_cents, payment.tip_cents) == (10000, 1500)
        assert Booking.get_by_id(seeded["booking"].id).balance_cents == 0


@pytest.mark.browser
def test_deposit_and_tip_in_the_browser(page: Page, pay_app, stripe_sdk):
    seeded = new_invoice(pay_app, allow_partial=True, min_partial_cents=2000, allow_tip=True)
    with LiveServer(pay_app) as live:
        page.goto(f"{live.url}/pay/{seeded['token']}")
        accept_agreements(page, seeded["agreements"])
        type_card(page, "4242424242424242")
        amount = page.get_by_test_id("amount-input")
        amount.fill("10")
        expect(page.get_by_test_id("error-message")).to_contain_text("between $20.00 and $100.00")
        expect(page.get_by_test_id("pay-button")).to_be_disabled()
        amount.fill("40.00")
        page.locator('label[for="tip-10"]').click()
        expect(page.get_by_test_id("pay-button")).to_have_text("Pay $44.00")
        page.locator('label[for="tip-custom"]').click()
        page.get_by_test_id("tip-amount").fill("5")
        expect(page.get_by_test_id("pay-button")).to_have_text("Pay $45.00")
        page.get_by_test_id("pay-button").click()
        expect(page.get_by_test_id("payment-confirmation")).to_be_visible()
    [intent] = intents(stripe_sdk)
    assert intent.amount == 4500
    invoice = reload(seeded["invoice"])
    assert invoice.amount_paid_cents == 4000 and stax_status(invoice) == "partially_paid"
