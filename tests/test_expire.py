"""`flask invoices expire` on seeded past deadlines, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from models import Booking, CustomerPayment, Invoice, OutboxMessage, db, utcnow
from tests import factories


def test_expire_command(any_app):
    past, future = utcnow() - timedelta(hours=1), utcnow() + timedelta(days=1)
    with db.connection_context():
        merchant, _ = factories.merchant(support_email="ops@tours.example")
        stale = factories.booking(merchant, status="draft", expires_at=past)
        stale_invoice = factories.invoice(stale)
        pending = factories.booking(merchant, status="pending", expires_at=past)
        confirmed = factories.booking(merchant, status="confirmed", expires_at=past)
        not_yet = factories.booking(merchant, status="draft", expires_at=future)
        deposit_paid = factories.booking(merchant, status="pending", expires_at=past)
        CustomerPayment.create(booking=deposit_paid, amount_cents=1000, currency="usd",
                               stripe_payment_intent_id="pi_dep", confirmation_number="P-DEP")
        in_3ds = factories.booking(merchant, status="draft", expires_at=past)
        factories.invoice(in_3ds)
        Invoice.update(pending_intent_id="pi_live").where(Invoice.booking == in_3ds).execute()
        late_invoice = factories.invoice(not_yet)
        Invoice.update(expires_at=past).where(Invoice.id == late_invoice.id).execute()
        fresh_invoice = factories.invoice(not_yet, amount_cents=100, expires_at=future)

    result = any_app.test_cli_runner().invoke(args=["invoices", "expire"])
    assert result.exit_code == 0, result.output
    assert "canceled 2 booking(s)" in result.output

    with db.connection_context():
        def status(b):
            return Booking.get_by_id(b.id).status

        assert (status(stale), status(pending)) == ("canceled", "canceled")
        assert Booking.get_by_id(stale.id).canceled_at is not None
        assert {status(confirmed), status(not_yet)} == {"confirmed", "draft"}
        assert (status(deposit_paid), status(in_3ds)) == ("pending", "draft")
        assert Invoice.get_by_id(stale_invoice.id).status == "closed"
        assert Invoice.get_by_id(late_invoice.id).status == "closed"
        assert Invoice.get_by_id(late_invoice.id).closed_at is not None
        assert Invoice.get_by_id(fresh_invoice.id).status == "open"
        templates = sorted(m.payload["template"] for m in OutboxMessage.select())
        assert templates == ["booking_expired"] * 2 + ["booking_expired_merchant"] * 2

    again = any_app.test_cli_runner().invoke(args=["invoices", "expire"])
    assert "closed 0 invoice(s), canceled 0 booking(s)" in again.output
    with db.connection_context():
        assert OutboxMessage.select().count() == 4  # told once


def test_expired_booking_notices_render(app):
    from runtime.extensions import mail
    from services.messaging.worker import run_once

    with app.app_context(), db.connection_context():
        merchant, _ = factories.merchant(support_email="ops@tours.example")
        factories.booking(merchant, status="draft", expires_at=utcnow() - timedelta(minutes=1),
                          external_ref="EXT-9")
        from services.invoices.expiry import expire_due
        assert expire_due().bookings_canceled == 1
        app.config["MAIL_SUPPRESS_SEND"] = True
        with mail.record_messages() as sent:
            assert run_once(app).delivered == 2
    by_to = {m.recipients[0]: m for m in sent}
    assert "canceled" in by_to["pat@example.com"].body
    assert "EXT-9" in by_to["ops@tours.example"].body
