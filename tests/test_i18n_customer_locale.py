"""customer.locale: set through the booking API and the console, refused when unknown, and
what the pay page, its links and the API read back."""

from __future__ import annotations

import pytest

from models import Customer, db
from tests.api_helpers import BOOKING, Api, new_merchant
from tests.console_helpers import Console, html_problems, seed_merchant


@pytest.fixture
def api(client):
    _, key = new_merchant()
    return Api(client, key)


def test_the_api_takes_and_returns_the_customers_locale(api, client):
    booking = api.booking(customer={"name": "Aiko", "email": "aiko@example.com",
                                    "locale": "ja-JP"})
    assert booking["customer"]["locale"] == "ja"
    invoice = api.invoice(booking["uuid"])
    page = client.get(invoice["pay_url"].replace("http://localhost", ""))
    assert '<html lang="ja">' in page.get_data(as_text=True)
    refused = api.post("/api/v1/bookings", json={
        **BOOKING, "external_ref": "ext-2", "customer": {"name": "X", "locale": "xx-YY"}})
    assert refused.status_code == 422  # the API's answer to a field it refuses
    assert refused.get_json()["field"] == "customer.locale"


def test_the_console_sets_the_customers_language(client, app):
    shop = seed_merchant()
    console = Console(client, shop["email"])
    booking = shop["booking"]
    path = f"/console/bookings/{booking.uuid}"
    html = console.get(path).get_data(as_text=True)
    assert 'data-testid="customer-locale"' in html and html_problems(html) == []
    saved = console.post(f"{path}/customer-locale", {"locale": "pt-BR"}, token_from=path)
    assert saved.status_code == 302
    with db.connection_context():
        assert Customer.get_by_id(booking.customer_id).locale == "pt-BR"
    assert '<option value="pt-BR" selected>' in console.get(path).get_data(as_text=True)
    console.post(f"{path}/customer-locale", {"locale": "nope"}, token_from=path)
    with db.connection_context():
        assert Customer.get_by_id(booking.customer_id).locale == "pt-BR"  # refused, kept
    console.post(f"{path}/customer-locale", {"locale": ""}, token_from=path)
    with db.connection_context():
        assert Customer.get_by_id(booking.customer_id).locale is None
