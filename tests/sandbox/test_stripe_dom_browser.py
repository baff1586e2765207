"""The Stripe.js double's DOM is the one public real-Stripe suites rely on (see sandbox/README.md
for the sources): frame names and titles, where frames sit, field ids, names, placeholders and
labels, the postal code per country, the 3-D Secure lightbox and its nested frames."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.sandbox.test_browser import fill_card, open_shop, result, shop  # noqa: F401

pytestmark = pytest.mark.browser

FRAME = 'iframe[name^="__privateStripeFrame"][title="Secure payment input frame"]'
LIGHTBOX = 'body > div > iframe[name^="__privateStripeFrame"]'


def test_payment_element_frame_and_fields(page, shop):  # noqa: F811
    form, errors = open_shop(page, shop)
    frame = page.locator(FRAME)
    assert re.fullmatch(r"__privateStripeFrame\d{4,}", frame.get_attribute("name"))
    assert "elements-inner-payment" in frame.get_attribute("src")
    assert "payment *" in frame.get_attribute("allow")
    # mount node.StripeElement > div.__PrivateStripeElement > iframe
    nested = "#payment-element.StripeElement > div.__PrivateStripeElement > iframe"
    assert page.locator(nested).count() == 1
    expect(page.locator(".__PrivateStripeElementLoader")).to_be_hidden()
    fields = {
        "#Field-numberInput": ("number", "1234 1234 1234 1234", "Card number"),
        "#Field-expiryInput": ("expiry", "MM / YY", "Expiration date"),
        "#Field-cvcInput": ("cvc", "CVC", "Security code"),
        "#Field-postalCodeInput": ("postalCode", "12345", "ZIP code"),
    }
    for selector, (name, placeholder, label) in fields.items():
        field = form.locator(selector)
        assert field.get_attribute("name") == name
        assert field.get_attribute("placeholder") == placeholder
        expect(form.get_by_label(label, exact=True)).to_have_attribute("id", selector[1:])
        expect(form.get_by_placeholder(placeholder, exact=True)).to_have_count(1)
    country = form.locator("select#Field-countryInput")
    assert country.get_attribute("name") == "country"
    expect(form.get_by_label("Country")).to_have_value("US")
    assert country.locator("option").count() > 200
    assert errors == []


@pytest.mark.parametrize(
    "country,label,shown",
    [("United States", "ZIP code", True), ("Canada", "Postal code", True),
     ("United Kingdom", "Postal code", True), ("Germany", None, False), ("FR", None, False)],
)  # fmt: skip
def test_postal_code_shown_and_required_per_country(page, shop, country, label, shown):  # noqa: F811
    form, _ = open_shop(page, shop)
    form.locator("#Field-countryInput").select_option(country)
    postal = form.locator("#Field-postalCodeInput")
    if not shown:
        expect(postal).to_be_hidden()
        fill_card_without_postal(form)
        expect(page.locator("#complete")).to_have_text("true")  # complete without it
        return
    expect(postal).to_be_visible()
    expect(form.get_by_label(label, exact=True)).to_be_visible()
    assert postal.get_attribute("required") is not None
    fill_card_without_postal(form)
    expect(page.locator("#complete")).to_have_text("false")  # required: incomplete without it
    page.click("#pay")
    assert "incomplete" in result(page)
    postal.fill({"Canada": "K1A 0B1", "United Kingdom": "SW1A 1AA"}.get(country, "10001"))
    expect(page.locator("#complete")).to_have_text("true")


def fill_card_without_postal(form) -> None:
    form.locator("#Field-numberInput").fill("4242424242424242")
    form.locator("#Field-expiryInput").fill("1234")
    form.locator("#Field-cvcInput").fill("123")


def test_3ds2_lightbox_nesting(page, shop):  # noqa: F811
    form, _ = open_shop(page, shop)
    fill_card(form, "4000000000003220")
    page.click("#pay")
    lightbox = page.locator(LIGHTBOX)
    expect(lightbox).to_have_count(1)
    # first in <body>, so `iframe[name^="__privateStripeFrame"]` .first is the lightbox
    assert page.locator("body > :first-child > iframe").get_attribute("name").startswith(
        "__privateStripeFrame")
    assert "three-ds-2-challenge" in lightbox.get_attribute("src")
    outer = page.frame_locator(LIGHTBOX)
    expect(outer.locator(".LightboxModalLoadingIndicator")).to_be_hidden()
    inner = outer.locator("div.LightboxModalContent > div > iframe#challengeFrame")
    assert inner.get_attribute("name") == "stripe-challenge-frame"
    challenge = outer.frame_locator('iframe[name="stripe-challenge-frame"]')
    expect(challenge.get_by_text("3D Secure 2 Test Page")).to_be_visible()
    expect(challenge.locator("#test-source-authorize-3ds")).to_have_text("Complete")
    expect(challenge.locator("#test-source-fail-3ds")).to_have_text("Fail")
    expect(challenge.get_by_role("button", name=re.compile(r"^complete$", re.I))).to_be_visible()
    challenge.locator("#test-source-authorize-3ds").click()
    assert result(page).startswith("done:succeeded:")
    expect(lightbox).to_have_count(0)


def test_3ds1_lightbox_nesting_with_acs_frame(page, shop, stripe_client):  # noqa: F811
    form, _ = open_shop(page, shop)
    fill_card(form, "4000000000003063")
    page.click("#pay")
    lightbox = page.locator(LIGHTBOX)
    assert "authorize-with-url-inner" in lightbox.get_attribute("src")
    challenge = page.frame_locator(LIGHTBOX).frame_locator("iframe#challengeFrame")
    expect(challenge.locator("form#form")).to_have_count(1)
    bank = challenge.frame_locator('iframe[name="acsFrame"]')
    expect(bank.locator("#test-source-authorize-3ds")).to_have_text("Complete authentication")
    bank.get_by_role("button", name="Fail authentication").click()
    code, pi_id = result(page).split(":")[1:]
    assert code == "payment_intent_authentication_failure"
    assert stripe_client.v1.payment_intents.retrieve(pi_id).status == "requires_payment_method"
