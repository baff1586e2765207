"""The customer pay page: GET /pay/<token>, its confirm POST and the redirect return."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from blueprints.ratelimits import pay_attempts, token_lookups
from models import (
    Agreement,
    CustomerPayment,
    Invoice,
    utcnow,
)
from services import tokens
from services.branding import accent_color, logo_origin
from services.errors import ServiceError
from services.invoices import invoice_for_token
from services.money import format_money
from services.payments import (
    InvoiceRef,
    PayRequest,
    complete_next_action,
    confirmation,
    invoice_id_of,
    pay,
    unpayable_reason,
)
from services.summary import PAGE_BY_NONCE, PageRows, booking_summary, page_rows
from services.urls import public_url_for
from services.view_cache import ViewCache

bp = Blueprint("pay", __name__, url_prefix="/pay")

GONE_STATES = ("deleted", "expired")


def get_invoice_or_404(token: str) -> Invoice:
    """The invoice and all a page shows of it in one query (services.summary); 404 otherwise.

    The token's signature is checked first: a forged or random token costs no query.
    """
    invoice = invoice_for_token(token, current_app.config["SECRET_KEY"], PAGE_BY_NONCE.first)
    if invoice is None:
        abort(404)
    return invoice


def page_rows_or_404(token: str) -> PageRows:
    """As get_invoice_or_404, as fetched rows (for the view cache and the agreements)."""
    found = invoice_for_token(token, current_app.config["SECRET_KEY"], page_rows)
    if found is None:
        abort(404)
    return found


def stripe_client():
    return current_app.extensions["stripe_client"]


# Stand-ins for the per-response values in a rendered page: a body can then be reused
# while its rows are unchanged (services.view_cache). Random, so no data can contain them.
NONCE_SLOT = "nonce-" + secrets.token_hex(16)
CSRF_SLOT = "csrf-" + secrets.token_hex(16)


@dataclass(frozen=True)
class RenderedPage:
    body: str
    status: int
    frame_ancestors: tuple[str, ...]
    image_origins: tuple[str, ...]
    viewed: bool  # the invoice had been viewed before
    reusable: bool  # a payable page: a pure function of its rows until the invoice expires


def render_page(token: str, invoice: Invoice, agreements: list[Agreement],
                error: str | None = None) -> RenderedPage:
    """The page for an invoice and its agreements as PageRows.models() gives them."""
    booking, merchant = invoice.booking, invoice.merchant
    frame_ancestors = tuple(merchant.allowed_embed_origins or ())
    logo_host = logo_origin(merchant.logo_url)
    image_origins = (logo_host,) if logo_host else ()
    reason = unpayable_reason(invoice, booking, invoice.held_seats)

    def page(body: str, code: int, reusable: bool = False) -> RenderedPage:
        return RenderedPage(body, code, frame_ancestors, image_origins,
                            invoice.viewed_at is not None, reusable and error is None)

    if reason and reason[0] in GONE_STATES:
        return page(render_template("errors/error.html", status=404, message=reason[1],
                                    csp_nonce=NONCE_SLOT), 404)
    paid = invoice.paid_cents
    state = reason[0] if reason else "open"
    context = {
        "token": token, "invoice": invoice, "state": state,
        "message": reason[1] if reason else None, "error": error,
        "summary": booking_summary(invoice, booking, merchant, paid),
        "embed_origins": list(frame_ancestors), "csp_nonce": NONCE_SLOT,
        "brand_css": accent_color(merchant.brand_color) and url_for(
            "branding.stylesheet", merchant_uuid=merchant.uuid, v=merchant.brand_color[1:]),
        "logo_url": merchant.logo_url if logo_host else None,
    }
    if state == "open":
        context["agreements"] = agreements
        context["csrf_token"] = CSRF_SLOT
        context["stripe_js_url"] = current_app.config["STRIPE_JS_URL"]
        context["publishable_key"] = current_app.config["STRIPE_PUBLISHABLE_KEY"]
    elif state == "paid":
        payment = (
            CustomerPayment.select().where(CustomerPayment.invoice == invoice.id)
            .order_by(CustomerPayment.id.desc()).first()
        )
        context["payment"] = payment
        if payment is not None:
            context["summary"]["last_payment"] = format_money(
                payment.amount_cents + payment.tip_cents, payment.currency, merchant.locale)
    return page(render_template("pay/page.html", **context), 200, state == "open")


def send_page(page: RenderedPage, nonce: str) -> ResponseReturnValue:
    """A rendered page with this response's CSP nonce and a fresh CSRF token filled in."""
    g.frame_ancestors = list(page.frame_ancestors)
    g.image_origins = list(page.image_origins)
    body = page.body.replace(NONCE_SLOT, g.csp_nonce)
    if CSRF_SLOT in body:
        body = body.replace(CSRF_SLOT, tokens.make_csrf(current_app.config["SECRET_KEY"], nonce))
    return body, page.status


@bp.get("/<token>")
@token_lookups
def page(token: str) -> ResponseReturnValue:
    """The booking summary and, when payable, the agreements and the card form.

    The queries run on every view; the body is reused while their rows are unchanged.
    """
    found = page_rows_or_404(token)
    nonce = found.key
    cache: ViewCache = current_app.extensions["page_cache"]
    fingerprint = found.digest()
    rendered = cache.get(nonce, fingerprint, utcnow())
    if rendered is None:
        invoice, agreements = found.models()
        rendered = render_page(token, invoice, agreements)
        if rendered.reusable:
            cache.put(nonce, fingerprint, rendered, invoice.expires_at)
    if not rendered.viewed:
        # Compare-and-set: the first view wins, concurrent views do not rewrite it.
        Invoice.update(viewed_at=utcnow()).where(
            Invoice.token == nonce, Invoice.viewed_at.is_null()
        ).execute()
    return send_page(rendered, nonce)


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
        raise ServiceError("This page has expired. Please reload it and try again.",
                           status=403, code="csrf_failed")
    pay_request = PayRequest.from_json(
        data, ip=request.remote_addr, user_agent=request.user_agent.string,
        return_url=public_url_for("pay.returned", token=token),
        use_stripe_sdk=current_app.config["STRIPE_USE_SDK_NEXT_ACTIONS"],
    )
    # pay() finds the live invoice by its link while locking it (404 when there is none).
    return pay(stripe_client(), InvoiceRef("token", nonce), pay_request).as_json()


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
        body["message"] = invoice.last_attempt_message
    payment = (CustomerPayment.select().where(CustomerPayment.invoice == invoice.id)
               .order_by(CustomerPayment.id.desc()).first())
    if payment is not None:
        body["confirmation"] = confirmation(payment, invoice.booking)
    return body


@bp.get("/<token>/return")
@token_lookups
def returned(token: str) -> ResponseReturnValue:
    """Where redirect-based next actions (bank pages) come back to."""
    invoice = get_invoice_or_404(token)
    intent_id = request.args.get("payment_intent", "")
    if not intent_id:
        return redirect(url_for("pay.page", token=token), 303)
    try:
        complete_next_action(stripe_client(), invoice.id, intent_id)
    except ServiceError as exc:
        # Re-read: the failed attempt was just recorded on the invoice.
        found = page_rows_or_404(token)
        return send_page(render_page(token, *found.models(), error=exc.message), found.key)
    return redirect(url_for("pay.page", token=token), 303)
