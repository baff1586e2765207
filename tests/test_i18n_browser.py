"""The customer's language in a real Chromium: paying in Japanese and in Arabic (right to
left) with 3-D Secure, the picker inside a cross-site iframe without cookies, axe in Arabic,
the longest languages at 320 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from models import Customer, db
from tests.browser_helpers import CARD_FRAME, accept_agreements, challenge, type_card
from tests.conftest import LiveServer
from tests.pay_helpers import new_invoice, reload
from tests.test_accessibility import serious
from tests.test_embed_browser import _embed, cookieless_page, embedding  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def live(pay_app):
    with LiveServer(pay_app) as server:
        pay_app.config["PAYLINK_BASE_URL"] = server.url
        yield server


def pay_with_three_d_secure(page: Page, seeded: dict) -> None:
    accept_agreements(page, seeded["agreements"])
    type_card(page, "4000 0027 6000 3184")
    page.get_by_test_id("pay-button").click()
    challenge(page).get_by_role("button", name="Complete", exact=True).click()


def test_pay_in_japanese_with_three_d_secure(page: Page, live, pay_app):
    seeded = new_invoice(pay_app)
    page.goto(f"{live.url}/pay/{seeded['token']}?lang=ja")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_test_id("pay-button")).to_have_text("$100.00を支払う")
    card = page.frame_locator(CARD_FRAME)
    # Stripe's own labels, in the page's language
    expect(card.locator('label[for="Field-numberInput"]')).to_have_text("カード番号")
    expect(card.locator("html")).to_have_attribute("lang", "ja")
    pay_with_three_d_secure(page, seeded)
    expect(page.get_by_test_id("payment-confirmation")).to_contain_text(
        "お支払いを受け付けました")
    expect(page.get_by_test_id("invoice-state")).to_have_text("支払い済み")
    expect(page.get_by_test_id("confirmation-code")).to_have_text(
        seeded["booking"].confirmation_code)
    assert reload(seeded["invoice"]).status == "paid"
    page.reload()  # the paid page, still in Japanese
    expect(page.get_by_test_id("payment-confirmation")).to_contain_text("この予約はお支払い済みです")


def test_pay_in_arabic_right_to_left_with_three_d_secure(page: Page, live, pay_app):
    seeded = new_invoice(pay_app)
    with db.connection_context():  # the customer's own language, no ?lang=
        Customer.update(locale="ar").where(
            Customer.id == seeded["booking"].customer_id).execute()
    page.goto(f"{live.url}/pay/{seeded['token']}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    card = page.frame_locator(CARD_FRAME)
    expect(card.locator('label[for="Field-numberInput"]')).to_have_text("رقم البطاقة")
    expect(card.locator("html")).to_have_attribute("dir", "rtl")
    # right to left: the amount column sits on the left of its label
    total = page.get_by_test_id("booking-total").bounding_box()
    label = page.locator("tr.total th").bounding_box()
    assert total["x"] < label["x"]
    expect(page.get_by_test_id("amount-due")).to_contain_text("100.00")  # Latin digits
    pay_with_three_d_secure(page, seeded)
    expect(page.get_by_test_id("payment-confirmation")).to_contain_text("تم استلام الدفعة")
    expect(page.get_by_test_id("invoice-state")).to_have_text("مدفوعة")
    expect(page.get_by_test_id("amount-due")).to_contain_text("0.00")
    assert reload(seeded["invoice"]).status == "paid"


def test_language_picker_inside_a_cross_site_frame_without_cookies(
        pay_app, embedding, cookieless_page):  # noqa: F811 (fixtures)
    page = cookieless_page
    seeded = _embed(pay_app, embedding, page, "shop")
    frame = page.frame_locator("iframe.paylink-frame")
    expect(frame.locator("html")).to_have_attribute("lang", "en")
    picker = frame.get_by_label("Language")
    expect(picker).to_have_attribute("data-testid", "language-select")
    picker.select_option("de")
    frame.get_by_test_id("language-submit").click()
    expect(frame.locator("html")).to_have_attribute("lang", "de")
    expect(frame.get_by_role("heading", name="Kartendaten")).to_be_visible()
    frame.get_by_label("Sprache").select_option("ar")
    frame.get_by_role("button", name="Ändern").click()
    expect(frame.locator("html")).to_have_attribute("dir", "rtl")
    accept_agreements(frame, seeded["agreements"])
    type_card(frame, "4242 4242 4242 4242")
    frame.get_by_test_id("pay-button").click()
    expect(frame.get_by_test_id("invoice-state")).to_have_text("مدفوعة")
    expect(page.locator("#events")).to_contain_text("paylink:paid")
    assert page.context.cookies() == []  # the language rode in the URL, not a cookie


@pytest.mark.parametrize("state", ["open", "paid"])
def test_axe_clean_in_arabic(page: Page, live, pay_app, state):
    seeded = new_invoice(pay_app, allow_tip=True, allow_partial=True, min_partial_cents=1000)
    page.goto(f"{live.url}/pay/{seeded['token']}?lang=ar")
    if state == "paid":
        pay_with_three_d_secure(page, seeded)
        expect(page.get_by_test_id("invoice-state")).to_have_text("مدفوعة")
        page.reload()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert serious(page) == []


@pytest.mark.parametrize("tag", ["de", "fi", "el", "ar"])
def test_longest_languages_fit_at_320_px(page: Page, live, pay_app, tag):
    page.set_viewport_size({"width": 320, "height": 640})
    seeded = new_invoice(pay_app, allow_tip=True, allow_partial=True, min_partial_cents=2000)
    page.goto(f"{live.url}/pay/{seeded['token']}?lang={tag}")
    expect(page.frame_locator(CARD_FRAME).locator('input[name="number"]')).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    for test_id in ("pay-button", "language-select", "amount-due"):
        box = page.get_by_test_id(test_id).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320, test_id
