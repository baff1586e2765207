"""The merchant console (/console): sign-in, bookings, Send Invoice, refunds, settings.

Thin: read a form, call the same service the merchant API calls, render or redirect.
Every page is scoped to the signed-in user's merchant; another merchant's booking,
invoice or payment is a 404 like an unknown one. CSRF (flask-wtf) guards every POST
here and only here: the pay flow and the JSON API carry no cookies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError

from blueprints import console_stripe
from blueprints.console_forms import (
    BrandingForm,
    LoginForm,
    NoticesForm,
    OriginsForm,
    RefundForm,
    SendInvoiceForm,
)
from models import Invoice, Merchant, new_uuid
from runtime.extensions import csrf, limiter
from services.bookings.admin import get_booking, set_customer_locale
from services.common import locales
from services.common.errors import ServiceError
from services.common.text import problem
from services.connect.accounts import status as connect_status
from services.invoices.lifecycle import close_invoice, delete_invoice, reopen_invoice, send_invoice
from services.invoices.links import pay_url
from services.invoices.queries import get_invoice
from services.invoices.status import stax_status
from services.merchants import console_auth
from services.merchants.console import (
    booking_detail,
    create_and_send_invoice,
    field_error,
    format_amount,
    format_timestamp,
    invoice_is_live,
    local_to_utc,
    money,
    search_bookings,
)
from services.merchants.keys import rotate_api_key
from services.merchants.settings import update_settings
from services.payments.refunds import get_payment, refund_payment
from services.reminders.schedule import offsets
from services.reminders.timeline import invoice_timeline

bp = Blueprint("console", __name__, url_prefix="/console", cli_group=None)
console_stripe.register(bp)  # Settings → Stripe (Connect onboarding)
PUBLIC_ENDPOINTS = ("console.login",)
SESSION_KEYS = ("console_user", "console_proof")


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    """CSRF on every POST, then the signed-in user (or the sign-in page)."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    user = console_auth.user_for_session(
        session.get("console_user"), session.get("console_proof"),
        current_app.config["SECRET_KEY"])
    g.console_user = user
    g.console_merchant = Merchant.get_by_id(user.merchant_id) if user else None
    if user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        for key in SESSION_KEYS:
            session.pop(key, None)
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("console.login", next=target))
    return None


@bp.errorhandler(CSRFError)
def _csrf_failed(exc: CSRFError) -> ResponseReturnValue:
    """A POST without this session's token changes nothing; say how to recover."""
    message = ("This form has expired or did not come from your console. "
               "Go back, reload the page and try again.")
    return render_template("errors/error.html", status=400, message=message), 400


@bp.after_request
def _no_store(response: Response) -> Response:
    # Customer names, payments and a freshly rotated API key must not sit in caches.
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Cookie")
    return response


@bp.context_processor
def _helpers() -> dict[str, Any]:
    merchant = g.get("console_merchant")
    return {
        "user": g.get("console_user"),
        "merchant": merchant,
        "money": (lambda cents: money(cents, merchant)) if merchant else None,
        "when": (lambda value: format_timestamp(value, merchant)) if merchant else None,
        "stax_status": stax_status,
        "invoice_is_live": invoice_is_live,
    }


def merchant() -> Merchant:
    return g.console_merchant


def safe_next(target: str | None) -> str:
    """Only a path inside the console: never an open redirect to another site, nor a
    CR/LF or other control character into the Location header."""
    parts = urlsplit(target or "")
    if (target and not parts.scheme and not parts.netloc and target.startswith("/console/")
            and "\\" not in target and problem(target) is None and " " not in target):
        return target
    return url_for("console.bookings")


def _login_email_key() -> str:
    # Per address as well as per IP: guessing one user's password from many IPs is slow too.
    email = console_auth.normalize_email(request.form.get("email"))
    return "console-login:" + hashlib.sha256(email.encode()).hexdigest()[:24]


def _login_limit() -> str:
    return current_app.config["CONSOLE_LOGIN_RATE_LIMIT"]


# ---- sign-in -------------------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_login_email_key)
def login() -> ResponseReturnValue:
    """Email + password; the session starts afresh so no earlier id survives sign-in."""
    if g.console_user is not None and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = console_auth.authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()  # rotate: a planted or older session id does not carry over
            session.permanent = True
            session["console_user"] = user.id
            session["console_proof"] = console_auth.session_proof(
                user, current_app.config["SECRET_KEY"])
            return redirect(safe_next(request.args.get("next")))
        form.service_error(None, "Wrong email or password.")
    status = 422 if request.method == "POST" else 200
    return render_template("console/login.html", form=form), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    session.clear()
    flash("You are signed out.", "ok")
    return redirect(url_for("console.login"))


@bp.get("/")
def index() -> ResponseReturnValue:
    return redirect(url_for("console.bookings"))


# ---- bookings ------------------------------------------------------------------------------

@bp.get("/bookings")
def bookings() -> ResponseReturnValue:
    """Search (customer name or email, confirmation code), filter by status, pages."""
    page = request.args.get("page", "1")
    result = search_bookings(merchant(), request.args.get("q", ""),
                             request.args.get("status", ""),
                             int(page) if page.isdigit() and len(page) < 7 else 1)
    return render_template("console/bookings.html", result=result)


@bp.get("/bookings/<uuid>")
def booking(uuid: str) -> ResponseReturnValue:
    detail = booking_detail(get_booking(merchant(), uuid))
    config = current_app.config
    links = {i.id: pay_url(i, config["SECRET_KEY"], config["PAYLINK_BASE_URL"])
             for i in detail.invoices if invoice_is_live(i)}
    timelines = {i.id: invoice_timeline(i) for i in detail.invoices}
    return render_template("console/booking.html", detail=detail, booking=detail.booking,
                           pay_links=links, locale_choices=locales.choices(),
                           timelines=timelines)


@bp.post("/bookings/<uuid>/customer-locale")
def customer_locale(uuid: str) -> ResponseReturnValue:
    """The customer's language for the pay page, emails and SMS (issue 17)."""
    booking = get_booking(merchant(), uuid)
    try:
        set_customer_locale(booking, request.form.get("locale"))
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash("Customer's language saved.", "ok")
    return redirect(url_for("console.booking", uuid=booking.uuid))


@bp.route("/bookings/<uuid>/send-invoice", methods=["GET", "POST"])
def send_invoice_form(uuid: str) -> ResponseReturnValue:
    """The seed's Send Invoice: amount (full balance or a deposit), Confirm on Pay, ..."""
    owner = merchant()
    booking = get_booking(owner, uuid)
    form = SendInvoiceForm(currency=owner.currency, locale=owner.locale)
    if request.method == "GET":
        form.amount.data = format_amount(booking.balance_cents, owner.currency, owner.locale)
    elif form.validate_on_submit() and form.amount.cents is not None:
        try:
            invoice = create_and_send_invoice(
                booking, form.amount.cents, confirm_on_pay=form.confirm_on_pay.data,
                send_type=form.send_type.data,
                send_to_email_override=form.send_to_email_override.data or None,
                memo=(form.memo.data or "").strip() or None,
                due_at=local_to_utc(form.due_at.data, owner))
        except ServiceError as exc:
            form.service_error(*field_error(exc, money(booking.balance_cents, owner)))
        else:
            flash(f"Invoice for {money(invoice.amount_cents, owner)} queued "
                  f"by {invoice.send_type}.", "ok")
            return redirect(url_for("console.booking", uuid=booking.uuid))
    status = 422 if request.method == "POST" else 200
    return render_template("console/send_invoice.html", form=form, booking=booking), status


# ---- invoice actions (buttons on the booking page) -----------------------------------------

def _invoice_action(uuid: str, action: Callable[[Invoice], Invoice], done: str
                    ) -> ResponseReturnValue:
    invoice = get_invoice(merchant(), uuid)
    try:
        action(invoice)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(done, "ok")
    return redirect(url_for("console.booking", uuid=invoice.booking.uuid))


@bp.post("/invoices/<uuid>/resend")
def invoice_resend(uuid: str) -> ResponseReturnValue:
    """Send the same link again."""
    return _invoice_action(uuid, lambda i: send_invoice(i, resend=True), "Invoice re-sent.")


@bp.post("/invoices/<uuid>/close")
def invoice_close(uuid: str) -> ResponseReturnValue:
    """The link stops taking payments."""
    return _invoice_action(uuid, close_invoice, "Invoice closed; its link no longer takes "
                                                "payments.")


@bp.post("/invoices/<uuid>/reopen")
def invoice_reopen(uuid: str) -> ResponseReturnValue:
    """A new link; the old ones stop working."""
    return _invoice_action(uuid, reopen_invoice, "Invoice reopened with a new link; "
                                                 "resend it to the customer.")


@bp.post("/invoices/<uuid>/delete")
def invoice_delete(uuid: str) -> ResponseReturnValue:
    return _invoice_action(uuid, delete_invoice, "Invoice deleted; its link shows not found.")


# ---- refunds -------------------------------------------------------------------------------

@bp.route("/payments/<uuid>/refund", methods=["GET", "POST"])
def refund(uuid: str) -> ResponseReturnValue:
    """All of a payment by default, or part of it, through the app's one StripeClient."""
    owner = merchant()
    payment = get_payment(owner, uuid)
    form = RefundForm(currency=owner.currency, locale=owner.locale)
    remaining = payment.amount_cents + payment.tip_cents - payment.refunded_cents
    if request.method == "GET":
        form.amount.data = format_amount(remaining, owner.currency, owner.locale)
        form.attempt.data = new_uuid()
    elif form.validate_on_submit():
        try:
            # Keyed by this rendering of the form: a double submit is one refund in Stripe.
            refund_payment(current_app.extensions["stripe_client"], payment, form.amount.cents,
                           idempotency_key=f"paylink-console-refund-{owner.uuid}-"
                                           f"{form.attempt.data}")
        except ServiceError as exc:
            form.service_error(*field_error(exc, money(remaining, owner)))
        else:
            flash(f"Refunded {money(form.amount.cents or 0, owner)}.", "ok")
            return redirect(url_for("console.booking", uuid=payment.booking.uuid))
    if request.method == "POST":
        form.attempt.data = new_uuid()  # changed amounts must not reuse a refused key
    status = 422 if request.method == "POST" else 200
    return render_template("console/refund.html", form=form, payment=payment,
                           remaining=remaining), status


# ---- settings ------------------------------------------------------------------------------

def _settings_page(status: int = 200, **forms: Any) -> ResponseReturnValue:
    owner = merchant()
    origins = forms.get("origins") or OriginsForm(
        allowed_embed_origins="\n".join(owner.allowed_embed_origins or []))
    branding = forms.get("branding") or BrandingForm(
        name=owner.name, logo_url=owner.logo_url, brand_color=owner.brand_color)
    if request.method == "POST":
        # The other forms were not submitted: show the stored values, not the request's.
        if "origins" not in forms:
            origins = OriginsForm(formdata=None, allowed_embed_origins="\n".join(
                owner.allowed_embed_origins or []))
        if "branding" not in forms:
            branding = BrandingForm(formdata=None, name=owner.name, logo_url=owner.logo_url,
                                    brand_color=owner.brand_color)
    notices = forms.get("notices") or NoticesForm(
        formdata=None,
        reminders=", ".join(str(o) for o in offsets(owner)),
        notification_email=owner.notification_email, address=owner.address)
    return render_template("console/settings.html", origins_form=origins,
                           branding_form=branding, notices_form=notices,
                           new_key=forms.get("new_key"), stripe=connect_status(owner)), status


def _save_settings(form: Any, data: dict[str, Any]) -> bool:
    try:
        update_settings(merchant(), data)
    except ServiceError as exc:
        g.console_merchant = Merchant.get_by_id(merchant().id)  # drop the half-applied edit
        form.service_error(*field_error(exc))
        return False
    return True


@bp.get("/settings")
def settings() -> ResponseReturnValue:
    return _settings_page()


@bp.post("/settings/origins")
def settings_origins() -> ResponseReturnValue:
    """Where the pay page may be embedded; validated as the API validates it."""
    form = OriginsForm()
    if form.validate_on_submit() and _save_settings(
            form, {"allowed_embed_origins": form.origins()}):
        flash("Allowed embed origins saved.", "ok")
        return redirect(url_for("console.settings"))
    return _settings_page(422, origins=form)


@bp.post("/settings/branding")
def settings_branding() -> ResponseReturnValue:
    form = BrandingForm()
    if form.validate_on_submit() and _save_settings(form, {
            "name": form.name.data,
            "branding": {"logo_url": (form.logo_url.data or "").strip() or None,
                         "brand_color": (form.brand_color.data or "").strip() or None}}):
        flash("Branding saved.", "ok")
        return redirect(url_for("console.settings"))
    return _settings_page(422, branding=form)


@bp.post("/settings/notices")
def settings_notices() -> ResponseReturnValue:
    """Reminder schedule, notification email, business address (as the API sets them)."""
    form = NoticesForm()
    if form.validate_on_submit() and _save_settings(form, {
            "reminders": form.reminder_days(),
            "notification_email": (form.notification_email.data or "").strip() or None,
            "address": (form.address.data or "").strip() or None}):
        flash("Reminders and notices saved.", "ok")
        return redirect(url_for("console.settings"))
    return _settings_page(422, notices=form)


@bp.post("/settings/api-key")
def settings_api_key() -> ResponseReturnValue:
    """A new merchant API key, shown on this response only; the old key stops working."""
    key = rotate_api_key(merchant())
    return make_response(_settings_page(new_key=key))
