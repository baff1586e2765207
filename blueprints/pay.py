"""The customer pay page (GET /pay/<token>) and its JSON."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from flask.typing import ResponseReturnValue
from peewee import fn

from models import Booking, Customer, CustomerPayment, Invoice, Merchant, utcnow
from services.invoices import invoice_for_token
from services.summary import booking_summary

bp = Blueprint("pay", __name__, url_prefix="/pay")


def get_invoice_or_404(token: str) -> Invoice:
    """The invoice with its booking, merchant and customer in one query; 404 otherwise."""
    query = (
        Invoice.select(Invoice, Booking, Merchant, Customer)
        .join(Booking).join(Customer)
        .switch(Invoice).join(Merchant)
    )
    invoice = invoice_for_token(token, current_app.config["SECRET_KEY"], query)
    if invoice is None:
        abort(404)
    return invoice


@bp.get("/<token>")
def page(token: str) -> ResponseReturnValue:
    """The booking summary and payment form for one pay link."""
    invoice = get_invoice_or_404(token)
    if invoice.viewed_at is None:
        # Compare-and-set: the first view wins, concurrent views do not rewrite it.
        Invoice.update(viewed_at=utcnow()).where(
            Invoice.id == invoice.id, Invoice.viewed_at.is_null()
        ).execute()
    paid = (
        CustomerPayment.select(fn.COALESCE(fn.SUM(CustomerPayment.amount_cents), 0))
        .where(CustomerPayment.booking == invoice.booking_id)
        .scalar()
    )
    summary = booking_summary(invoice, invoice.booking, invoice.merchant, paid)
    return render_template("pay/page.html", invoice=invoice, summary=summary)
