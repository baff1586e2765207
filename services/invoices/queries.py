"""Merchant API views of invoices: create from JSON, the JSON shape, filtered listing."""

from __future__ import annotations

from typing import Any

from models import SEND_TYPES, Booking, CustomerPayment, Invoice, Merchant, db
from services.bookings.admin import get_booking
from services.common import fields
from services.common.errors import NotFound, ServiceError
from services.common.paging import decode_cursor, encode_cursor, page_limit
from services.invoices.lifecycle import create_invoice
from services.invoices.links import pay_url
from services.invoices.status import STAX_STATUSES, status_filter, stax_status


def get_invoice(merchant: Merchant, invoice_uuid: str) -> Invoice:
    """This merchant's invoice (deleted ones included: the record is kept)."""
    invoice = Invoice.get_or_none(Invoice.uuid == invoice_uuid, Invoice.merchant == merchant)
    if invoice is None:
        raise NotFound("No such invoice.")
    return invoice


def create_invoice_from_json(merchant: Merchant, data: dict[str, Any]) -> Invoice:
    booking_uuid = fields.string(data, "booking", required=True, max_length=36)
    with db.atomic():
        try:
            booking = get_booking(merchant, booking_uuid)
        except NotFound:
            raise ServiceError("booking: you have no such booking.") from None
        allow_partial = fields.boolean(data, "allow_partial")
        return create_invoice(
            booking,
            fields.integer(data, "amount_cents", minimum=-fields.MAX_CENTS),
            confirm_on_pay=fields.boolean(data, "confirm_on_pay"),
            send_type=fields.choice(data, "send_type", SEND_TYPES, default="email") or "email",
            send_to_email_override=fields.string(data, "send_to_email_override",
                                                 max_length=254),
            memo=fields.string(data, "memo", max_length=2000, multiline=True),
            allow_partial=allow_partial,
            min_partial_cents=fields.integer(data, "min_partial_cents",
                                             minimum=-fields.MAX_CENTS),
            allow_tip=fields.boolean(data, "allow_tip"),
            expires_at=fields.iso_datetime(data, "expires_at"),
            due_at=fields.iso_datetime(data, "due_at" if "due_at" in data else "dueAt"),
        )


def invoice_json(invoice: Invoice, secret_key: str, base_url: str) -> dict[str, Any]:
    status = stax_status(invoice)
    payments = CustomerPayment.select().where(CustomerPayment.invoice == invoice).order_by(
        CustomerPayment.id)
    live = status not in ("deleted", "closed", "paid")
    return {
        "uuid": invoice.uuid,
        "booking": Booking.select(Booking.uuid).where(Booking.id == invoice.booking_id)
        .scalar(),
        "status": status,
        "amount_cents": invoice.amount_cents,
        "amount_paid_cents": invoice.amount_paid_cents,
        "due_cents": invoice.due_cents,
        "currency": invoice.currency,
        "confirm_on_pay": invoice.confirm_on_pay,
        "send_type": invoice.send_type,
        "send_to_email_override": invoice.send_to_email_override,
        "memo": invoice.memo,
        "allow_partial": invoice.allow_partial,
        "min_partial_cents": invoice.min_partial_cents,
        "allow_tip": invoice.allow_tip,
        "pay_url": pay_url(invoice, secret_key, base_url) if live else None,
        "last_attempt": None if invoice.last_attempt_at is None else {
            "at": fields.isoformat(invoice.last_attempt_at), "code": invoice.last_attempt_code,
            "message": invoice.last_attempt_message, "failed_attempts": invoice.failed_attempts,
        },
        "payments": [payment_json(p) for p in payments],
        **{name: fields.isoformat(getattr(invoice, name)) for name in (
            "sent_at", "viewed_at", "paid_at", "closed_at", "deleted_at", "expires_at",
            "due_at", "created_at", "updated_at")},
        "dueAt": fields.isoformat(invoice.due_at),
    }


def payment_json(payment: CustomerPayment) -> dict[str, Any]:
    return {
        "uuid": payment.uuid, "amount_cents": payment.amount_cents,
        "tip_cents": payment.tip_cents, "refunded_cents": payment.refunded_cents,
        "currency": payment.currency, "confirmation_number": payment.confirmation_number,
        "card_brand": payment.card_brand, "card_last4": payment.card_last4,
        "created_at": fields.isoformat(payment.created_at),
    }


def list_invoices(merchant: Merchant, args: dict[str, Any],
                  booking: Booking | None = None) -> tuple[list[Invoice], str | None]:
    """Newest first, keyset paging on id; deleted invoices only when asked for by status."""
    query = Invoice.select().where(Invoice.merchant == merchant)
    if booking is None and args.get("booking"):
        booking = get_booking(merchant, fields.string(args, "booking", required=True,
                                                      max_length=36))
    if booking is not None:
        query = query.where(Invoice.booking == booking)
    status = fields.choice(args, "status", STAX_STATUSES)
    query = query.where(status_filter(status) if status else Invoice.deleted_at.is_null())
    created_from = fields.iso_datetime(args, "created_from")
    created_to = fields.iso_datetime(args, "created_to")
    if created_from:
        query = query.where(Invoice.created_at >= created_from)
    if created_to:
        query = query.where(Invoice.created_at < created_to)
    after = decode_cursor(args.get("cursor"))
    if after is not None:
        query = query.where(Invoice.id < after)
    limit = page_limit(args.get("limit"))
    rows = list(query.order_by(Invoice.id.desc()).limit(limit + 1))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor
