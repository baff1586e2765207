"""Due dates and reminders, driven through `flask jobs run --once --now ...` with mail
going to a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playhouse.migrate import migrate

from migrations import _migrator, create_schema
from models import Booking, Invoice, InvoiceReminder, SchemaVersion, db
from services.invoices.lifecycle import send_invoice
from services.reminders.runner import queue_due_reminders
from tests import factories
from tests.api_helpers import Api, new_merchant
from tests.conftest import free_port, make_test_app, sandbox_config
from tests.console_helpers import Inbox
from tests.pay_helpers import ctoken, pay_api

DUE = datetime(2030, 5, 20, 10, 0)  # naive UTC, as stored
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def mail_app(database_url, sandbox, smtp):
    app = make_test_app(database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp[1],
                        MAIL_SUPPRESS_SEND=False, **sandbox_config(sandbox))
    yield app
    db.close()


def jobs(app, now: str) -> str:
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--once", "--now", now])
    assert result.exit_code == 0, result.output
    return result.output


def sent_invoice(app, merchant=None, **fields) -> tuple[Invoice, Booking]:
    with db.connection_context():
        merchant = merchant or factories.merchant(timezone="Europe/Berlin")[0]
        booking = factories.booking(merchant)
        invoice = factories.invoice(booking, due_at=DUE, **fields)
        send_invoice(invoice)
    jobs(app, "2030-05-01T10:00:00Z")  # delivers the invoice itself
    return invoice, booking


def subjects(inbox: Inbox) -> list[str]:
    return [m["Subject"] for m in inbox.messages]


def test_reminders_arrive_once_each_in_order_and_none_after_payment(mail_app, smtp,
                                                                    stripe_sdk):
    inbox, _ = smtp
    invoice, booking = sent_invoice(mail_app)
    assert subjects(inbox) == ["Test Tours: $100.00 due for Kayak tour"]
    link = inbox.pay_link(0)
    assert "Due by May 20, 2030, 12:00:00\u202fPM (Europe/Berlin)" in inbox.text(0)

    for now in ("2030-05-16T12:00:00Z", "2030-05-17T09:59:00Z"):  # before 3 days before
        assert "reminders queued 0" in jobs(mail_app, now)
    assert "reminders queued 1" in jobs(mail_app, "2030-05-17T10:00:00Z")
    for now in ("2030-05-17T11:00:00Z", "2030-05-18T10:00:00Z"):  # the same offset: once
        assert "reminders queued 0" in jobs(mail_app, now)
    assert "reminders queued 1" in jobs(mail_app, "2030-05-20T10:30:00Z")
    reminders = subjects(inbox)[1:]
    assert reminders == ["Reminder from Test Tours: $100.00 due for Kayak tour"] * 2
    assert inbox.pay_link(1) == link and inbox.pay_link(2) == link  # the same pay link
    assert "A reminder: $100.00 is due" in inbox.text(1)

    response = pay_api(mail_app.test_client(), {"uuid": invoice.uuid, "agreements": [
        a.agreement.uuid for a in booking.required_agreements]},
        stripeConfirmationToken=ctoken(stripe_sdk))
    assert response.status_code == 200, response.json
    jobs(mail_app, "2030-05-20T11:00:00Z")  # the receipt
    assert subjects(inbox)[-1] == "Test Tours: payment received, thank you"
    count = len(inbox.messages)
    for now in ("2030-05-22T10:00:00Z", "2030-05-25T10:00:00Z"):  # 2 days after: paid
        assert "reminders queued 0" in jobs(mail_app, now)
    assert len(inbox.messages) == count
    with db.connection_context():
        rows = {r.offset_days: r.status for r in InvoiceReminder.select()}
    assert rows == {-3: "queued", 0: "queued"}


def test_missed_offsets_send_only_the_latest_and_closed_or_canceled_get_none(mail_app, smtp):
    inbox, _ = smtp
    late, _ = sent_invoice(mail_app)
    closed, _ = sent_invoice(mail_app)
    canceled, canceled_booking = sent_invoice(mail_app)
    with db.connection_context():
        Invoice.update(status="closed").where(Invoice.id == closed.id).execute()
        Booking.update(status="canceled").where(Booking.id == canceled_booking.id).execute()
    before = len(inbox.messages)
    out = jobs(mail_app, "2030-05-23T10:00:00Z")  # every offset has passed at once
    assert "reminders queued 1, skipped 2" in out, out
    assert len(inbox.messages) == before + 1
    with db.connection_context():
        rows = sorted((r.offset_days, r.status) for r in InvoiceReminder.select()
                      .where(InvoiceReminder.invoice == late.id))
    assert rows == [(-3, "skipped"), (0, "skipped"), (2, "queued")]


def test_sms_reminders_wait_for_the_morning_in_the_customers_zone(mail_app, smtp):
    mail_app.config["SMS_BACKEND"] = "memory"
    with db.connection_context():
        merchant = factories.merchant(timezone="America/New_York")[0]
        merchant.reminders = [0]
        merchant.save()
    invoice, _ = sent_invoice(mail_app, merchant, send_type="sms")
    # due 10:00 UTC = 06:00 in New York: night there, so the SMS waits until 09:00 (13:00 UTC)
    assert "deferred 1" in jobs(mail_app, "2030-05-20T10:00:00Z")
    assert "deferred 1" in jobs(mail_app, "2030-05-20T12:59:00Z")
    out = jobs(mail_app, "2030-05-20T13:00:00Z")
    assert "reminders queued 1" in out and "outbox delivered 1" in out, out
    sent = mail_app.extensions["sms_backend"].sent
    assert [text.split(":")[1] for _, text in sent] == [" $100.00 due for Kayak tour. Pay",
                                                        " reminder, $100.00 due. Pay"]
    assert sent[0][1].split("Pay: ")[1] == sent[1][1].split("Pay: ")[1]  # the same link
    assert all(len(text) <= 160 for _, text in sent)
    with db.connection_context():
        assert InvoiceReminder.get().invoice_id == invoice.id


def test_schedule_rules_in_the_api(app, client):
    _, key = new_merchant()
    api = Api(client, key)
    assert api.get("/api/v1/merchant").get_json()["merchant"]["reminders"] == [-3, 0, 2]
    for bad in ([1, 2, 3, 4, 5, 6], [0, 0], ["1"], [True], [400]):
        response = api.patch("/api/v1/merchant", {"reminders": bad})
        assert response.status_code == 422, (bad, response.get_json())
        assert response.get_json()["field"].startswith("reminders")
    response = api.patch("/api/v1/merchant", {"reminders": [2, -7], "address": "1 Quay St",
                                              "notification_email": "ops@shop.example"})
    merchant = response.get_json()["merchant"]
    assert merchant["reminders"] == [-7, 2] and merchant["address"] == "1 Quay St"
    booking = api.booking(customer={"name": "Kim", "email": "kim@example.com",
                                    "timezone": "Asia/Tokyo"})
    assert booking["customer"]["timezone"] == "Asia/Tokyo"
    created = api.invoice(booking["uuid"], dueAt="2030-05-20T10:00:00Z")
    assert created["due_at"] == created["dueAt"] and created["dueAt"].startswith("2030-05-20T10")
    public = client.get(f"/api/v1/invoices/{created['uuid']}").get_json()["invoice"]
    assert public["dueAt"] == created["dueAt"]
    past = api.post("/api/v1/invoices", {"booking": booking["uuid"],
                                         "due_at": "2001-01-01T00:00:00Z"})
    assert past.status_code == 422 and past.get_json()["field"] == "due_at"
    bad_zone = api.post("/api/v1/bookings", {"external_ref": "z", "activity": "A",
                        "date": "2030-06-01", "customer": {"name": "Z", "timezone": "Mars/Base"},
                        "cart": {"line_items": [{"name": "x", "unit_cents": 100}]}})
    assert bad_zone.status_code == 422 and bad_zone.get_json()["field"] == "customer.timezone"


def _runner_env(database_url: str, smtp_port: int) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key",
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port),
            "PAYLINK_BASE_URL": "http://localhost", "LOG_LEVEL": "WARNING"}


@pytest.mark.postgres
def test_two_runners_at_once_send_each_reminder_once(postgres_url, smtp):
    inbox, port = smtp
    app = make_test_app(postgres_url)
    with db.connection_context():
        merchant = factories.merchant(timezone="Europe/Berlin")[0]
        invoices = []
        for _ in range(12):
            invoice = factories.invoice(factories.booking(merchant, agreements=0), due_at=DUE)
            Invoice.update(sent_at=datetime(2030, 5, 1)).where(Invoice.id == invoice.id).execute()
            invoices.append(invoice)
    env = _runner_env(postgres_url, port)
    for now in ("2030-05-17T10:00:00Z", "2030-05-20T10:00:00Z", "2030-05-22T10:00:00Z"):
        runners = [subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "jobs", "run", "--once", "--now", now],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
        outputs = [r.communicate(timeout=120) for r in runners]
        assert all(r.returncode == 0 for r in runners), outputs
    reminders = [m for m in inbox.messages if m["Subject"].startswith("Reminder")]
    assert len(reminders) == 12 * 3, [m["Subject"] for m in inbox.messages]
    with db.connection_context():
        assert InvoiceReminder.select().where(InvoiceReminder.status == "queued").count() == 36
    per_recipient_ids = {m["Message-ID"] for m in reminders}
    assert len(per_recipient_ids) == 36  # 36 distinct outbox rows, none sent twice
    del app


def test_run_pass_direct_is_idempotent(app):
    with db.connection_context():
        invoice = factories.invoice(due_at=DUE)
        Invoice.update(sent_at=datetime(2030, 5, 1)).where(Invoice.id == invoice.id).execute()
        first = queue_due_reminders(datetime(2030, 5, 20, 12))
        second = queue_due_reminders(datetime(2030, 5, 20, 12))
    assert (first.queued, first.skipped) == (1, 1) and second.queued == second.skipped == 0


def test_migrations_8_and_9_bring_an_old_schema_up_to_date(any_app):
    with db.connection_context():
        _old_schema_then_migrate()


def _old_schema_then_migrate() -> None:
    factories.invoice()
    # the schema as it was before migrations 8 and 9
    InvoiceReminder.drop_table()
    migrate(_migrator().drop_index("invoice", "invoice_due_at"))
    for table, column in (("invoice", "due_at"), ("merchant", "reminders"),
                          ("merchant", "notification_email"), ("merchant", "address"),
                          ("customer", "timezone")):
        migrate(_migrator().drop_column(table, column))
    SchemaVersion.delete().where(SchemaVersion.version.in_([8, 9])).execute()
    assert create_schema() == 2
    assert "due_at" in {c.name for c in db.get_columns("invoice")}
    assert InvoiceReminder.table_exists()
    Invoice.update(due_at=DUE).execute()
    assert queue_due_reminders(datetime(2030, 5, 1)).queued == 0
    assert create_schema() == 0
