"""Merchant-side booking operations: upsert by external reference, cancel, JSON view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from peewee import IntegrityError

from models import (
    BOOKING_STATUSES,
    Agreement,
    Booking,
    BookingAgreement,
    Customer,
    Invoice,
    Merchant,
    Slot,
    db,
    utcnow,
)
from services.bookings.agreements import resolve_agreements
from services.bookings.cart import cart_total, normalize_cart
from services.bookings.records import create_booking, held_seats, touch
from services.common import fields, locales
from services.common.errors import Conflict, NotFound, ServiceError
from services.common.paging import decode_cursor, encode_cursor, page_limit
from services.reminders.schedule import time_zone

MAX_PARTICIPANTS = 10_000


def get_booking(merchant: Merchant, booking_uuid: str) -> Booking:
    """This merchant's booking; another merchant's is as missing as an unknown one."""
    booking = Booking.get_or_none(Booking.uuid == booking_uuid, Booking.merchant == merchant)
    if booking is None:
        raise NotFound("No such booking.")
    return booking


def _customer_fields(raw: Any, required: bool) -> dict[str, Any]:
    if raw is None and not required:
        return {}
    if not isinstance(raw, dict):
        raise ServiceError("customer must be an object with name, email, phone, locale.")
    out: dict[str, Any] = {}
    if required or "name" in raw:
        out["name"] = fields.string(raw, "name", required=True)
    if "email" in raw:
        out["email"] = fields.email(fields.string(raw, "email", max_length=254),
                                    "customer.email")
    if "phone" in raw:
        out["phone"] = fields.phone(fields.string(raw, "phone", max_length=32), "customer.phone")
    if "locale" in raw:
        out["locale"] = locales.customer_locale(raw["locale"])
    if "timezone" in raw:
        out["timezone"] = time_zone(fields.string(raw, "timezone", max_length=64),
                                    "customer.timezone")
    return out


def _slot(merchant: Merchant, raw: Any) -> Slot | None:
    """An existing slot by uuid, or one found/created by its times with the given capacity."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ServiceError("slot must be an object: {uuid} or {starts_at, ends_at, capacity}.")
    if raw.get("uuid") is not None:
        slot = Slot.get_or_none(Slot.uuid == fields.string(raw, "uuid"), Slot.merchant == merchant)
        if slot is None:
            raise ServiceError("slot.uuid: you have no such slot.")
        return slot
    starts = fields.iso_datetime(raw, "starts_at")
    ends = fields.iso_datetime(raw, "ends_at")
    capacity = fields.integer(raw, "capacity", required=True, minimum=1, maximum=MAX_PARTICIPANTS)
    if starts is None or ends is None or ends <= starts:
        raise ServiceError("slot needs starts_at before ends_at (ISO date-times).")
    slot, _ = Slot.get_or_create(merchant=merchant, starts_at=starts, ends_at=ends,
                                 defaults={"capacity": capacity})
    if slot.capacity != capacity:
        slot.capacity = capacity
        slot.save()
    return slot


def _check_capacity(booking: Booking) -> None:
    slot = booking.slot
    if slot is None:
        return
    if booking.participants > slot.capacity:
        raise ServiceError(f"participants ({booking.participants}) exceed the slot's capacity "
                           f"({slot.capacity}).")
    # Drafts are checked again when paid; held bookings must fit now.
    if booking.status in ("pending", "confirmed"):
        left = slot.capacity - held_seats(slot.id, booking.id).scalar()
        if booking.participants > left:
            raise Conflict(f"The slot has only {max(left, 0)} place(s) left.")


def _parse(merchant: Merchant, data: dict[str, Any], creating: bool) -> dict[str, Any]:
    """Every field given, validated; on update, absent fields keep their value."""
    out: dict[str, Any] = {}
    if creating or "activity" in data:
        out["activity"] = fields.string(data, "activity", required=True)
    if creating or "date" in data:
        out["date"] = fields.iso_date(data, "date", required=True)
    for name in ("start_time", "end_time"):
        if name in data:
            out[name] = fields.hh_mm(data, name)
    if "end_date" in data:
        out["end_date"] = fields.iso_date(data, "end_date")
    if "participants" in data:
        out["participants"] = fields.integer(data, "participants", required=True, minimum=1,
                                             maximum=MAX_PARTICIPANTS)
    if "status" in data:
        out["status"] = fields.choice(data, "status", BOOKING_STATUSES)
    if creating or "cart" in data:
        out["cart"] = normalize_cart(data.get("cart"))
    if "expires_at" in data:
        out["expires_at"] = fields.iso_datetime(data, "expires_at")
    if "slot" in data:
        out["slot"] = _slot(merchant, data["slot"])
    if "agreements" in data:
        out["agreements"] = resolve_agreements(merchant, data["agreements"])
    out["customer"] = _customer_fields(data.get("customer"), required=creating)
    day, end_day = out.get("date"), out.get("end_date")
    if day and end_day and end_day < day:
        raise ServiceError("end_date must not be before date.")
    return out


def upsert_booking(merchant: Merchant, data: dict[str, Any]) -> tuple[Booking, bool]:
    """Create, or update the booking with this external_ref; returns (booking, created)."""
    external_ref = fields.string(data, "external_ref", max_length=100)
    try:
        with db.atomic():
            existing = None
            if external_ref is not None:
                existing = Booking.get_or_none(Booking.merchant == merchant,
                                               Booking.external_ref == external_ref)
            if existing is None:
                return _create(merchant, data, external_ref), True
            return _update(merchant, existing, data), False
    except IntegrityError:
        # A concurrent request created the same external_ref first.
        raise Conflict("A booking with this external_ref was just created; retry.") from None


def _create(merchant: Merchant, data: dict[str, Any], external_ref: str | None) -> Booking:
    parsed = _parse(merchant, data, creating=True)
    if parsed.get("status") == "canceled":
        raise ServiceError("A new booking cannot be canceled.")
    customer = Customer.create(merchant=merchant, **parsed["customer"])
    booking = create_booking(
        merchant, customer, activity=parsed["activity"], day=parsed["date"],
        cart=parsed["cart"], start_time=parsed.get("start_time"),
        end_time=parsed.get("end_time"), end_date=parsed.get("end_date"),
        participants=parsed.get("participants") or 1, status=parsed.get("status") or "draft",
        agreements=parsed.get("agreements", []), slot=parsed.get("slot"),
        expires_at=parsed.get("expires_at"), external_ref=external_ref,
    )
    _check_capacity(booking)
    return booking


def _update(merchant: Merchant, booking: Booking, data: dict[str, Any]) -> Booking:
    if booking.status == "canceled":
        raise Conflict("The booking is canceled; it cannot be changed.")
    parsed = _parse(merchant, data, creating=False)
    if parsed.get("status") == "canceled":
        return cancel_booking(booking)
    if parsed["customer"]:
        Customer.update(**parsed["customer"]).where(Customer.id == booking.customer_id).execute()
    simple = {"activity": "activity", "date": "date", "start_time": "start_time",
              "end_time": "end_time", "end_date": "end_date", "participants": "participants",
              "status": "status", "expires_at": "expires_at", "slot": "slot"}
    for key, attr in simple.items():
        if key in parsed:
            setattr(booking, attr, parsed[key])
    if "cart" in parsed:
        paid = booking.total_cents - booking.balance_cents
        total = cart_total(parsed["cart"])
        if total < paid:
            raise ServiceError(f"The new cart total ({total}) is below what was already paid "
                               f"({paid}); refund first.")
        booking.cart, booking.total_cents = parsed["cart"], total
        booking.balance_cents = total - paid
    if "agreements" in parsed:
        _replace_agreements(booking, parsed["agreements"])
    _check_capacity(booking)
    touch(booking)
    booking.save()
    return booking


def _replace_agreements(booking: Booking, agreements: list[Agreement]) -> None:
    BookingAgreement.delete().where(BookingAgreement.booking == booking).execute()
    for agreement in agreements:
        BookingAgreement.create(booking=booking, agreement=agreement)


def cancel_booking(booking: Booking, now: datetime | None = None) -> Booking:
    """Cancel once; its open invoices close so their links stop taking payments."""
    now = now or utcnow()
    with db.atomic():
        changed = (Booking.update(status="canceled", canceled_at=now, updated_at=now)
                   .where(Booking.id == booking.id, Booking.status != "canceled").execute())
        if changed:
            (Invoice.update(status="closed", closed_at=now, updated_at=now)
             .where(Invoice.booking == booking.id, Invoice.status == "open").execute())
    return Booking.get_by_id(booking.id)


def set_customer_locale(booking: Booking, value: object) -> str | None:
    """The booking's customer's language (a locale tag), or None: the browser's decides."""
    tag = locales.customer_locale(value, field="locale")
    Customer.update(locale=tag).where(Customer.id == booking.customer_id).execute()
    return tag


def booking_json(booking: Booking) -> dict[str, Any]:
    customer = booking.customer
    slot = booking.slot
    agreements = (Agreement.select().join(BookingAgreement)
                  .where(BookingAgreement.booking == booking).order_by(Agreement.id))
    return {
        "uuid": booking.uuid,
        "external_ref": booking.external_ref,
        "status": booking.status,
        "confirmation_code": booking.confirmation_code,
        "customer": {"uuid": customer.uuid, "name": customer.name, "email": customer.email,
                     "phone": customer.phone, "locale": customer.locale,
                     "timezone": customer.timezone},
        "activity": booking.activity,
        "date": fields.isoformat(booking.date),
        "start_time": fields.isoformat(booking.start_time),
        "end_time": fields.isoformat(booking.end_time),
        "end_date": fields.isoformat(booking.end_date),
        "participants": booking.participants,
        "cart": booking.cart,
        "total_cents": booking.total_cents,
        "balance_cents": booking.balance_cents,
        "paid_cents": booking.total_cents - booking.balance_cents,
        "currency": booking.merchant.currency,
        "agreements": [{"uuid": a.uuid, "title": a.title, "version": a.version}
                       for a in agreements],
        "slot": None if slot is None else {
            "uuid": slot.uuid, "starts_at": fields.isoformat(slot.starts_at),
            "ends_at": fields.isoformat(slot.ends_at), "capacity": slot.capacity,
            "available": slot.capacity - held_seats(slot.id, None).scalar(),
        },
        "expires_at": fields.isoformat(booking.expires_at),
        "canceled_at": fields.isoformat(booking.canceled_at),
        "created_at": fields.isoformat(booking.created_at),
        "updated_at": fields.isoformat(booking.updated_at),
    }


def list_bookings(merchant: Merchant, args: dict[str, Any]) -> tuple[list[Booking], str | None]:
    """Newest first; filters status and external_ref; keyset paging (limit, cursor)."""
    query = Booking.select().where(Booking.merchant == merchant)
    status = fields.choice(args, "status", BOOKING_STATUSES)
    if status:
        query = query.where(Booking.status == status)
    external_ref = fields.string(args, "external_ref", max_length=100)
    if external_ref:
        query = query.where(Booking.external_ref == external_ref)
    after = decode_cursor(args.get("cursor"))
    if after is not None:
        query = query.where(Booking.id < after)
    limit = page_limit(args.get("limit"))
    rows = list(query.order_by(Booking.id.desc()).limit(limit + 1))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor
