"""Receipts (PDF) and calendar files (.ics): read back from a real SMTP sink and the pay
page's routes; the PDF parsed with pypdf, the .ics with icalendar."""

from __future__ import annotations

import io
from datetime import datetime, time
from email.message import Message
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from pypdf import PdfReader

from models import CustomerPayment, Invoice, Merchant, OutboxMessage, db
from services.documents.booking_ics import booking_ics
from services.documents.receipt_data import build_receipt
from services.documents.receipt_pdf import receipt_pdf
from services.invoices.links import pay_token
from services.payments.refunds import refund_payment
from tests import factories
from tests.pay_helpers import ctoken, pay_api
from tests.test_reminders import jobs, mail_app, smtp  # noqa: F401 (fixtures)


def attachments(message: Message) -> dict[str, tuple[str, bytes]]:
    return {part.get_filename(): (part.get_content_type(), part.get_payload(decode=True))
            for part in message.walk() if part.get_filename()}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def paid_invoice(app, stripe_sdk, *, tip: bool = True):
    with db.connection_context():
        merchant = factories.merchant(
            "Blue Lagoon", timezone="Europe/Berlin", support_email="help@lagoon.example",
            notification_email="ops@lagoon.example", address="1 Harbour Road, Split")[0]
        booking = factories.booking(merchant)
        invoice = factories.invoice(booking, confirm_on_pay=True, allow_tip=tip)
        agreements = [a.agreement.uuid for a in booking.required_agreements]
    body = {"stripeConfirmationToken": ctoken(stripe_sdk)}
    if tip:
        body["tipCents"] = 1500
    response = pay_api(app.test_client(), {"uuid": invoice.uuid, "agreements": agreements},
                       **body)
    assert response.status_code == 200, response.json
    with db.connection_context():
        payment = CustomerPayment.get(CustomerPayment.invoice == invoice.id)
    return invoice, booking, payment


def by_subject(inbox, start: str) -> Message:
    [message] = [m for m in inbox.messages if m["Subject"].startswith(start)]
    return message


def test_receipt_email_carries_the_pdf_and_ics_with_amounts_codes_and_times(
        mail_app, smtp, stripe_sdk):  # noqa: F811
    inbox, _ = smtp
    invoice, booking, payment = paid_invoice(mail_app, stripe_sdk)
    jobs(mail_app, "2030-05-01T10:00:00Z")
    receipt = by_subject(inbox, "Blue Lagoon: payment received")
    assert receipt["To"] == "pat@example.com"
    text = inbox.text(inbox.messages.index(receipt))
    for expected in ("$115.00", "Tip: $15.00", "Visa •••• 4242", payment.confirmation_number,
                     booking.confirmation_code, "Kayak tour", "1 Harbour Road, Split",
                     "help@lagoon.example"):
        assert expected in text, expected
    files = attachments(receipt)
    pdf_name = f"receipt-{payment.confirmation_number}.pdf"
    ics_name = f"booking-{booking.confirmation_code}.ics"
    assert set(files) == {pdf_name, ics_name}
    assert files[pdf_name][0] == "application/pdf" and files[ics_name][0] == "text/calendar"
    pdf = pdf_text(files[pdf_name][1])
    for expected in ("Blue Lagoon", "Receipt", "$100.00", "$15.00", "$115.00",
                     payment.confirmation_number, booking.confirmation_code, "Visa •••• 4242",
                     "Kayak tour", "Booking fee", "1 Harbour Road, Split"):
        assert expected in pdf, (expected, pdf)
    assert "REFUNDED" not in pdf
    check_ics(files[ics_name][1], booking)
    confirmed = by_subject(inbox, "Blue Lagoon: your booking is confirmed")
    assert set(attachments(confirmed)) == {ics_name}
    notice = by_subject(inbox, "Payment received: $115.00")
    assert notice["To"] == "ops@lagoon.example"
    assert payment.confirmation_number in inbox.text(inbox.messages.index(notice))


def check_ics(data: bytes, booking) -> None:
    calendar = Calendar.from_ical(data)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    [event] = calendar.walk("VEVENT")
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    berlin = ZoneInfo("Europe/Berlin")
    assert start == datetime(2030, 6, 1, 9, 0, tzinfo=berlin)
    assert end == datetime(2030, 6, 1, 11, 0, tzinfo=berlin)
    assert start.utcoffset().total_seconds() == 7200  # CEST
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert booking.confirmation_code in event["DESCRIPTION"]
    assert event["LOCATION"] == "1 Harbour Road, Split"
    assert str(event["SUMMARY"]).startswith("Kayak tour")
    assert event["UID"] == f"{booking.uuid}@paylink" and event["DTSTAMP"]
    assert b"\r\n" in data and all(len(line) <= 75 for line in data.split(b"\r\n"))


def test_refund_marks_the_pdf_and_tells_the_merchant(mail_app, smtp, stripe_sdk):  # noqa: F811
    inbox, _ = smtp
    invoice, booking, payment = paid_invoice(mail_app, stripe_sdk, tip=False)
    with db.connection_context():  # the webhook carries the same events as the emails
        Merchant.update(webhook_url="https://hooks.example/paylink",
                        webhook_secret="whsec_t").where(
            Merchant.id == booking.merchant_id).execute()
    with mail_app.app_context(), db.connection_context():
        refund_payment(mail_app.extensions["stripe_client"], payment)
        payment = CustomerPayment.get_by_id(payment.id)
        token = pay_token(Invoice.get_by_id(invoice.id), mail_app.config["SECRET_KEY"])
    jobs(mail_app, "2030-05-01T10:00:00Z")
    notice = by_subject(inbox, "Refund sent: $100.00")
    assert notice["To"] == "ops@lagoon.example"
    with db.connection_context():
        [hook] = [m.payload for m in OutboxMessage.select().where(
            OutboxMessage.kind == "merchant_webhook")]
    assert hook["type"] == "payment.refunded" and hook["data"]["amount_cents"] == 10000
    assert hook["data"]["booking_uuid"] == booking.uuid
    response = mail_app.test_client().get(f"/pay/{token}/receipt.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "REFUNDED" in text and "Refunded: $100.00" in text, text


def test_pay_page_routes_404_without_a_payment_or_a_link(pay_app):
    client = pay_app.test_client()
    with db.connection_context():
        invoice = factories.invoice()
        token = pay_token(invoice, pay_app.config["SECRET_KEY"])
    assert client.get(f"/pay/{token}/receipt.pdf").status_code == 404
    ics = client.get(f"/pay/{token}/booking.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert client.get("/pay/not-a-token/booking.ics").status_code == 404
    assert client.get("/pay/not-a-token/receipt.pdf").status_code == 404


@pytest.mark.parametrize("name", ["Łódź Kajaki", "Прогулка", "東京カヤック", "北京皮划艇",
                                  "서울 카약"])
def test_pdf_embeds_fonts_for_every_script(app, name):
    with db.connection_context():
        merchant = factories.merchant(name)[0]
        booking = factories.booking(merchant, activity=name, agreements=0)
        payment = CustomerPayment.create(
            booking=booking, amount_cents=500, currency="usd", stripe_payment_intent_id="pi_x",
            confirmation_number="PAY-1", card_brand="visa", card_last4="4242")
        data = receipt_pdf(build_receipt(payment))
    assert b"/FontFile2" in data  # embedded TrueType subsets, not a core font
    assert pdf_text(data).splitlines()[0] == name  # the glyphs map back to the text


def test_right_to_left_text_is_shaped(app):
    """Arabic letters join (presentation forms in the glyph run), so the PDF has the
    shaped text, not isolated letters: pypdf reads back the words."""
    with db.connection_context():
        merchant = factories.merchant("جولة بالقوارب")[0]
        booking = factories.booking(merchant, agreements=0)
        payment = CustomerPayment.create(
            booking=booking, amount_cents=500, currency="usd", stripe_payment_intent_id="pi_y",
            confirmation_number="PAY-2")
        data = receipt_pdf(build_receipt(payment))
    first = pdf_text(data).splitlines()[0]
    assert set(first.replace(" ", "")) <= set("جولةبالقوارب") | {chr(c) for c in range(
        0xFE70, 0xFEFF)}, first
    assert len(first.replace(" ", "")) >= 8


def test_all_day_booking_is_a_date_event(app):
    with db.connection_context():
        merchant = factories.merchant(timezone="Asia/Tokyo")[0]
        booking = factories.booking(merchant, start_time=None, end_time=None, agreements=0)
        event = Calendar.from_ical(booking_ics(booking, merchant)).walk("VEVENT")[0]
    assert str(event.decoded("DTSTART")) == "2030-06-01"
    assert str(event.decoded("DTEND")) == "2030-06-02"
    assert not isinstance(event.decoded("DTSTART"), time)
