"""The merchant JSON API (/api/v1/...): Bearer key auth, every query scoped to its merchant.

Thin: parse, call a service, answer JSON. ``GET /api/v1/invoices/<uuid>`` belongs to the
public API blueprint, which calls ``invoice_detail`` when an Authorization header is sent.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from blueprints.api_docs import operation
from blueprints.api_support import current_merchant, idempotent, json_body
from models import Invoice
from services.bookings.admin import (
    booking_json,
    cancel_booking,
    get_booking,
    list_bookings,
    upsert_booking,
)
from services.bookings.agreements import agreement_json, create_agreement, list_agreements
from services.common import fields
from services.connect import accounts as connect_accounts
from services.connect.onboarding import onboarding_url
from services.invoices.lifecycle import close_invoice, delete_invoice, reopen_invoice, send_invoice
from services.invoices.queries import (
    create_invoice_from_json,
    get_invoice,
    invoice_json,
    list_invoices,
)
from services.merchants.settings import settings_json, update_settings
from services.payments.refunds import get_payment, refund_json, refund_payment
from services.schemas import queries, requests
from services.schemas import responses as out

bp = Blueprint("merchant_api", __name__, url_prefix="/api/v1")


@bp.before_request
def _authenticate() -> None:
    current_merchant()


def _invoice(invoice: Invoice, status: int = 200) -> ResponseReturnValue:
    config = current_app.config
    return jsonify(success=True, invoice=invoice_json(
        invoice, config["SECRET_KEY"], config["PAYLINK_BASE_URL"])), status


def _page(rows: list[Any], next_cursor: str | None, render: Any) -> ResponseReturnValue:
    return jsonify(success=True, data=[render(r) for r in rows], next_cursor=next_cursor)


def invoice_detail(uuid: str) -> ResponseReturnValue:
    """GET /api/v1/invoices/<uuid> with a merchant key (the public route dispatches here)."""
    return _invoice(get_invoice(current_merchant(), uuid))


# ---- merchant settings and agreements ------------------------------------------------------

@bp.get("/merchant")
@operation("The API key's merchant settings.", out.MerchantOne)
def merchant_settings() -> ResponseReturnValue:
    """The key's merchant settings."""
    return jsonify(success=True, merchant=settings_json(current_merchant()))


@bp.patch("/merchant")
@operation("Update settings (partial).", out.MerchantOne, body=requests.MerchantPatch)
def merchant_update() -> ResponseReturnValue:
    """Partial update: allowed_embed_origins, webhook_url, calendar_sync, branding, ..."""
    merchant = update_settings(current_merchant(), json_body())
    return jsonify(success=True, merchant=settings_json(merchant))


@bp.get("/merchant/stripe")
@operation("The merchant's connected Stripe account (Connect).", out.StripeStatus)
def merchant_stripe() -> ResponseReturnValue:
    """The merchant's connected Stripe account as last reported by Stripe."""
    return jsonify(success=True, **connect_accounts.status(current_merchant()))


@bp.post("/merchant/stripe/onboarding")
@idempotent
@operation("A fresh Stripe Account Link (account_onboarding); creates the account when "
           "there is none.", out.OnboardingLink, idempotent=True, errors=(503,))
def merchant_stripe_onboarding() -> ResponseReturnValue:
    """A fresh Account Link (the account is created first when there is none)."""
    url = onboarding_url(current_app.extensions["stripe_client"], current_merchant())
    return jsonify(success=True, url=url)


@bp.get("/agreements")
@operation("List agreements.", out.AgreementList)
def agreements_list() -> ResponseReturnValue:
    return jsonify(success=True,
                   data=[agreement_json(a) for a in list_agreements(current_merchant())])


@bp.post("/agreements")
@idempotent
@operation("Create an agreement.", out.AgreementOne, status=201,
           body=requests.AgreementCreate, idempotent=True)
def agreements_create() -> ResponseReturnValue:
    agreement = create_agreement(current_merchant(), json_body())
    return jsonify(success=True, agreement=agreement_json(agreement)), 201


# ---- bookings ------------------------------------------------------------------------------

@bp.post("/bookings")
@idempotent
@operation("Create a booking, or update the one with this external_ref (200).",
           out.BookingSaved, status=201, body=requests.BookingUpsert, idempotent=True)
def bookings_upsert() -> ResponseReturnValue:
    """Create a booking, or update the one with the same external_ref."""
    booking, created = upsert_booking(current_merchant(), json_body())
    return jsonify(success=True, created=created, booking=booking_json(booking)), (
        201 if created else 200)


@bp.get("/bookings")
@operation("List bookings, newest first.", out.BookingPage, query=queries.BookingFilters)
def bookings_list() -> ResponseReturnValue:
    rows, next_cursor = list_bookings(current_merchant(), request.args.to_dict())
    return _page(rows, next_cursor, booking_json)


@bp.get("/bookings/<uuid>")
@operation("Read a booking.", out.BookingOne)
def bookings_detail(uuid: str) -> ResponseReturnValue:
    return jsonify(success=True, booking=booking_json(get_booking(current_merchant(), uuid)))


@bp.post("/bookings/<uuid>/cancel")
@idempotent
@operation("Cancel a booking; its open invoices close.", out.BookingOne, idempotent=True)
def bookings_cancel(uuid: str) -> ResponseReturnValue:
    """Cancel; its open invoices close."""
    booking = cancel_booking(get_booking(current_merchant(), uuid))
    return jsonify(success=True, booking=booking_json(booking))


@bp.get("/bookings/<uuid>/invoices")
@operation("A booking's invoices.", out.InvoicePage, query=queries.BookingInvoiceFilters)
def bookings_invoices(uuid: str) -> ResponseReturnValue:
    merchant = current_merchant()
    booking = get_booking(merchant, uuid)
    rows, next_cursor = list_invoices(merchant, request.args.to_dict(), booking=booking)
    config = current_app.config
    return _page(rows, next_cursor, lambda i: invoice_json(
        i, config["SECRET_KEY"], config["PAYLINK_BASE_URL"]))


# ---- invoices ------------------------------------------------------------------------------

@bp.post("/invoices")
@idempotent
@operation("Create an invoice for all or part of a booking's balance.", out.InvoiceOne,
           status=201, body=requests.InvoiceCreate, idempotent=True)
def invoices_create() -> ResponseReturnValue:
    """An invoice for all or part of a booking's balance (not sent until /send)."""
    return _invoice(create_invoice_from_json(current_merchant(), json_body()), 201)


@bp.get("/invoices")
@operation("List invoices, newest first (deleted only with status=deleted).",
           out.InvoicePage, query=queries.InvoiceFilters)
def invoices_list() -> ResponseReturnValue:
    """Filters: status, booking, created_from, created_to; paging: limit, cursor."""
    rows, next_cursor = list_invoices(current_merchant(), request.args.to_dict())
    config = current_app.config
    return _page(rows, next_cursor, lambda i: invoice_json(
        i, config["SECRET_KEY"], config["PAYLINK_BASE_URL"]))


@bp.post("/invoices/<uuid>/send")
@idempotent
@operation("Queue the invoice email or SMS (sent_at is set on delivery).", out.InvoiceOne,
           status=202, idempotent=True)
def invoices_send(uuid: str) -> ResponseReturnValue:
    return _invoice(send_invoice(get_invoice(current_merchant(), uuid)), 202)


@bp.post("/invoices/<uuid>/resend")
@idempotent
@operation("Send the same link again.", out.InvoiceOne, status=202, idempotent=True)
def invoices_resend(uuid: str) -> ResponseReturnValue:
    """Send the same link again."""
    return _invoice(send_invoice(get_invoice(current_merchant(), uuid), resend=True), 202)


@bp.post("/invoices/<uuid>/close")
@idempotent
@operation("Close: the link stops taking payments.", out.InvoiceOne, idempotent=True)
def invoices_close(uuid: str) -> ResponseReturnValue:
    return _invoice(close_invoice(get_invoice(current_merchant(), uuid)))


@bp.post("/invoices/<uuid>/reopen")
@idempotent
@operation("Re-open a closed invoice under a new link (old links die).", out.InvoiceOne,
           body=requests.InvoiceReopen, body_required=False, idempotent=True)
def invoices_reopen(uuid: str) -> ResponseReturnValue:
    """Re-open a closed invoice under a new link (old links stop working)."""
    data = json_body() if request.get_data() else {}
    expires_at = fields.iso_datetime(data, "expires_at")
    return _invoice(reopen_invoice(get_invoice(current_merchant(), uuid), expires_at))


@bp.delete("/invoices/<uuid>")
@operation("Soft delete: the link 404s, the record is kept.", out.InvoiceOne)
def invoices_delete(uuid: str) -> ResponseReturnValue:
    """Soft delete: the link 404s, the record stays."""
    return _invoice(delete_invoice(get_invoice(current_merchant(), uuid)))


# ---- refunds -------------------------------------------------------------------------------

@bp.post("/payments/<uuid>/refunds")
@idempotent
@operation("Refund all or part of a payment through Stripe.", out.RefundOne, status=201,
           body=requests.RefundCreate, body_required=False, idempotent=True)
def payments_refund(uuid: str) -> ResponseReturnValue:
    """Refund all or part (amount_cents) of a payment through Stripe."""
    merchant = current_merchant()
    payment = get_payment(merchant, uuid)
    data = json_body() if request.get_data() else {}
    amount = fields.integer(data, "amount_cents", minimum=-fields.MAX_CENTS)
    key = request.headers.get("Idempotency-Key")
    refund = refund_payment(
        current_app.extensions["stripe_client"], payment, amount,
        idempotency_key=f"paylink-refund-{merchant.uuid}-{key.strip()}" if key else None,
    )
    return jsonify(success=True, refund=refund_json(refund, refund.payment)), 201
