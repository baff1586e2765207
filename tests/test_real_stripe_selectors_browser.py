"""A QA suite written only with the selectors public real-Stripe suites use (no sandbox hook):
the Payment Element's `__privateStripeFrame` named "Secure payment input frame" and its
`#Field-*Input` fields, the 3-D Secure lightbox first in <body> with
`iframe[name="stripe-challenge-frame"]` (3DS2) or `iframe#challengeFrame` >
`iframe[name="acsFrame"]` (3DS1), and the test page's `#test-source-authorize-3ds` /
`#test-source-fail-3ds`. Everything else is paylink's own `data-testid` hooks.

By default it pays against the sandbox. Unchanged against real Stripe test mode (network and
test keys; every case runs, none is skipped):

    PAYLINK_QA_REAL_STRIPE=1 STRIPE_SECRET_KEY=sk_test_... STRIPE_PUBLISHABLE_KEY=pk_test_... \\
        .venv/bin/python -m pytest -m real_stripe
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from models import db
from tests.browser_helpers import assert_clean_console, watch_console
from tests.conftest import LiveServer, make_test_app, sandbox_config
from tests.pay_helpers import new_invoice, reload

REAL = os.environ.get("PAYLINK_QA_REAL_STRIPE") == "1"
TIMEOUT = 60_000 if REAL else 15_000
pytestmark = [pytest.mark.browser, pytest.mark.real_stripe]

PAYMENT_FRAME = 'iframe[name^="__privateStripeFrame"][title="Secure payment input frame"]'
LIGHTBOX = 'body > div > iframe[name^="__privateStripeFrame"]'  # first in <body>


def stripe_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    if not REAL:
        return sandbox_config(request.getfixturevalue("sandbox"))
    secret, publishable = (os.environ.get(k, "") for k in
                           ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY"))  # fmt: skip
    if not (secret.startswith("sk_test_") and publishable.startswith("pk_test_")):
        pytest.fail("PAYLINK_QA_REAL_STRIPE=1 needs STRIPE_SECRET_KEY=sk_test_... and "
                    "STRIPE_PUBLISHABLE_KEY=pk_test_... (test mode keys)")  # fmt: skip
    return {"STRIPE_SECRET_KEY": secret, "STRIPE_PUBLISHABLE_KEY": publishable,
            "STRIPE_API_BASE": None, "STRIPE_JS_URL": "https://js.stripe.com/v3/",
            "STRIPE_TIMEOUT_SECONDS": 30}  # fmt: skip


@pytest.fixture(autouse=True)
def _clean_browser_console(request):
    """On the sandbox, conftest's console check (no CSP violation, no script error) holds; on
    real Stripe, Stripe.js's own console lines (HTTP warnings, its metrics hosts) are not ours."""
    if REAL:
        yield
        return
    problems = watch_console(request.getfixturevalue("page"))
    yield
    assert_clean_console(problems)


@pytest.fixture
def qa_app(request, sqlite_url):
    application = make_test_app(sqlite_url, **stripe_settings(request))
    yield application
    db.close()


@pytest.fixture
def shop(qa_app) -> Iterator[LiveServer]:
    with LiveServer(qa_app) as server:
        qa_app.config["PAYLINK_BASE_URL"] = server.url
        yield server


def open_pay_page(page: Page, shop: LiveServer, qa_app) -> dict[str, Any]:
    seeded = new_invoice(qa_app)
    page.goto(f"{shop.url}/pay/{seeded['token']}")
    for uuid in seeded["agreements"]:
        page.get_by_test_id(f"agreement-{uuid}").check()
    return seeded


def fill_payment_element(page: Page, number: str) -> None:
    form = page.frame_locator(PAYMENT_FRAME)
    expect(form.locator("#Field-numberInput")).to_be_visible(timeout=TIMEOUT)
    form.locator("#Field-numberInput").fill(number)
    form.locator("#Field-expiryInput").fill("12 / 34")
    form.locator("#Field-cvcInput").fill("123")
    form.locator("#Field-countryInput").select_option("United States")
    expect(form.get_by_label("ZIP code")).to_be_visible()
    form.locator("#Field-postalCodeInput").fill("10001")


def pay(page: Page) -> None:
    expect(page.get_by_test_id("pay-button")).to_be_enabled(timeout=TIMEOUT)
    page.get_by_test_id("pay-button").click()


def three_ds2(page: Page) -> FrameLocator:
    lightbox = page.frame_locator(LIGHTBOX)
    expect(lightbox.locator(".LightboxModalLoadingIndicator")).to_be_hidden(timeout=TIMEOUT)
    return lightbox.frame_locator('iframe[name="stripe-challenge-frame"]')


def three_ds1(page: Page) -> FrameLocator:
    return (page.frame_locator(LIGHTBOX).frame_locator("iframe#challengeFrame")
            .frame_locator('iframe[name="acsFrame"]'))  # fmt: skip


def expect_paid(page: Page, seeded: dict[str, Any]) -> None:
    expect(page.get_by_test_id("payment-confirmation")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_test_id("confirmation-code")).to_have_text(
        seeded["booking"].confirmation_code)
    expect(page.get_by_test_id("invoice-state")).to_have_text("paid")
    assert reload(seeded["invoice"]).status == "paid"


def expect_refused(page: Page, seeded: dict[str, Any], text: str) -> None:
    expect(page.get_by_test_id("error-message")).to_contain_text(text, timeout=TIMEOUT)
    expect(page.get_by_test_id("payment-confirmation")).to_be_hidden()
    assert reload(seeded["invoice"]).status != "paid"


def test_4242_pays(page: Page, shop, qa_app):
    seeded = open_pay_page(page, shop, qa_app)
    fill_payment_element(page, "4242424242424242")
    pay(page)
    expect_paid(page, seeded)


def test_3ds2_card_complete_pays(page: Page, shop, qa_app):
    seeded = open_pay_page(page, shop, qa_app)
    fill_payment_element(page, "4000000000003220")
    pay(page)
    challenge = three_ds2(page)
    expect(challenge.get_by_role("button", name="Complete")).to_be_visible(timeout=TIMEOUT)
    challenge.locator("#test-source-authorize-3ds").click()
    expect(page.locator(LIGHTBOX)).to_have_count(0, timeout=TIMEOUT)
    expect_paid(page, seeded)


def test_3ds2_card_fail_is_refused(page: Page, shop, qa_app):
    seeded = open_pay_page(page, shop, qa_app)
    fill_payment_element(page, "4000000000003220")
    pay(page)
    three_ds2(page).locator("#test-source-fail-3ds").click()
    expect_refused(page, seeded, "unable to authenticate")


def test_3ds1_card_complete_pays(page: Page, shop, qa_app):
    seeded = open_pay_page(page, shop, qa_app)
    fill_payment_element(page, "4000000000003063")
    pay(page)
    three_ds1(page).locator("#test-source-authorize-3ds").click()
    expect_paid(page, seeded)


def test_declined_card_is_refused(page: Page, shop, qa_app):
    seeded = open_pay_page(page, shop, qa_app)
    fill_payment_element(page, "4000000000000002")
    pay(page)
    expect_refused(page, seeded, "declined")
