"""The customer pay page: GET /pay/<token>, its confirm POST and the redirect return."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from markupsafe import Markup

from blueprints.branding import accent_color, logo_origin
from blueprints.language import request_locale, use_locale
from blueprints.ratelimits import pay_attempts, token_lookups
from models import Agreement, CustomerPayment, Invoice, utcnow
from services.bookings.summary import booking_summary, invoice_by_nonce, page_rows
from services.common import locales
from services.common.errors import ServiceError
from services.common.locales import N_
from services.common.money import format_money
from services.common.urls import public_url_for
from services.connect.accounts import account_for
from services.documents.for_link import calendar_for_invoice, receipt_for_invoice
from services.invoices import tokens
from services.invoices.links import invoice_for_token
from services.payments.attempts import complete_next_action, pay
from services.payments.finalisation import confirmation
from services.payments.locks import InvoiceRef, invoice_id_of
from services.payments.rules import PayRequest, unpayable_reason

bp = Blueprint("pay", __name__, url_prefix="/pay")

GONE_STATES = ("deleted", "expired")
# The state line's words (data-state keeps the code).
STATE_LABELS = {"open": N_("open"), "paid": N_("paid"), "closed": N_("closed"),
                "canceled": N_("canceled"), "no_balance": N_("no balance"),
                "slot_unavailable": N_("slot unavailable"), "unavailable": N_("unavailable")}
CSRF_MESSAGE = N_("This page has expired. Please reload it and try again.")


def js_messages() -> dict[str, str]:
    """pay.js's sentences in the page's language (%(minimum)s / %(maximum)s kept for it)."""
    return {
        "noStripe": gettext("The secure card form could not load. Check your connection "
                            "and reload the page."),
        "amountRange": gettext("Enter an amount between %(minimum)s and %(maximum)s.",
                               minimum="%(minimum)s", maximum="%(maximum)s"),
        "notCompleted": gettext("Your payment was not completed."),
        "failed": gettext("Your payment could not be completed. Please try again."),
        "offline": gettext("We could not reach the server. Check your connection and try "
                           "again; you will not be charged twice."),
        "paid": gettext("paid"),
    }


def get_invoice_or_404(token: str) -> Invoice:
    """The invoice and all a page shows of it in one query (services.summary); 404 otherwise.

    The token's signature is checked first: a forged or random token costs no query.
    """
    invoice = invoice_for_token(token, current_app.config["SECRET_KEY"], invoice_by_nonce)
    if invoice is None:
        abort(404)
    return invoice


def page_rows_or_404(token: str) -> tuple[str, Invoice, list[Agreement]]:
    """The link's nonce, its live invoice and the booking's agreements; 404 otherwise."""
    nonce = tokens.unsign(current_app.config["SECRET_KEY"], token)
    found = page_rows(nonce) if nonce is not None else None
    if nonce is None or found is None:
        abort(404)
    return nonce, *found


def stripe_client():
    return current_app.extensions["stripe_client"]


def render_page(token: str, nonce: str, invoice: Invoice, agreements: list[Agreement],
                error: str | None = None) -> ResponseReturnValue:
    """The page for an invoice: the booking summary and, when payable, the card form."""
    booking, merchant = invoice.booking, invoice.merchant
    use_locale(request_locale(booking.customer.locale, merchant.locale))
    locale = locales.formatting_locale(merchant.locale)
    frame_ancestors = list(merchant.allowed_embed_origins or ())
    logo_host = logo_origin(merchant.logo_url)
    g.frame_ancestors = frame_ancestors
    g.image_origins = [logo_host] if logo_host else []
    reason = unpayable_reason(invoice, booking, invoice.held_seats)
    if reason and reason[0] in GONE_STATES:
        return render_template("errors/error.html", status=404,
                               message=locales.translate(reason[1])), 404
    paid = invoice.paid_cents
    state = reason[0] if reason else "open"
    context: dict[str, Any] = {
        "token": token, "invoice": invoice, "state": state,
        "message": locales.translate(reason[1]) if reason else None,
        "error": locales.translate(error) if error else None,
        "state_label": gettext(STATE_LABELS.get(state, state)),
        "language_choices": locales.choices(),
        "summary": booking_summary(invoice, booking, merchant, paid, locale),
        "embed_origins": frame_ancestors,
        "brand_css": merchant.brand_color and accent_color(merchant.brand_color) and url_for(
            "branding.stylesheet", merchant_uuid=merchant.uuid, v=merchant.brand_color[1:]),
        "logo_url": merchant.logo_url if logo_host else None,
    }
    if state == "open":
        context["pay_amount"] = Markup('<span id="pay-amount">{}</span>').format(
            context["summary"]["due_now"])
        context["js_messages"] = js_messages()
        context["agreements"] = agreements
        context["csrf_token"] = tokens.make_csrf(current_app.config["SECRET_KEY"], nonce)
        context["stripe_js_url"] = current_app.config["STRIPE_JS_URL"]
        context["publishable_key"] = current_app.config["STRIPE_PUBLISHABLE_KEY"]
        context["stripe_account"] = account_for(merchant)  # Stripe.js's stripeAccount
    elif state == "paid":
        payment = (
            CustomerPayment.select().where(CustomerPayment.invoice == invoice.id)
            .order_by(CustomerPayment.id.desc()).first()
        )
        context["payment"] = payment
        if payment is not None:
            context["summary"]["last_payment"] = format_money(
                payment.amount_cents + payment.tip_cents, payment.currency, locale)
    return render_template("pay/page.html", **context), 200


@bp.get("/<token>")
@token_lookups
def page(token: str) -> ResponseReturnValue:
    """The booking summary and, when payable, the agreements and the card form."""
    nonce, invoice, agreements = page_rows_or_404(token)
    if invoice.viewed_at is None:
        # Compare-and-set: the first view wins, concurrent views do not rewrite it.
        Invoice.update(viewed_at=utcnow()).where(
            Invoice.id == invoice.id, Invoice.viewed_at.is_null()
        ).execute()
    return render_page(token, nonce, invoice, agreements)


@bp.post("/<token>/confirm")
@pay_attempts
def confirm(token: str) -> ResponseReturnValue:
    """One payment step from the page: a confirmation token, or a handled next action."""
    nonce = tokens.unsign(current_app.config["SECRET_KEY"], token)
    if nonce is None:
        abort(404)
    data = request.get_json(silent=True)
    supplied = (data or {}).get("csrfToken") if isinstance(data, dict) else None
    supplied = request.headers.get("X-CSRF-Token") or supplied
    if not tokens.check_csrf(current_app.config["SECRET_KEY"], nonce, supplied):
        invoice_id_of(InvoiceRef("token", nonce))  # a deleted link is a 404 first
        raise ServiceError(CSRF_MESSAGE, status=403, code="csrf_failed")
    pay_request = PayRequest.from_json(
        data, ip=request.remote_addr, user_agent=request.user_agent.string,
        return_url=public_url_for("pay.returned", token=token, lang=current_lang()),
        use_stripe_sdk=current_app.config["STRIPE_USE_SDK_NEXT_ACTIONS"],
    )
    # pay() finds the live invoice by its link while locking it (404 when there is none).
    body = pay(stripe_client(), InvoiceRef("token", nonce), pay_request).as_json()
    return translated(body)


@bp.get("/<token>/status")
@token_lookups
def status(token: str) -> ResponseReturnValue:
    """Where a framed page waits while the bank's page is open in another tab."""
    invoice = get_invoice_or_404(token)
    reason = unpayable_reason(invoice, invoice.booking, invoice.held_seats)
    body: dict[str, object] = {"success": True, "state": reason[0] if reason else "open",
                               "pending": invoice.pending_intent_id is not None,
                               "failedAttempts": invoice.failed_attempts}
    if invoice.failed_attempts:
        last = invoice.last_attempt_message
        body["message"] = locales.translate(last) if last else last
    payment = (CustomerPayment.select().where(CustomerPayment.invoice == invoice.id)
               .order_by(CustomerPayment.id.desc()).first())
    if payment is not None:
        body["confirmation"] = confirmation(payment, invoice.booking)
    return translated(body)


@bp.get("/<token>/return")
@token_lookups
def returned(token: str) -> ResponseReturnValue:
    """Where redirect-based next actions (bank pages) come back to."""
    invoice = get_invoice_or_404(token)
    intent_id = request.args.get("payment_intent", "")
    if not intent_id:
        return redirect(url_for("pay.page", token=token, lang=current_lang()), 303)
    try:
        complete_next_action(stripe_client(), invoice.id, intent_id)
    except ServiceError as exc:
        # Re-read: the failed attempt was just recorded on the invoice.
        return render_page(token, *page_rows_or_404(token), error=exc.message)
    return redirect(url_for("pay.page", token=token), 303)


def current_lang() -> str | None:
    """The language the customer picked for this request, kept on the links it makes:
    ``?lang=``, or the bare tag pay.js sends as Accept-Language (a browser's own header
    lists several, and is left to the page's usual choice)."""
    header = request.headers.get("Accept-Language", "")
    bare = header if header and locales.LOCALES.get(header) else None
    return locales.supported(request.args.get("lang")) or bare


def translated(body: dict[str, Any]) -> dict[str, Any]:
    """A JSON answer's customer sentences (``message``, the confirmation's) translated."""
    if isinstance(body.get("message"), str):
        body["message"] = locales.translate(body["message"])
    inner = body.get("confirmation")
    if isinstance(inner, dict) and isinstance(inner.get("message"), str):
        inner["message"] = locales.translate(inner["message"])
    return body


def _download(name: str, data: bytes, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/<token>/receipt.pdf")
@token_lookups
def receipt_pdf(token: str) -> ResponseReturnValue:
    """The PDF receipt of the link's latest payment (it says so once refunded)."""
    name, data = receipt_for_invoice(get_invoice_or_404(token))
    return _download(name, data, "application/pdf")


@bp.get("/<token>/booking.ics")
@token_lookups
def booking_ics(token: str) -> ResponseReturnValue:
    """The booking as an iCalendar event, for the customer's calendar."""
    name, data = calendar_for_invoice(get_invoice_or_404(token))
    return _download(name, data, "text/calendar")
