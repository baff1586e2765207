"""A pay page render and a public API read cost at most 3 SQL statements, whatever the data."""

from __future__ import annotations

import pytest

from bench.querycount import count_queries
from models import Invoice, db
from tests import factories
from tests.pay_helpers import new_invoice


def _count(client, path: str) -> int:
    client.get(path)  # the first view records viewed_at once
    with count_queries() as log:
        assert client.get(path).status_code == 200
    return log.count


@pytest.mark.parametrize("lines", [3, 300])
def test_queries_per_render_and_read(any_app, lines):
    client = any_app.test_client()
    with db.connection_context():
        merchant, slot = factories.slot_with_held_seats(capacity=20, held=4)
    cart = {"line_items": [{"name": f"Item {i}", "unit_cents": 100} for i in range(lines)]}
    seeded = new_invoice(any_app, booking_fields={"m": merchant, "slot": slot, "cart": cart,
                                                  "participants": 2})
    assert _count(client, f"/pay/{seeded['token']}") <= 3
    assert _count(client, f"/api/v1/invoices/{seeded['uuid']}") <= 3
    with db.connection_context():
        Invoice.update(status="paid").execute()
    assert _count(client, f"/pay/{seeded['token']}") <= 3


def test_open_page_is_one_statement_and_read_two(database_url):
    """Invoice, booking, customer, merchant, slot, agreements, paid and held seats: one
    round trip for the page; the public read adds the booking's payment history."""
    from tests.conftest import make_test_app

    app = make_test_app(database_url)
    try:
        client = app.test_client()
        seeded = new_invoice(app)
        assert _count(client, f"/pay/{seeded['token']}") == 1
        assert _count(client, f"/api/v1/invoices/{seeded['uuid']}") == 2
        page = client.get(f"/pay/{seeded['token']}").get_data(as_text=True)
        assert all(f'data-testid="agreement-{uuid}"' in page for uuid in seeded["agreements"])
    finally:
        db.close()
