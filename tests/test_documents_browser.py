"""Pay in a real Chromium, then download the PDF receipt and the booking's .ics from the
confirmation and from the paid page (reopened link)."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from models import CustomerPayment, Merchant, db
from tests.browser_helpers import accept_agreements, type_card
from tests.conftest import LiveServer
from tests.pay_helpers import new_invoice

pytestmark = pytest.mark.browser


@pytest.fixture
def live(pay_app):
    with LiveServer(pay_app) as server:
        pay_app.config["PAYLINK_BASE_URL"] = server.url
        yield server


def download(page: Page, testid: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_test_id(testid).click()
    return Path(info.value.path()).read_bytes()


def test_pay_then_download_the_receipt_and_the_calendar_file(page: Page, live, pay_app):
    with db.connection_context():
        merchant = Merchant.create(name="Fjord Paddle", api_key_hash="h" * 64,
                                   api_key_prefix="pl_key_x", timezone="America/New_York",
                                   address="9 Dock Lane, Portland")
    seeded = new_invoice(pay_app, due_at=datetime(2030, 5, 20, 14, 0),
                         booking_fields={"m": merchant})
    page.goto(f"{live.url}/pay/{seeded['token']}")
    expect(page.get_by_test_id("due-by")).to_have_text(
        "Due by May 20, 2030, 10:00:00\u202fAM (America/New_York)")
    accept_agreements(page, seeded["agreements"])
    type_card(page, "4242 4242 4242 4242")
    page.get_by_test_id("pay-button").click()
    expect(page.get_by_test_id("payment-confirmation")).to_be_visible()
    expect(page.get_by_test_id("receipt-pdf")).to_be_visible()
    with db.connection_context():
        payment = CustomerPayment.get()
    pdf = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(
        download(page, "receipt-pdf"))).pages)
    for expected in ("Fjord Paddle", "9 Dock Lane, Portland", "$100.00",
                     payment.confirmation_number, seeded["booking"].confirmation_code):
        assert expected in pdf, (expected, pdf)

    page.reload()  # the paid page offers the same files
    expect(page.get_by_test_id("invoice-state")).to_have_text("paid")
    expect(page.get_by_test_id("due-by")).to_have_count(0)
    again = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(
        download(page, "receipt-pdf"))).pages)
    assert payment.confirmation_number in again
    event = Calendar.from_ical(download(page, "add-to-calendar")).walk("VEVENT")[0]
    new_york = ZoneInfo("America/New_York")
    assert event.decoded("DTSTART") == datetime(2030, 6, 1, 9, 0, tzinfo=new_york)
    assert event.decoded("DTEND") == datetime(2030, 6, 1, 11, 0, tzinfo=new_york)
    assert seeded["booking"].confirmation_code in event["DESCRIPTION"]
    assert event["LOCATION"] == "9 Dock Lane, Portland"
