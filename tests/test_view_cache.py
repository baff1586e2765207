"""Reused page and read bodies (services.view_cache) are never stale: any change to the rows
a view is made from, the clock passing an expiry, or another app's config shows at once;
each response still gets its own CSP nonce and CSRF token. SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from flask import template_rendered

from app import create_app
from models import (
    Agreement,
    Booking,
    BookingAgreement,
    CustomerPayment,
    Invoice,
    Merchant,
    db,
    utcnow,
)
from services import tokens
from services.invoices import pay_token
from tests import factories

NONCE = re.compile(r'nonce="([^"]+)"')
CSRF = re.compile(r'"csrfToken": ?"([^"]+)"')


@pytest.fixture
def target(any_app):
    with db.connection_context():
        m, _ = factories.merchant("Harbour Kayaks")
        invoice = factories.invoice(factories.booking(m))
    return {"app": any_app, "client": any_app.test_client(), "invoice": invoice,
            "path": f"/pay/{pay_token(invoice, any_app.config['SECRET_KEY'])}",
            "read": f"/api/v1/invoices/{invoice.uuid}"}


def strip_per_response(html: str) -> str:
    return CSRF.sub("CSRF", NONCE.sub("NONCE", html))


def test_each_response_gets_its_own_nonce_and_csrf(target):
    client, app = target["client"], target["app"]
    first, second = client.get(target["path"]), client.get(target["path"])
    third = client.get(target["path"])  # served from the cache: the rows are unchanged
    pages = [r.get_data(as_text=True) for r in (first, second, third)]
    nonces = [set(NONCE.findall(p)) for p in pages]
    assert all(len(n) == 1 for n in nonces) and len(set.union(*nonces)) == 3
    for response, nonce in zip((first, second, third), nonces, strict=True):
        assert f"'nonce-{next(iter(nonce))}'" in response.headers["Content-Security-Policy"]
    csrf = [CSRF.search(p).group(1) for p in pages]
    nonce_of_link = target["invoice"].token
    assert all(tokens.check_csrf(app.config["SECRET_KEY"], nonce_of_link, c) for c in csrf)
    assert strip_per_response(pages[1]) == strip_per_response(pages[2])


def test_unchanged_rows_reuse_the_body_equal_to_a_fresh_render(target):
    client, app = target["client"], target["app"]
    rendered = []

    def count(sender, template, context, **extra):
        rendered.append(template.name)

    client.get(target["path"])  # the first view also records viewed_at: a new row
    with template_rendered.connected_to(count, app):
        cached = [client.get(target["path"]).get_data(as_text=True) for _ in range(3)]
    assert rendered.count("pay/page.html") == 1  # once for the viewed row, then reused
    fresh = create_app({**app.config, "PAGE_CACHE_SIZE": 0}).test_client()
    for body in cached:
        assert strip_per_response(fresh.get(target["path"]).get_data(as_text=True)) == \
            strip_per_response(body)


@pytest.mark.parametrize("change", ["merchant", "agreement", "payment", "invoice"])
def test_any_row_change_shows_at_once(target, change):
    client, invoice = target["client"], target["invoice"]
    for _ in range(2):  # the second view is the cached one
        page = client.get(target["path"]).get_data(as_text=True)
        read = client.get(target["read"]).get_json()
    assert "Harbour Kayaks" in page and read["invoice"]["dueNowCents"] == 10000
    with db.connection_context():
        if change == "merchant":
            Merchant.update(name="Bay Paddle Co").execute()
        elif change == "agreement":
            Agreement.update(title="Safety briefing").where(
                Agreement.id == BookingAgreement.select(BookingAgreement.agreement).where(
                    BookingAgreement.booking == invoice.booking_id).limit(1)).execute()
        elif change == "payment":
            CustomerPayment.create(booking=invoice.booking_id, invoice=invoice, amount_cents=2500,
                                   currency="usd", stripe_payment_intent_id="pi_cache_test",
                                   confirmation_number="P-CACHE")
            # The booking's balance is what the page and read show as due.
            Booking.update(balance_cents=7500).where(Booking.id == invoice.booking_id).execute()
        else:
            Invoice.update(memo="Meet at the north pier").execute()
    page = client.get(target["path"]).get_data(as_text=True)
    read = client.get(target["read"]).get_json()
    expected = {"merchant": ("Bay Paddle Co", "Bay Paddle Co"),
                "agreement": ("Safety briefing", "Safety briefing"),
                "payment": ("$75.00", 7500),
                "invoice": ("Meet at the north pier", "Meet at the north pier")}[change]
    assert expected[0] in page
    if change == "merchant":
        assert read["merchant"]["name"] == expected[1]
    elif change == "agreement":
        assert expected[1] in [a["title"] for a in read["agreements"]]
    elif change == "payment":
        assert read["invoice"]["dueNowCents"] == expected[1]
    else:
        assert read["invoice"]["memo"] == expected[1]


def test_expiry_passes_while_cached(target):
    client = target["client"]
    with db.connection_context():
        Invoice.update(expires_at=utcnow() + timedelta(seconds=1.5)).execute()
    for _ in range(2):
        assert client.get(target["path"]).status_code == 200
        assert client.get(target["read"]).status_code == 200
    time.sleep(1.6)
    assert client.get(target["path"]).status_code == 404
    assert client.get(target["read"]).status_code == 404


def test_apps_do_not_share_bodies(target):
    """Two apps over one database, differing in config: each shows its own."""
    client = target["client"]
    client.get(target["path"])
    assert "pk_test_other" not in client.get(target["path"]).get_data(as_text=True)
    other = create_app({**target["app"].config, "STRIPE_PUBLISHABLE_KEY": "pk_test_other"})
    assert "pk_test_other" in other.test_client().get(target["path"]).get_data(as_text=True)
