"""Delivering one outbox message: render it now, then email, SMS, calendar sync or webhook.

``deliver`` returns None when delivered, a short "skipped: ..." note when there is
nothing left to send (the invoice was deleted, the merchant turned a feature off), and
raises when the channel failed, so the worker retries later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from email.header import Header
from typing import Any

import requests
import urllib3
from babel.dates import format_date, format_time
from flask import Flask, render_template
from flask_babel import force_locale
from flask_mail import Message
from markupsafe import Markup

from models import Booking, Customer, CustomerPayment, Invoice, Merchant, OutboxMessage, utcnow
from runtime.extensions import mail
from runtime.logs import event
from services.common import locales
from services.common.locales import N_
from services.common.money import format_money
from services.common.text import header_safe
from services.documents.receipt_data import build_receipt
from services.invoices.links import pay_url
from services.messaging import outbound
from services.messaging.attachments import attachments_for
from services.messaging.notifications import merchant_notice_address
from services.messaging.segments import reminder_sms_text, sms_text
from services.messaging.sms import sms_backend
from services.payments.refunds import refund_excess
from services.reminders.schedule import customer_zone, due_text

log = logging.getLogger("paylink")
# Subjects in the customer's language (the merchant's own mail stays English, as the console).
SUBJECTS = {
    "invoice": N_("%(merchant)s: %(amount)s due for %(activity)s"),
    "receipt": N_("%(merchant)s: payment received, thank you"),
    "booking_confirmed": N_("%(merchant)s: your booking is confirmed (%(code)s)"),
    "booking_expired": N_("%(merchant)s: your unpaid booking was canceled"),
    "booking_expired_merchant": "Booking %(code)s canceled: not paid by its deadline",
    "invoice_reminder": N_("Reminder from %(merchant)s: %(amount)s due for %(activity)s"),
    "merchant_payment": "Payment received: %(paid)s for booking %(code)s",
    "merchant_refund": "Refund sent: %(refund)s for booking %(code)s",
}
MERCHANT_TEMPLATES = ("booking_expired_merchant", "merchant_payment", "merchant_refund")


class DeliveryError(RuntimeError):
    """The channel did not take the message; the worker retries it."""


class DeliveryBlocked(DeliveryError):
    """The destination is not allowed (services.outbound); retried with backoff, as the
    merchant may fix its webhook_url."""


def _when(booking: Booking, locale: str) -> str:
    text = format_date(booking.date, "medium", locale=locale)
    if booking.start_time:
        text += " " + format_time(booking.start_time, "short", locale=locale)
    return text


def context(app: Flask, payload: dict[str, Any], for_merchant: bool = False
            ) -> dict[str, Any] | None:
    """The rows a payload names, and what the templates show, in the customer's language
    (``for_merchant``: English, the merchant's formats); None when they are gone."""
    booking = Booking.get_or_none(Booking.uuid == payload.get("booking_uuid"))
    if booking is None:
        return None
    merchant = Merchant.get_by_id(booking.merchant_id)
    customer = Customer.get_by_id(booking.customer_id)
    invoice = Invoice.get_or_none(Invoice.uuid == payload.get("invoice_uuid"))
    payment = CustomerPayment.get_or_none(CustomerPayment.uuid == payload.get("payment_uuid"))

    lang = "en" if for_merchant else locales.choose(None, customer.locale, (), merchant.locale)
    # Links carry the customer's own language only: without one, the browser's decides.
    link_lang = None if for_merchant else locales.supported(customer.locale)
    number_locale = merchant.locale if for_merchant else locales.babel_name(lang)

    def money(cents: int) -> str:
        return format_money(cents, merchant.currency, number_locale)

    ctx: dict[str, Any] = {
        "merchant": merchant, "customer": customer, "booking": booking, "invoice": invoice,
        "payment": payment, "when": _when(booking, number_locale),
        "balance": money(booking.balance_cents), "lang": lang,
        "dir": locales.direction(lang), "Markup": Markup,
    }
    if invoice is not None:
        ctx["amount"] = money(invoice.due_cents)
        ctx["pay_url"] = pay_url(invoice, app.config["SECRET_KEY"], app.config["PAYLINK_BASE_URL"],
                                 link_lang)
        if invoice.due_at is not None:
            ctx["due_by"] = due_text(invoice.due_at, customer_zone(customer, merchant),
                                     number_locale)
    if payment is not None:
        ctx["paid"] = money(payment.amount_cents + payment.tip_cents)
        ctx["tip"] = money(payment.tip_cents)
        ctx["receipt"] = build_receipt(payment)
    if "refund_cents" in payload:
        ctx["refund"] = money(int(payload["refund_cents"]))
    return ctx


def _skip_reason(template: str, ctx: dict[str, Any]) -> str | None:
    invoice = ctx["invoice"]
    if template.startswith("invoice"):
        if invoice is None or invoice.deleted_at is not None:
            return "invoice deleted"
        if invoice.status != "open":
            return f"invoice {invoice.status}"
    if template.startswith("invoice_reminder") and ctx["booking"].status == "canceled":
        return "booking canceled"
    if template in ("receipt", "merchant_payment", "merchant_refund") and ctx["payment"] is None:
        return "payment missing"
    return None


def _recipient(template: str, ctx: dict[str, Any]) -> str | None:
    if template in MERCHANT_TEMPLATES:
        return (ctx["merchant"].support_email if template == "booking_expired_merchant"
                else merchant_notice_address(ctx["merchant"]))
    invoice = ctx["invoice"]
    return (invoice.send_to_email_override if invoice is not None else None) or ctx[
        "customer"].email


def send_email(app: Flask, msg: OutboxMessage) -> str | None:
    template = msg.payload.get("template", "")
    if template not in SUBJECTS:
        return f"skipped: unknown template {template!r}"
    ctx = context(app, msg.payload, for_merchant=template in MERCHANT_TEMPLATES)
    if ctx is None:
        return "skipped: booking deleted"
    reason = _skip_reason(template, ctx)
    to = _recipient(template, ctx)
    if reason or not to:
        return f"skipped: {reason or 'no email address'}"
    # Stored names reach a header: never a raw CR/LF there, even in rows older than the
    # input rule (flask-mail refuses such a subject, and the message would fail for ever).
    with force_locale(locales.babel_name(ctx["lang"])):
        ctx["subject"] = header_safe(locales.translate(
            SUBJECTS[template], merchant=ctx["merchant"].name, amount=ctx.get("amount", ""),
            activity=ctx["booking"].activity, code=ctx["booking"].confirmation_code,
            paid=ctx.get("paid", ""), refund=ctx.get("refund", "")))
        message = Message(
            subject=encoded_subject(ctx["subject"]), recipients=[header_safe(to)],
            body=render_template(f"email/{template}.txt", **ctx),
            html=render_template(f"email/{template}.html", **ctx),
        )
    # One Message-ID per outbox row (a receiver can spot a redelivery after a crash), set
    # as flask-mail's own: a second one in extra_headers would make two headers.
    message.msgId = f"<{msg.uuid}@paylink>"
    for filename, content_type, data in attachments_for(template, ctx):
        message.attach(filename, content_type, data)
    mail.send(message)
    _mark_sent(template, ctx)
    return None


def encoded_subject(subject: str) -> str:
    """A non-ASCII subject as RFC 2047 words on one logical line: flask-mail's own encoding
    folds it, and the SMTP policy's refolding then drops the space between two encoded
    words ("مستحق مقابل" arrived as "مستحقمقابل")."""
    if subject.isascii():
        return subject
    return Header(subject, "utf-8", maxlinelen=10_000).encode()


def send_sms(app: Flask, msg: OutboxMessage) -> str | None:
    ctx = context(app, msg.payload)
    if ctx is None:
        return "skipped: booking deleted"
    reason = _skip_reason(msg.payload.get("template") or "invoice_sms", ctx)
    phone = ctx["customer"].phone
    if reason or not phone:
        return f"skipped: {reason or 'no phone number'}"
    try:
        reminder = msg.payload.get("template") == "invoice_reminder_sms"
        with force_locale(locales.babel_name(ctx["lang"])):
            text = (reminder_sms_text(ctx["merchant"].name, ctx["amount"], ctx["pay_url"])
                    if reminder else sms_text(ctx["merchant"].name, ctx["booking"].activity,
                                              ctx["amount"], ctx["pay_url"]))
        sms_backend(app).send(phone, text)
    except Exception as exc:
        raise DeliveryError(f"SMS failed: {exc}") from exc
    _mark_sent("invoice_sms", ctx)
    return None


def _mark_sent(template: str, ctx: dict[str, Any]) -> None:
    """sent_at is the first delivery of the invoice itself (compare-and-set: once)."""
    if template in ("invoice", "invoice_sms"):
        Invoice.update(sent_at=utcnow()).where(
            Invoice.id == ctx["invoice"].id, Invoice.sent_at.is_null()).execute()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Paylink-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">, like Stripe's."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    try:
        response = requests.post(url, data=body, timeout=timeout,
                                 headers={"Content-Type": "application/json", **headers})
    except requests.RequestException as exc:
        raise DeliveryError(f"POST failed: {type(exc).__name__}") from exc
    if response.status_code >= 300:
        raise DeliveryError(f"POST answered {response.status_code}")


def send_webhook(app: Flask, msg: OutboxMessage) -> str | None:
    merchant = Merchant.get_or_none(Merchant.id == msg.merchant_id)
    if merchant is None or not merchant.webhook_url or not merchant.webhook_secret:
        return "skipped: no webhook_url"
    body = json.dumps(msg.payload, separators=(",", ":")).encode()
    headers = {"Paylink-Signature": sign(merchant.webhook_secret, int(time.time()), body),
               "Paylink-Event-Id": msg.payload.get("id", msg.uuid)}
    timeout = app.config.get("WEBHOOK_TIMEOUT_SECONDS", 10)
    # A URL the merchant chose: checked again now, posted to the checked address only.
    try:
        status = outbound.post(merchant.webhook_url, body,
                               {"Content-Type": "application/json", **headers}, timeout,
                               app.config.get("PAYLINK_ALLOW_PRIVATE_WEBHOOKS", False))
    except outbound.UnsafeURL as exc:
        raise DeliveryBlocked(f"blocked: webhook_url {exc}") from None
    except (OSError, urllib3.exceptions.HTTPError) as exc:
        raise DeliveryError(f"POST failed: {type(exc).__name__}: {exc}"[:300]) from exc
    if status >= 300:
        raise DeliveryError(f"POST answered {status}")
    return None


def send_calendar_sync(app: Flask, msg: OutboxMessage) -> str | None:
    merchant = Merchant.get_or_none(Merchant.id == msg.merchant_id)
    if merchant is None or not merchant.calendar_sync:
        return "skipped: calendar_sync off"
    booking = Booking.get_or_none(Booking.uuid == msg.payload.get("booking_uuid"))
    if booking is None:
        return "skipped: booking deleted"
    item = {
        "event": msg.payload.get("event"), "merchant_uuid": merchant.uuid,
        "booking_uuid": booking.uuid, "external_ref": booking.external_ref,
        "status": booking.status, "activity": booking.activity,
        "date": booking.date.isoformat(),
        "start_time": booking.start_time.strftime("%H:%M") if booking.start_time else None,
        "end_time": booking.end_time.strftime("%H:%M") if booking.end_time else None,
        "end_date": booking.end_date.isoformat() if booking.end_date else None,
        "participants": booking.participants,
    }
    url = app.config.get("CALENDAR_SYNC_URL")
    if url:
        _post(url, json.dumps(item).encode(), {}, app.config.get("WEBHOOK_TIMEOUT_SECONDS", 10))
    else:
        event(log, "calendar sync", **item)  # no calendar configured: the log is the sink
    return None


def send_excess_refund(app: Flask, msg: OutboxMessage) -> str | None:
    """The refund of a charge beyond its booking's balance (services.payments.finalise)."""
    payment = CustomerPayment.get_or_none(CustomerPayment.uuid == msg.payload["payment_uuid"])
    if payment is None:
        return "skipped: payment gone"
    refund_excess(app.extensions["stripe_client"], payment)  # raises: retried later
    return None


SENDERS = {"email": send_email, "sms": send_sms, "calendar_sync": send_calendar_sync,
           "merchant_webhook": send_webhook, "excess_refund": send_excess_refund}


def deliver(app: Flask, msg: OutboxMessage) -> str | None:
    return SENDERS[msg.kind](app, msg)
