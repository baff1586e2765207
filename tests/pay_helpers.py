"""Helpers for pay-flow tests: seeded invoices, confirmation tokens from the sandbox."""

from __future__ import annotations

from typing import Any

from models import Agreement, BookingAgreement, Invoice, db
from services.invoices.links import pay_token
from tests import factories


def new_invoice(app, **invoice_fields: Any) -> dict[str, Any]:
    """A payable invoice (2 agreements, 100.00 due) and what a client needs to pay it."""
    booking_fields = invoice_fields.pop("booking_fields", {})
    with db.connection_context():
        booking = factories.booking(**booking_fields)
        invoice = factories.invoice(booking, **invoice_fields)
        agreements = [a.uuid for a in Agreement.select().join(BookingAgreement)
                      .where(BookingAgreement.booking == booking.id)]
        token = pay_token(invoice, app.config["SECRET_KEY"])
    return {"invoice": invoice, "booking": booking, "agreements": agreements, "token": token,
            "uuid": invoice.uuid}


def ctoken(stripe_sdk, payment_method: str = "pm_card_visa") -> str:
    """A ConfirmationToken as Stripe's test helper makes one."""
    return stripe_sdk.v1.test_helpers.confirmation_tokens.create(
        params={"payment_method": payment_method}).id


def start_three_d_secure(client, seeded: dict[str, Any], stripe_sdk) -> tuple[Any, str]:
    """Pay with a card whose bank asks for 3-D Secure: the response and its PaymentIntent."""
    response = pay_api(client, seeded, stripeConfirmationToken=ctoken(
        stripe_sdk, "pm_card_threeDSecure2Required"))
    return response, response.json["clientSecret"].split("_secret_")[0]


def pay_api(client, seeded: dict[str, Any], **body: Any):
    body.setdefault("agreements", seeded["agreements"])
    return client.post(f"/api/v1/invoices/{seeded['uuid']}/pay", json=body)


def reload(invoice: Invoice) -> Invoice:
    with db.connection_context():
        return Invoice.get_by_id(invoice.id)


def intents(stripe_sdk) -> list[Any]:
    return list(stripe_sdk.v1.payment_intents.list(params={"limit": 100}).data)
