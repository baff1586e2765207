"""A real browser opens the demo pay link on a live server and sees the booking."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_demo_pay_link_shows_booking_summary(pay_app, page: Page):
    seeded = json.loads(pay_app.test_cli_runner().invoke(args=["seed-demo", "--json"]).output)
    path = seeded["pay_url"].removeprefix(pay_app.config["PAYLINK_BASE_URL"])
    with LiveServer(pay_app) as live:
        page.goto(live.url + path)
        expect(page.get_by_test_id("activity")).to_have_text("Sunrise Sea-Kayak Tour")
        expect(page.get_by_test_id("amount-due")).to_have_text("$234.76")
        expect(page.get_by_test_id("cart")).to_contain_text("Early-bird discount")
        expect(page).to_have_title("Pay $234.76 · Blue Lagoon Kayak Tours")
        expect(page.get_by_test_id("pay-button")).to_be_disabled()


def test_stripe_js_unreachable_says_so(app, live_app, page: Page):
    """Offline, real Stripe.js cannot load: a plain message, no script error, no payment."""
    seeded = json.loads(app.test_cli_runner().invoke(args=["seed-demo", "--json"]).output)
    path = seeded["pay_url"].removeprefix(app.config["PAYLINK_BASE_URL"])
    page.route("https://js.stripe.com/**", lambda route: route.abort("namenotresolved"))
    page.goto(live_app.url + path)
    expect(page.get_by_test_id("activity")).to_have_text("Sunrise Sea-Kayak Tour")
    expect(page.get_by_test_id("error-message")).to_contain_text("card form could not load")
    expect(page.get_by_test_id("pay-button")).to_be_disabled()
