"""Refunds through the merchant API against the Stripe sandbox (real SDK over HTTP)."""

from __future__ import annotations

import pytest

from models import Booking, CustomerPayment, Invoice, OutboxMessage, Refund, db
from services.payments.finalisation import finalise
from services.payments.refunds import record_refund
from tests.api_helpers import Api, new_merchant


@pytest.fixture
def stripe_app(pay_app):
    """The app on SQLite with the sandbox (tests/conftest.py) as its Stripe."""
    return pay_app


def pay(app, invoice_uuid: str, amount: int, tip: int = 0) -> str:
    """A succeeded PaymentIntent in the sandbox, finalised like the pay flow does."""
    client = app.extensions["stripe_client"]
    with app.app_context(), db.connection_context():
        invoice = Invoice.get(Invoice.uuid == invoice_uuid)
        intent = client.v1.payment_intents.create(params={
            "amount": amount + tip, "currency": invoice.currency, "confirm": True,
            "payment_method": "pm_card_visa",
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            "metadata": {"invoice_uuid": invoice_uuid, "amount_cents": str(amount),
                         "tip_cents": str(tip)},
        })
        assert intent.status == "succeeded"
        finalise(intent)
        return CustomerPayment.get(CustomerPayment.stripe_payment_intent_id == intent.id).uuid


def test_partial_then_full_refund_reverts_invoice_and_balance(stripe_app):
    client = stripe_app.test_client()
    merchant, key = new_merchant(webhook_url="https://hooks.example/x", webhook_secret="whsec_1")
    api = Api(client, key)
    b = api.booking()
    inv = api.invoice(b["uuid"])
    payment = pay(stripe_app, inv["uuid"], 10000, tip=500)
    assert api.get(f"/api/v1/invoices/{inv['uuid']}").get_json()["invoice"]["status"] == "paid"

    response = api.post(f"/api/v1/payments/{payment}/refunds", {"amount_cents": 4000},
                        headers={"Idempotency-Key": "r-1"})
    assert response.status_code == 201, response.get_json()
    refund = response.get_json()["refund"]
    assert refund["amount_cents"] == 4000 and refund["stripe_refund_id"].startswith("re_")
    replay = api.post(f"/api/v1/payments/{payment}/refunds", {"amount_cents": 4000},
                      headers={"Idempotency-Key": "r-1"})
    assert replay.get_json() == response.get_json()
    got = api.get(f"/api/v1/invoices/{inv['uuid']}").get_json()["invoice"]
    assert got["status"] == "partially_paid" and got["paid_at"] is None
    assert (got["amount_paid_cents"], got["due_cents"]) == (6000, 4000)
    assert got["pay_url"] is not None  # payable again for what was refunded
    booking = api.get(f"/api/v1/bookings/{b['uuid']}").get_json()["booking"]
    assert booking["balance_cents"] == 4000

    too_much = api.post(f"/api/v1/payments/{payment}/refunds", {"amount_cents": 6501})
    assert too_much.status_code == 422 and "between 1 and 6500" in too_much.get_json()["message"]
    for bad in ({"amount_cents": 0}, {"amount_cents": -5}, {"amount_cents": "10"}):
        assert api.post(f"/api/v1/payments/{payment}/refunds", bad).status_code == 422

    rest = api.post(f"/api/v1/payments/{payment}/refunds", {})  # the rest, tip included
    assert rest.status_code == 201
    assert rest.get_json()["refund"]["payment"]["refunded_cents"] == 10500
    got = api.get(f"/api/v1/invoices/{inv['uuid']}").get_json()["invoice"]
    assert got["status"] == "draft" and got["amount_paid_cents"] == 0
    with db.connection_context():
        assert Booking.get(Booking.uuid == b["uuid"]).balance_cents == 10000
        assert Refund.select().count() == 2
        hooks = [m.payload["type"] for m in OutboxMessage.select().where(
            OutboxMessage.kind == "merchant_webhook")]
    assert hooks.count("payment.refunded") == 2 and "payment.succeeded" in hooks
    again = api.post(f"/api/v1/payments/{payment}/refunds", {})
    assert again.status_code == 422 and "fully refunded" in again.get_json()["message"]

    _, other_key = new_merchant("Other")
    assert Api(client, other_key).post(f"/api/v1/payments/{payment}/refunds",
                                       {}).status_code == 404


def test_record_refund_is_idempotent_for_the_webhook(stripe_app):
    client = stripe_app.test_client()
    _, key = new_merchant()
    api = Api(client, key)
    b = api.booking()
    inv = api.invoice(b["uuid"], amount_cents=3000)
    payment_uuid = pay(stripe_app, inv["uuid"], 3000)
    with stripe_app.app_context(), db.connection_context():
        payment = CustomerPayment.get(CustomerPayment.uuid == payment_uuid)
        first = record_refund(payment, "re_dashboard_1", 1000)
        second = record_refund(payment, "re_dashboard_1", 1000)
        assert first.id == second.id
        payment = CustomerPayment.get_by_id(payment.id)
        assert payment.refunded_cents == 1000
        assert Booking.get(Booking.uuid == b["uuid"]).balance_cents == 8000
        invoice = Invoice.get(Invoice.uuid == inv["uuid"])
        assert (invoice.status, invoice.amount_paid_cents) == ("open", 2000)


def test_stripe_refusal_is_a_clear_error_and_records_nothing(stripe_app):
    client = stripe_app.test_client()
    _, key = new_merchant()
    api = Api(client, key)
    b = api.booking()
    inv = api.invoice(b["uuid"])
    with db.connection_context():
        invoice = Invoice.get(Invoice.uuid == inv["uuid"])
        payment = CustomerPayment.create(
            booking=invoice.booking, invoice=invoice, amount_cents=1000, currency="usd",
            stripe_payment_intent_id="pi_not_in_stripe", confirmation_number="P-X")
    response = api.post(f"/api/v1/payments/{payment.uuid}/refunds", {})
    assert response.status_code == 502
    assert "Stripe refused the refund" in response.get_json()["message"]
    with db.connection_context():
        assert Refund.select().count() == 0
