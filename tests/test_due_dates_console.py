"""Due dates and reminders in the console: Send Invoice's due date (the merchant's zone),
the settings form, the invoice's message timeline; pages valid for the Nu checker."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime
from pathlib import Path

from models import CustomerPayment, Invoice, Merchant, db
from services.invoices.links import pay_token
from tests.console_helpers import Console, html_problems, seed_merchant
from tests.pay_helpers import new_invoice
from tests.test_html_valid import _set, vnu  # noqa: F401 (fixture)
from tests.test_reminders import jobs


def test_send_invoice_due_date_settings_and_timeline(app, tmp_path, vnu):  # noqa: F811
    seeded = seed_merchant(timezone="Europe/Berlin")
    console = Console(app.test_client(), seeded["email"])
    booking = seeded["booking"]
    response = console.send_invoice(booking, due_at="2030-05-20T12:00")
    assert response.status_code == 302, response.get_data(as_text=True)
    with db.connection_context():
        invoice = Invoice.get(Invoice.booking == booking.id)
    assert invoice.due_at == datetime(2030, 5, 20, 10, 0)  # 12:00 in Berlin (CEST) as UTC

    bad = console.post("/console/settings/notices", {"reminders": "1, 2, 3, 4, 5, 6"})
    assert bad.status_code == 422 and "at most 5" in bad.get_data(as_text=True)
    bad = console.post("/console/settings/notices", {"reminders": "soon"})
    assert bad.status_code == 422
    ok = console.post("/console/settings/notices", {
        "reminders": "-1, 0", "notification_email": "ops@harbour.example",
        "address": "Pier 2, Kiel"})
    assert ok.status_code == 302
    with db.connection_context():
        merchant = Merchant.get_by_id(seeded["merchant"].id)
    assert (merchant.reminders, merchant.notification_email, merchant.address) == (
        [-1, 0], "ops@harbour.example", "Pier 2, Kiel")
    assert 'value="-1, 0"' in console.get("/console/settings").get_data(as_text=True)

    jobs(app, "2030-05-01T10:00:00Z")  # the invoice email (mail suppressed in tests)
    jobs(app, "2030-05-19T10:00:00Z")  # the reminder a day before
    with db.connection_context():
        token = pay_token(Invoice.get_by_id(invoice.id), app.config["SECRET_KEY"])
    assert app.test_client().get(f"/pay/{token}").status_code == 200  # viewed
    with db.connection_context():
        CustomerPayment.create(booking=booking.id, invoice=invoice.id, amount_cents=100,
                               currency="usd", stripe_payment_intent_id="pi_t",
                               confirmation_number="P-T")
    page = console.get(f"/console/bookings/{booking.uuid}").get_data(as_text=True)
    assert 'data-testid="invoice-due"' in page and "May 20, 2030, 12:00:00" in page
    assert 'data-testid="timeline-sent"' in page
    assert "Reminder 1 day before the due date" in page
    kinds = re.findall(r'data-testid="timeline-(\w+)"', page)
    assert kinds == ["sent", "reminded", "viewed", "paid"], kinds
    assert html_problems(page) == []
    files = [tmp_path / "booking.html", tmp_path / "settings.html"]
    files[0].write_text(page)
    files[1].write_text(console.get("/console/settings").get_data(as_text=True))
    assert_valid(vnu, files)


def test_pay_pages_with_due_date_and_documents_are_valid(app, tmp_path, vnu):  # noqa: F811
    client = app.test_client()
    open_one = new_invoice(app, due_at=datetime(2030, 5, 20, 10, 0))
    paid = new_invoice(app)
    _set(Invoice, paid["invoice"].id, status="paid")
    with db.connection_context():
        CustomerPayment.create(booking=paid["booking"].id, invoice=paid["invoice"].id,
                               amount_cents=10000, currency="usd",
                               stripe_payment_intent_id="pi_h", confirmation_number="P-1")
    files = []
    for name, seeded in (("open", open_one), ("paid", paid)):
        body = client.get(f"/pay/{seeded['token']}").get_data(as_text=True)
        assert 'data-testid="receipt-pdf"' in body and 'data-testid="add-to-calendar"' in body
        file = tmp_path / f"{name}.html"
        file.write_text(body)
        files.append(file)
    assert 'data-testid="due-by"' in files[0].read_text()
    assert client.get(f"/pay/{paid['token']}/receipt.pdf").data.startswith(b"%PDF")
    assert_valid(vnu, files)


def assert_valid(checker: list[str], files: list[Path]) -> None:
    result = subprocess.run([*checker, *map(str, files)], capture_output=True, text=True,
                            timeout=120)
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    assert [f"{Path(m['url']).name}: {m['message']}" for m in messages
            if m["type"] == "error"] == []
