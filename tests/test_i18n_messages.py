"""Emails and SMS in the customer's language (de, ja, ar), read from a real SMTP server on
loopback; links carry the language; the invoice SMS is one segment where it can be."""

from __future__ import annotations

import email
from datetime import datetime
from email import policy
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from flask_babel import force_locale

from models import Booking, Customer, CustomerPayment, db
from services.common.locales import LOCALES, babel_name, translate
from services.invoices.lifecycle import send_invoice
from services.messaging.notifications import (
    queue_booking_expired,
    queue_payment_messages,
    queue_reminder,
)
from services.messaging.segments import SHORT, is_gsm7, reminder_sms_text, segments, sms_text
from services.messaging.worker import run_once
from tests import factories
from tests.test_outbox import Inbox, smtp_app  # noqa: F401 (fixture)

EXPECT = {  # what each language's mails must say, in its own words
    "de": {"invoice": "fällig für Kayak tour", "hello": "Hallo Pat Doe,",
           "receipt": "Zahlung erhalten", "confirmed": "ist bestätigt",
           "expired": "storniert", "sms": "fällig für Kayak tour. Zahlen:",
           "amount": "Betrag:", "tip": "Trinkgeld:", "people": "3 Teilnehmer",
           "reminder": "Erinnerung von Test Tours", "intro": "Zur Erinnerung:",
           "due_by": "Zahlbar bis"},
    "ja": {"invoice": "のお支払い", "hello": "Pat Doe 様", "receipt": "お支払いを受け付けました",
           "confirmed": "ご予約が確定しました", "expired": "キャンセル",
           "sms": "のお支払い", "amount": "金額：", "tip": "チップ：", "people": "3名",
           "reminder": "Test Toursからのリマインダー", "intro": "リマインダー：",
           "due_by": "お支払い期限："},
    "ar": {"invoice": "مستحق مقابل Kayak tour", "hello": "مرحبًا Pat Doe،",
           "receipt": "تم استلام الدفعة", "confirmed": "تم تأكيد حجزك",
           "expired": "تم إلغاء", "sms": "مستحق",  # the link alone takes 2 UCS-2 segments
           "amount": "المبلغ:", "tip": "الإكرامية:", "people": "3 مشاركين",
           "reminder": "تذكير من Test Tours", "intro": "تذكير:", "due_by": "آخر موعد للدفع:"},
}


def parts(raw: str) -> tuple[str, str, str]:
    """Subject, text body and HTML body of one message as a mail client decodes them."""
    message = email.message_from_bytes(raw.encode("utf-8"), policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    # The subject as RFC 2047 decodes it (the bytes parser's folded-header handling drops a
    # space between encoded words).
    subject = str(make_header(decode_header(email.message_from_string(raw)["subject"])))
    return subject, text, html


@pytest.mark.parametrize("tag", ["de", "ja", "ar"])
def test_emails_in_the_customers_language(smtp_app, tag):  # noqa: F811 (fixture)
    app = smtp_app
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=app.smtp_port)
    controller.start()
    try:
        with app.app_context(), db.connection_context():
            invoice = factories.invoice(confirm_on_pay=True)
            booking = invoice.booking
            Booking.update(participants=3).where(Booking.id == booking.id).execute()
            Customer.update(locale=tag).where(Customer.id == booking.customer_id).execute()
            send_invoice(invoice)
            send_invoice(invoice, resend=True)
            payment = CustomerPayment.create(
                booking=booking, invoice=invoice, amount_cents=10000, tip_cents=500,
                currency="usd", stripe_payment_intent_id="pi_1", confirmation_number="P-CONF1")
            with db.atomic():
                queue_payment_messages(payment, invoice, booking, True)
            queue_booking_expired(booking)
            assert run_once(app).delivered == 5
    finally:
        controller.stop()
    mails = [parts(m["text"]) for m in inbox.messages]
    assert len(mails) == 5
    words = EXPECT[tag]
    invoice_mails = [m for m in mails if words["invoice"] in m[0]]
    assert len(invoice_mails) == 2  # the invoice and its resend
    for subject, text, html in mails:
        assert words["hello"] in text and words["hello"] in html
        assert f'lang="{tag}"' in html
        assert ('dir="rtl"' in html) == (tag == "ar")
        assert "Hello" not in text and "Booking confirmation code" not in text
    for _, text, html in invoice_mails:
        assert f"?lang={tag}" in text and f"?lang={tag}" in html
    subjects = " ".join(m[0] for m in mails)
    assert words["receipt"] in subjects and words["confirmed"] in subjects
    assert words["expired"] in subjects
    (_, text, html), = [m for m in mails if words["receipt"] in m[0]]
    for body in (text, html):
        assert words["amount"] in body and words["tip"] in body and words["people"] in body
        assert "Amount:" not in body and "participant" not in body and "attached" not in body


@pytest.mark.parametrize("tag", ["de", "ja", "ar"])
def test_reminder_email_in_the_customers_language(smtp_app, tag):  # noqa: F811 (fixture)
    app = smtp_app
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=app.smtp_port)
    controller.start()
    try:
        with app.app_context(), db.connection_context():
            invoice = factories.invoice(due_at=datetime(2030, 5, 20, 10, 0))
            Customer.update(locale=tag).where(
                Customer.id == invoice.booking.customer_id).execute()
            queue_reminder(invoice, -1, f"reminder-test:{tag}")
            assert run_once(app).delivered == 1
    finally:
        controller.stop()
    (subject, text, html), = [parts(m["text"]) for m in inbox.messages]
    words = EXPECT[tag]
    assert words["reminder"] in subject and "Reminder" not in subject
    for body in (text, html):
        assert words["hello"] in body and words["intro"] in body and words["due_by"] in body
        assert f"?lang={tag}" in body
        for english in ("Hello", "A reminder", "Due by", "Pay here", "Or open this link"):
            assert english not in body, (english, body)


def test_every_locales_reminder_sms_is_as_short_as_its_invoice_sms(app):
    """The reminder SMS keeps the invoice SMS's alphabet (GSM-7 where it is) and never
    needs more segments than it; the link is never cut."""
    url = "https://pay.example.com/pay/" + "T" * 60
    with app.test_request_context("/"):
        for tag in LOCALES:
            link = url + f"?lang={tag}"
            invoice = sms_of(tag, "Harbour Bikes", "Sunset kayak tour", "€100.00", link)
            with force_locale(babel_name(tag)):
                reminder = reminder_sms_text("Harbour Bikes", "€100.00", link)
            assert reminder.endswith(link), tag
            assert is_gsm7(reminder) == is_gsm7(invoice), (tag, reminder)
            assert segments(reminder) <= segments(invoice), (tag, reminder)
            assert tag.startswith("en") or "due" not in reminder, (tag, reminder)


@pytest.mark.parametrize("tag", ["de", "ja", "ar"])
def test_sms_in_the_customers_language(smtp_app, tag):  # noqa: F811 (fixture)
    app = smtp_app
    with app.app_context(), db.connection_context():
        invoice = factories.invoice(send_type="sms")
        Customer.update(locale=tag).where(Customer.id == invoice.booking.customer_id).execute()
        send_invoice(invoice)
        assert run_once(app).delivered == 1
        (to, text), = app.extensions["sms_backend"].sent
        url = text.rsplit(" ", 1)[-1]
        short = sms_of(tag, "", "", "$100.00", url, short=True)
    assert EXPECT[tag]["sms"] in text and "due" not in text
    assert url.startswith("http://localhost") and url.endswith(f"?lang={tag}")
    assert "/pay/" in url and len(url.split("/pay/")[1].split("?")[0]) >= 40  # the link whole
    assert segments(text) == segments(short)


def sms_of(tag: str, merchant: str, activity: str, amount: str, url: str,
           short: bool = False) -> str:
    with force_locale(babel_name(tag)):
        if short:
            return translate(SHORT, amount=amount, url=url)
        return sms_text(merchant, activity, amount, url)


def test_every_locales_invoice_sms_fits_one_segment_where_it_can(app):
    """A typical merchant, activity and production link: Latin-script locales (GSM-7) in
    one 160-character segment, the others in as few UCS-2 segments as the link allows."""
    url = "https://pay.example.com/pay/" + "T" * 60
    sizes = {}
    with app.test_request_context("/"):
        for tag in LOCALES:
            link = url + f"?lang={tag}"
            text = sms_of(tag, "Harbour Bikes", "Sunset kayak tour", "€100.00", link)
            assert text.endswith(url + f"?lang={tag}"), tag  # the link is never cut
            sizes[tag] = (len(text), is_gsm7(text), segments(text))
    gsm = {t for t, (_, seven, _) in sizes.items() if seven}
    assert {"de", "fr", "es", "en", "it", "nl", "pl", "cs", "tr", "vi", "id"} <= gsm
    assert all(sizes[t][2] == 1 for t in gsm), {t: sizes[t] for t in gsm}
    assert all(sizes[t][2] <= 2 for t in LOCALES), sizes


def test_long_names_are_cut_not_the_link(app):
    url = "https://pay.example.com/pay/" + "T" * 60
    with app.test_request_context("/"):
        text = sms_of("de", "M" * 150, "A" * 150, "100,00 €", url)
    assert text.endswith(url) and segments(text) == 1 and len(text) <= 160
