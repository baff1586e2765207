"""The seed's public JSON client: read an invoice by uuid, pay it.

The same services as the pay page (one implementation of the rules). With an
Authorization header the read is the merchant's view instead (merchant_api).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from blueprints.ratelimits import pay_attempts, token_lookups
from models import Invoice
from services.payments import PayRequest, amount_due_now, pay, unpayable_reason
from services.summary import AGREEMENTS_OF_BOOKING, PAGE_BY_UUID

bp = Blueprint("public_api", __name__, url_prefix="/api/v1")


def get_live_invoice_or_404(uuid: str) -> Invoice:
    invoice = PAGE_BY_UUID.first(uuid)
    if invoice is None:
        abort(404)
    return invoice


def _iso(value: object) -> str | None:
    return value.isoformat() if value is not None else None


@bp.get("/invoices/<uuid>")
@token_lookups
def read_invoice(uuid: str) -> ResponseReturnValue:
    """Public view of an invoice (the merchant's view when a key is presented)."""
    if "Authorization" in request.headers:
        from blueprints.merchant_api import invoice_detail

        return invoice_detail(uuid)
    invoice = get_live_invoice_or_404(uuid)
    booking = invoice.booking
    reason = unpayable_reason(invoice, booking, invoice.held_seats)
    if reason and reason[0] in ("deleted", "expired"):
        abort(404)
    agreements = AGREEMENTS_OF_BOOKING.rows(booking.id)
    return jsonify(
        success=True,
        invoice={
            "uuid": invoice.uuid, "dueNowCents": amount_due_now(invoice, booking),
            "currency": invoice.currency, "state": reason[0] if reason else "open",
            "payable": reason is None, "message": reason[1] if reason else None,
            "allowPartial": invoice.allow_partial, "minPartialCents": invoice.min_partial_cents,
            "allowTip": invoice.allow_tip, "memo": invoice.memo,
        },
        merchant={"name": invoice.merchant.name},
        cart=booking.cart, totalCents=booking.total_cents, balanceCents=booking.balance_cents,
        activity=booking.activity, date=_iso(booking.date), start=_iso(booking.start_time),
        end=_iso(booking.end_time), endDate=_iso(booking.end_date),
        agreements=[{"uuid": a.uuid, "title": a.title, "body": a.body, "version": a.version}
                    for a in agreements],
    )


@bp.post("/invoices/<uuid>/pay")
@pay_attempts
def pay_invoice(uuid: str) -> ResponseReturnValue:
    """Pay with a ConfirmationToken, or finish after handleNextAction."""
    invoice = get_live_invoice_or_404(uuid)
    pay_request = PayRequest.from_json(
        request.get_json(silent=True), ip=request.remote_addr,
        user_agent=request.user_agent.string,
    )
    return pay(current_app.extensions["stripe_client"], invoice.id, pay_request).as_json()
