"""The outbox worker: real SMTP on loopback (down, then up), SMS, signed webhooks, claims."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller

from models import Invoice, OutboxMessage, db, utcnow
from services.messaging.outbox import enqueue
from services.messaging.sms import MemorySMS, sms_backend
from services.messaging.worker import claim, run_once
from tests import factories
from tests.conftest import free_port, make_test_app


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        text = envelope.content.decode("utf8", errors="replace")
        message_id = next((line.split(":", 1)[1].strip() for line in text.splitlines()
                           if line.lower().startswith("message-id:")), "")
        self.messages.append({"to": ",".join(envelope.rcpt_tos), "id": message_id,
                              "text": text})
        return "250 OK"


@pytest.fixture
def smtp_app(sqlite_url):
    port = free_port()
    app = make_test_app(sqlite_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                        MAIL_SUPPRESS_SEND=False, SMS_BACKEND="memory")
    app.smtp_port = port
    yield app
    db.close()


def seed_messages(app) -> Invoice:
    """An invoice email, a receipt and a confirmation: three emails to deliver."""
    from models import CustomerPayment
    from services.invoices.lifecycle import send_invoice
    from services.messaging.notifications import queue_payment_messages

    with app.app_context(), db.connection_context():
        invoice = factories.invoice(confirm_on_pay=True)
        send_invoice(invoice)
        payment = CustomerPayment.create(
            booking=invoice.booking, invoice=invoice, amount_cents=10000, currency="usd",
            stripe_payment_intent_id="pi_1", confirmation_number="P-CONF1")
        with db.atomic():
            queue_payment_messages(payment, invoice, invoice.booking, True)
            queue_payment_messages(payment, invoice, invoice.booking, True)  # a replay: no-op
        return invoice


def test_smtp_down_then_up_delivers_each_message_once(smtp_app):
    app = smtp_app
    invoice = seed_messages(app)
    now = utcnow()
    with app.app_context(), db.connection_context():
        assert OutboxMessage.select().count() == 3
        down = run_once(app, now=now)
        assert (down.delivered, down.failed) == (0, 3)
        rows = list(OutboxMessage.select())
        assert all(r.delivered_at is None and r.attempts == 1 for r in rows)
        assert all("Connection" in r.last_error for r in rows)
        assert all(r.next_attempt_at >= now + timedelta(seconds=29) for r in rows)
        assert run_once(app, now=now).failed == 0  # backing off: nothing due yet
        assert Invoice.get_by_id(invoice.id).sent_at is None

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=app.smtp_port)
    controller.start()
    try:
        with app.app_context(), db.connection_context():
            later = now + timedelta(hours=1)
            up = run_once(app, now=later)
            assert (up.delivered, up.failed) == (3, 0)
            assert run_once(app, now=later + timedelta(days=1)).delivered == 0
            assert Invoice.get_by_id(invoice.id).sent_at is not None
            assert all(r.delivered_at and r.attempts == 2 for r in OutboxMessage.select())
    finally:
        controller.stop()
    ids = [m["id"] for m in inbox.messages]
    assert len(ids) == 3 and len(set(ids)) == 3
    subjects = " ".join(m["text"] for m in inbox.messages)
    assert "due for Kayak tour" in subjects and "P-CONF1" in subjects
    assert "is confirmed" in subjects
    assert all(m["to"] == "pat@example.com" for m in inbox.messages)


def test_cli_once_reports_counts(smtp_app):
    seed_messages(smtp_app)
    result = smtp_app.test_cli_runner().invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0
    assert "delivered 0, skipped 0, failed 3" in result.output


def test_sms_provider_down_then_up(smtp_app):
    app = smtp_app
    with app.app_context(), db.connection_context():
        invoice = factories.invoice(send_type="sms")
        from services.invoices.lifecycle import send_invoice
        send_invoice(invoice)
        backend = sms_backend(app)
        assert isinstance(backend, MemorySMS)
        backend.fail = True
        assert run_once(app).failed == 1
        backend.fail = False
        assert run_once(app, now=utcnow() + timedelta(hours=1)).delivered == 1
        assert run_once(app, now=utcnow() + timedelta(days=1)).delivered == 0
        assert len(backend.sent) == 1 and len(backend.sent[0][1]) <= 160
        assert Invoice.get_by_id(invoice.id).sent_at is not None


class Hook(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []
    status = 500

    def do_POST(self):  # noqa: N802 (http.server API)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append((dict(self.headers), body))
        self.send_response(Hook.status)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_merchant_webhook_is_signed_and_retried(smtp_app):
    smtp_app.config["PAYLINK_ALLOW_PRIVATE_WEBHOOKS"] = True  # the hook is on loopback
    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Hook.received, Hook.status = [], 500
    try:
        with smtp_app.app_context(), db.connection_context():
            merchant, _ = factories.merchant(
                webhook_url=f"http://127.0.0.1:{server.server_port}/hook",
                webhook_secret="whsec_test")
            from services.messaging.notifications import queue_merchant_webhook
            queue_merchant_webhook(merchant, "booking.expired", "b-1", {"booking_uuid": "b"})
            assert run_once(smtp_app).failed == 1
            assert "500" in OutboxMessage.get().last_error
            Hook.status = 200
            assert run_once(smtp_app, now=utcnow() + timedelta(hours=1)).delivered == 1
    finally:
        server.shutdown()
    headers, body = Hook.received[-1]
    assert len(Hook.received) == 2
    timestamp, signature = (part.split("=", 1)[1]
                            for part in headers["Paylink-Signature"].split(","))
    expected = hmac.new(b"whsec_test", f"{timestamp}.".encode() + body,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)
    assert json.loads(body)["type"] == "booking.expired"


def test_calendar_sync_is_skipped_when_turned_off(smtp_app):
    with smtp_app.app_context(), db.connection_context():
        b = factories.booking()
        enqueue("calendar_sync", "cal-1", {"event": "payment", "booking_uuid": b.uuid},
                b.merchant_id)
        result = run_once(smtp_app)
        assert (result.delivered, result.skipped) == (0, 1)
        assert OutboxMessage.get().last_error == "skipped: calendar_sync off"


def test_two_workers_never_claim_the_same_message(any_app):
    with db.connection_context():
        enqueue("email", "k-1", {"template": "receipt"})
        seen_by_a = OutboxMessage.get()
        seen_by_b = OutboxMessage.get()
        now = utcnow()
        assert claim(seen_by_a, now) is True
        assert claim(seen_by_b, now) is False  # b read the row before a's lease
        row = OutboxMessage.get()
        assert row.attempts == 1 and row.next_attempt_at > now
