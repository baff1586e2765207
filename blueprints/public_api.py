"""The seed's public JSON client: read an invoice by uuid, pay it.

The same services as the pay page (one implementation of the rules). With an
Authorization header the read is the merchant's view instead (merchant_api).
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from flask import Blueprint, abort, current_app, request
from flask.typing import ResponseReturnValue

from blueprints.api_docs import operation
from blueprints.merchant_api import invoice_detail
from blueprints.ratelimits import pay_attempts, token_lookups
from models import Agreement, Invoice
from services.bookings.summary import payment_history, read_rows
from services.common.fields import isoformat
from services.payments.attempts import pay
from services.payments.locks import InvoiceRef
from services.payments.rules import PayRequest, amount_due_now, unpayable_reason
from services.schemas import requests, responses

bp = Blueprint("public_api", __name__, url_prefix="/api/v1")


def _iso(value: date | time | None) -> str | None:
    return value.isoformat() if value is not None else None


@bp.get("/invoices/<uuid>")
@token_lookups
@operation("Public: what the pay client shows (no auth). With a merchant Bearer key: the "
           "merchant's view (Invoice).", responses.InvoiceRead, auth="either")
def read_invoice(uuid: str) -> ResponseReturnValue:
    """Public view of an invoice (the merchant's view when a key is presented)."""
    if "Authorization" in request.headers:
        return invoice_detail(uuid)
    found = read_rows(uuid)
    body = public_view(*found) if found else None
    if body is None:
        abort(404)
    return body


def public_view(invoice: Invoice, agreements: list[Agreement]) -> dict[str, Any] | None:
    """The public JSON of an invoice; None once it is deleted or expired."""
    booking = invoice.booking
    reason = unpayable_reason(invoice, booking, invoice.held_seats)
    if reason and reason[0] in ("deleted", "expired"):
        return None
    return dict(
        success=True,
        invoice={
            "uuid": invoice.uuid, "dueNowCents": amount_due_now(invoice, booking),
            "currency": invoice.currency, "state": reason[0] if reason else "open",
            "payable": reason is None, "message": reason[1] if reason else None,
            "allowPartial": invoice.allow_partial, "minPartialCents": invoice.min_partial_cents,
            "allowTip": invoice.allow_tip, "memo": invoice.memo,
            "dueAt": isoformat(invoice.due_at),
        },
        merchant={"name": invoice.merchant.name},
        cart=booking.cart, totalCents=booking.total_cents, balanceCents=booking.balance_cents,
        activity=booking.activity, date=_iso(booking.date), start=_iso(booking.start_time),
        end=_iso(booking.end_time), endDate=_iso(booking.end_date),
        agreements=[{"uuid": a.uuid, "title": a.title, "body": a.body, "version": a.version}
                    for a in agreements],
        payments=payment_history(invoice),
    )


@bp.post("/invoices/<uuid>/pay")
@pay_attempts
@operation("Public: pay with a Stripe ConfirmationToken, or finish after handleNextAction.",
           responses.PayAnswer, body=requests.PayBody, auth="none", validate=False,
           errors=(402, 429, 503))  # declined; too many attempts; Stripe unreachable
def pay_invoice(uuid: str) -> ResponseReturnValue:
    """Pay with a ConfirmationToken, or finish after handleNextAction."""
    pay_request = PayRequest.from_json(
        request.get_json(silent=True), ip=request.remote_addr,
        user_agent=request.user_agent.string,
    )
    # pay() finds the live invoice by uuid while locking it (404 when there is none).
    return pay(current_app.extensions["stripe_client"], InvoiceRef("uuid", uuid),
               pay_request).as_json()
