"""The Send Invoice workflow in a real Chromium: console → email → pay page → console.

The app runs on a live server with the Stripe sandbox; the invoice email goes through
the outbox worker to a real SMTP server on loopback (aiosmtpd), and the pay link is
read from the message the customer would receive.
"""

from __future__ import annotations

import re

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect

from models import Invoice, db
from tests.browser_helpers import (
    accept_agreements,
    type_card,
)
from tests.conftest import LiveServer, free_port, make_test_app, sandbox_config
from tests.console_helpers import PASSWORD, Inbox, seed_merchant

pytestmark = pytest.mark.browser

@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def live(sqlite_url, sandbox, smtp):
    """pay_app's sandbox config plus SMTP on loopback; pay links point at the live server."""
    app = make_test_app(sqlite_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp[1],
                        MAIL_SUPPRESS_SEND=False, **sandbox_config(sandbox))
    with LiveServer(app) as server:
        app.config["PAYLINK_BASE_URL"] = server.url
        server.app = app
        yield server
    db.close()


def deliver_outbox(app) -> str:
    result = app.test_cli_runner().invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def fits_320(page: Page) -> None:
    """No sideways scrolling on a small phone."""
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def newest_invoice(booking) -> Invoice:
    with db.connection_context():
        return Invoice.select().where(Invoice.booking == booking.id).order_by(
            Invoice.id.desc()).get()


def test_send_a_deposit_pay_it_then_resend_and_close(page: Page, live, smtp, stripe_sdk):
    inbox, _ = smtp
    shop = seed_merchant()
    booking = shop["booking"]
    page.set_viewport_size({"width": 320, "height": 720})

    # Sign in and find the booking by its confirmation code.
    page.goto(f"{live.url}/console/login")
    page.get_by_label("Email").fill(shop["email"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    expect(page.get_by_test_id("console-merchant")).to_have_text("Harbour Tours")
    page.get_by_test_id("search-q").fill(booking.confirmation_code)
    page.get_by_test_id("search-submit").click()
    expect(page.get_by_test_id("booking-row")).to_have_count(1)
    fits_320(page)
    page.get_by_test_id("booking-link").click()
    expect(page.get_by_test_id("booking-balance")).to_have_text("$100.00")
    fits_320(page)

    # Send Invoice: a 40.00 deposit that confirms the booking when paid.
    page.get_by_test_id("send-invoice").click()
    amount = page.get_by_label("Amount (USD)")
    expect(amount).to_have_value("100.00")
    amount.fill("abc")
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("error-amount")).to_have_text("Enter a number like 1,234.50.")
    expect(amount).to_have_attribute("aria-describedby", "amount-hint amount-error")
    page.get_by_label("Amount (USD)").fill("40.00")
    page.get_by_label("Confirm the booking when this invoice is paid").check()
    page.get_by_label("Email", exact=True).check()
    fits_320(page)
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("flash-ok")).to_have_text("Invoice for $40.00 queued by email.")
    deposit = newest_invoice(booking)
    row = page.get_by_test_id(f"invoice-{deposit.uuid}")
    expect(row.get_by_test_id("invoice-status")).to_have_text("draft")

    # The outbox delivers the email; the customer's link comes out of it.
    assert deliver_outbox(live.app) == "delivered 1, skipped 0, failed 0"
    assert len(inbox.messages) == 1 and inbox.messages[0]["To"] == "pat@example.com"
    assert "$40.00 due for Kayak tour" in inbox.messages[0]["Subject"]
    link = inbox.pay_link(0)
    assert link.startswith(f"{live.url}/pay/")
    page.reload()
    expect(row.get_by_test_id("invoice-status")).to_have_text("sent")

    # The customer pays it with 4242 on the pay page.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(link)
    expect(page.get_by_test_id("amount-due")).to_have_text("$40.00")
    with db.connection_context():
        from models import Agreement, BookingAgreement
        agreements = [a.uuid for a in Agreement.select().join(BookingAgreement)
                      .where(BookingAgreement.booking == booking.id)]
    accept_agreements(page, agreements)
    type_card(page, "4242 4242 4242 4242")
    page.get_by_test_id("pay-button").click()
    expect(page.get_by_test_id("payment-confirmation")).to_be_visible()
    expect(page.get_by_test_id("confirmation-code")).to_have_text(booking.confirmation_code)
    # Confirm on Pay: a receipt and the booking confirmation go out too.
    assert deliver_outbox(live.app) == "delivered 2, skipped 0, failed 0"
    subjects = sorted(m["Subject"] for m in inbox.messages[1:])
    assert subjects == ["Harbour Tours: payment received, thank you",
                        f"Harbour Tours: your booking is confirmed ({booking.confirmation_code})"]

    # The console shows the booking confirmed, the payment, the agreements accepted.
    page.set_viewport_size({"width": 320, "height": 720})
    page.goto(f"{live.url}/console/bookings/{booking.uuid}")
    expect(page.get_by_test_id("booking-status")).to_have_text("confirmed")
    expect(page.get_by_test_id("booking-balance")).to_have_text("$60.00")
    expect(page.get_by_test_id("booking-paid")).to_have_text("$40.00")
    expect(row.get_by_test_id("invoice-status")).to_have_text("paid")
    expect(page.get_by_test_id("payment-amount")).to_have_text("$40.00")
    expect(page.get_by_test_id("acceptance")).to_have_count(len(agreements))
    fits_320(page)

    # The rest of the balance: send, resend (the same link again), then close.
    page.get_by_test_id("send-invoice").click()
    expect(page.get_by_label("Amount (USD)")).to_have_value("60.00")
    page.get_by_test_id("send").click()
    rest = newest_invoice(booking)
    rest_row = page.get_by_test_id(f"invoice-{rest.uuid}")
    rest_row.get_by_test_id("resend").click()
    expect(page.get_by_test_id("flash-ok")).to_have_text("Invoice re-sent.")
    assert deliver_outbox(live.app) == "delivered 2, skipped 0, failed 0"
    assert len(inbox.messages) == 5
    assert inbox.pay_link(3) == inbox.pay_link(4) != link
    rest_link = inbox.pay_link(4)

    rest_row.get_by_test_id("close").click()
    expect(page.get_by_test_id("flash-ok")).to_contain_text("Invoice closed")
    expect(rest_row.get_by_test_id("invoice-status")).to_have_text("closed")
    expect(rest_row.get_by_test_id("resend")).to_have_count(0)

    # The closed invoice's link refuses payment.
    page.goto(rest_link)
    expect(page.get_by_test_id("invoice-state")).to_have_attribute("data-state", "closed")
    expect(page.get_by_test_id("invoice-notice")).to_contain_text("no longer takes payments")
    expect(page.get_by_test_id("pay-button")).to_have_count(0)
    intents = stripe_sdk.v1.payment_intents.list(params={"limit": 10}).data
    assert [i.amount for i in intents] == [4000]

    # Sign out: the console is closed again.
    page.goto(f"{live.url}/console/bookings")
    page.get_by_test_id("sign-out").click()
    expect(page.get_by_test_id("flash-ok")).to_have_text("You are signed out.")
    page.goto(f"{live.url}/console/bookings")
    expect(page).to_have_url(f"{live.url}/console/login?next=/console/bookings")


def test_console_pages_pass_axe_at_320_px(page: Page, live):
    """axe-core finds nothing serious on the console's pages, errors shown, on a small phone."""
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    axe = axe_module.Axe()
    shop = seed_merchant()
    booking = shop["booking"]
    page.set_viewport_size({"width": 320, "height": 720})

    def check(name: str) -> None:
        violations = [f"{v['id']}: {v['help']} {[n['html'] for n in v['nodes']]}"
                      for v in axe.run(page).response["violations"]
                      if v.get("impact") in ("serious", "critical")]
        assert violations == [], (name, violations)
        fits_320(page)

    page.goto(f"{live.url}/console/login")
    check("login")
    page.get_by_label("Email").fill(shop["email"])
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_test_id("sign-in").click()
    expect(page.get_by_test_id("form-error")).to_have_text("Wrong email or password.")
    check("login refused")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    check("bookings")
    page.goto(f"{live.url}/console/bookings/{booking.uuid}/send-invoice")
    page.get_by_label("Amount (USD)").fill("100.01")
    page.get_by_label("Send to another email address").fill("nope")
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("error-amount")).to_have_text(
        "The amount is more than the balance due ($100.00).")
    check("send invoice with errors")
    page.get_by_label("Amount (USD)").fill("25")
    page.get_by_label("Send to another email address").fill("")
    page.get_by_test_id("send").click()
    check("booking with an invoice")
    page.goto(f"{live.url}/console/settings")
    page.get_by_label("Allowed embed origins").fill("ftp://nope.example")
    page.get_by_test_id("save-origins").click()
    expect(page.get_by_test_id("error-allowed_embed_origins")).to_be_visible()
    check("settings with an error")
    page.get_by_test_id("rotate-key").click()
    expect(page.get_by_test_id("new-api-key")).to_have_value(re.compile(r"^pl_key_"))
    check("settings with a new key")
