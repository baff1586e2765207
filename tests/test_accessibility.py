"""axe-core finds no serious or critical problem in any state; keyboard-only payment; 320 px."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from models import Booking, Invoice, db, utcnow
from tests.browser_helpers import CARD_FRAME, accept_agreements, type_card
from tests.conftest import LiveServer
from tests.pay_helpers import new_invoice

pytestmark = pytest.mark.browser

AXE = Axe()


@pytest.fixture
def live(pay_app):
    with LiveServer(pay_app) as server:
        yield server


def serious(page: Page) -> list[str]:
    results = AXE.run(page)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]
            if v.get("impact") in ("serious", "critical")]


def _set(model, row_id, **fields):
    with db.connection_context():
        model.update(**fields).where(model.id == row_id).execute()


STATES = {
    "open": lambda s: None,
    "paid": lambda s: _set(Invoice, s["invoice"].id, status="paid", paid_at=utcnow()),
    "closed": lambda s: _set(Invoice, s["invoice"].id, status="closed"),
    "canceled": lambda s: _set(Booking, s["booking"].id, status="canceled"),
    "no_balance": lambda s: _set(Booking, s["booking"].id, balance_cents=0),
    "expired": lambda s: _set(Invoice, s["invoice"].id, expires_at=utcnow() - timedelta(days=1)),
}


@pytest.mark.parametrize("state", list(STATES))
def test_axe_clean_in_every_state(page: Page, live, pay_app, state):
    seeded = new_invoice(pay_app, allow_tip=True)
    STATES[state](seeded)
    page.goto(f"{live.url}/pay/{seeded['token']}")
    if state == "open":
        expect(page.frame_locator(CARD_FRAME).locator('input[name="number"]')).to_be_visible()
    assert serious(page) == []


def test_axe_clean_on_404_and_after_a_decline(page: Page, live, pay_app):
    page.goto(f"{live.url}/pay/not-a-real-token")
    assert serious(page) == []
    seeded = new_invoice(pay_app)
    page.goto(f"{live.url}/pay/{seeded['token']}")
    accept_agreements(page, seeded["agreements"])
    type_card(page, "4000000000000002")
    page.get_by_test_id("pay-button").click()
    expect(page.get_by_test_id("error-message")).to_be_visible()
    assert serious(page) == []


def _focused_name(page: Page) -> str:
    """What has keyboard focus: a testid on the page, or an input name in the card frame."""
    testid = page.evaluate("document.activeElement.getAttribute('data-testid') || ''")
    if testid:
        return testid
    if page.evaluate("document.activeElement.tagName") == "IFRAME":
        frame = page.frame_locator(CARD_FRAME)
        return "card:" + frame.locator(":focus").get_attribute("name")
    return page.evaluate("document.activeElement.tagName.toLowerCase()")


def test_pay_with_the_keyboard_alone(page: Page, live, pay_app):
    seeded = new_invoice(pay_app)
    page.goto(f"{live.url}/pay/{seeded['token']}")
    expect(page.frame_locator(CARD_FRAME).locator('input[name="number"]')).to_be_visible()
    typed = {"card:number": "4242424242424242", "card:expiry": "1234", "card:cvc": "123",
             "card:postalCode": "94107"}
    order: list[str] = []
    for _ in range(30):
        page.keyboard.press("Tab")
        name = _focused_name(page)
        order.append(name)
        if name.startswith("agreement-"):
            page.keyboard.press("Space")
        elif name in typed:
            page.keyboard.type(typed.pop(name))
            if not typed:  # the card is complete: the button becomes the next Tab stop
                expect(page.get_by_test_id("pay-button")).to_be_enabled()
        elif name == "pay-button":
            break
    agreements = [f"agreement-{u}" for u in seeded["agreements"]]
    assert [n for n in order if n.startswith(("agreement-", "card:", "pay-button"))] == [
        *agreements, "card:number", "card:expiry", "card:cvc", "card:country", "card:postalCode",
        "pay-button"]
    expect(page.get_by_test_id("pay-button")).to_be_enabled()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("confirmation-code")).to_have_text(
        seeded["booking"].confirmation_code)
    # the confirmation takes focus so screen readers announce it
    assert page.evaluate("document.activeElement.id") == "confirmation"


def test_usable_at_320_px(page: Page, live, pay_app):
    page.set_viewport_size({"width": 320, "height": 640})
    seeded = new_invoice(pay_app, allow_tip=True, allow_partial=True, min_partial_cents=2000)
    page.goto(f"{live.url}/pay/{seeded['token']}")
    expect(page.frame_locator(CARD_FRAME).locator('input[name="number"]')).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    box = page.get_by_test_id("pay-button").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    assert serious(page) == []
