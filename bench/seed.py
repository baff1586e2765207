"""Bench data: a merchant, pay-page targets made by the real services, bulk filler rows.

Targets are shaped like `flask seed-demo` (a draft booking on a slot, two agreements,
confirm-on-pay) with 3 or N cart lines; filler invoices are bulk-inserted with peewee
``insert_many`` inside one transaction, so 100,000 rows take seconds.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid as uuidlib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from models import (
    Agreement,
    Booking,
    Customer,
    Invoice,
    Merchant,
    Slot,
    bind_database,
    db,
    is_postgres,
    utcnow,
)
from services.bookings.records import create_booking
from services.invoices.lifecycle import create_invoice
from services.invoices.links import pay_token
from services.merchants.keys import create_merchant

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-secret-key"
CHUNK = 500


def reset(database_url: str) -> None:
    """An empty database with the schema `flask --app app init-db` creates, as in production.

    The schema comes from a fresh process, so it matches what gunicorn will import even when
    models.py changed since this process started.
    """
    bind_database(database_url)
    if database_url.startswith("sqlite"):
        db.close()
        path = Path(database_url.split("sqlite:///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        with db.connection_context():
            db.execute_sql("DROP SCHEMA public CASCADE")
            db.execute_sql("CREATE SCHEMA public")
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "app", "init-db"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError("flask init-db failed: " + done.stderr[-2000:])


def cart_with(lines: int) -> dict[str, Any]:
    items = [{"name": f"Sea-kayak tour, seat {i + 1}", "quantity": 1 + i % 3,
              "unit_cents": 4900 + 100 * (i % 7)} for i in range(max(lines - 3, 1))]
    return {
        "line_items": items,
        "fees": [{"name": "Booking fee", "unit_cents": 500}],
        "discounts": [{"name": "Early-bird discount", "unit_cents": 1500}],
        "taxes": [{"name": "Sales tax 8%", "unit_cents": 1776}],
    } if lines >= 4 else {"line_items": items, "fees": [{"name": "Booking fee", "unit_cents": 500}],
                          "taxes": [{"name": "Sales tax 8%", "unit_cents": 1776}]}


def merchant() -> Merchant:
    existing = Merchant.get_or_none(Merchant.name == "Bench Kayaks")
    if existing is not None:
        return existing
    m, _key = create_merchant("Bench Kayaks", currency="usd", locale="en_US",
                              brand_color="#0b5cab", support_email="hello@bench.example")
    Agreement.create(merchant=m, title="Liability waiver", body="I accept the risks. " * 12)
    Agreement.create(merchant=m, title="Cancellation policy", body="48 hours notice. " * 10)
    return m


def target(lines: int = 3, *, slot: bool = True, **invoice_fields: Any) -> dict[str, Any]:
    """A payable invoice made by the real services; what a client needs to view or pay it."""
    with db.connection_context(), db.atomic():
        m = merchant()
        customer = Customer.create(merchant=m, name="Alex Rivera",
                                   email="alex.rivera@example.com", phone="+15555550123")
        day = (utcnow() + timedelta(days=14)).date()
        slot_row = Slot.create(merchant=m, capacity=12,
                               starts_at=datetime.combine(day, time(9, 30)),
                               ends_at=datetime.combine(day, time(12, 0))) if slot else None
        booking = create_booking(
            m, customer, activity="Sunrise Sea-Kayak Tour", day=day, cart=cart_with(lines),
            start_time=time(9, 30), end_time=time(12, 0), participants=3, status="draft",
            agreements=list(m.agreements.order_by(Agreement.id)), slot=slot_row,
        )
        invoice = create_invoice(booking, confirm_on_pay=True, memo="North pier at 9:15.",
                                 **invoice_fields)
        agreements = [a.uuid for a in m.agreements.order_by(Agreement.id)]
    return {"uuid": invoice.uuid, "token": pay_token(invoice, SECRET_KEY),
            "booking_uuid": booking.uuid, "agreements": agreements,
            "amount_cents": invoice.amount_cents}


def bulk_invoices(count: int) -> None:
    """Add `count` bookings with one open invoice each, in one transaction."""
    if count <= 0:
        return
    with db.connection_context():
        m = merchant()
        customer = Customer.create(merchant=m, name="Bulk Customer", email="bulk@example.com")
        cart = cart_with(3)
        now = utcnow()
        with db.atomic():
            for start in range(0, count, CHUNK):
                n = min(CHUNK, count - start)
                uuids = [str(uuidlib.uuid4()) for _ in range(n)]
                Booking.insert_many([{
                    "uuid": u, "merchant": m.id, "customer": customer.id,
                    "activity": "Harbour tour", "date": date(2030, 1, 1) + timedelta(days=i % 300),
                    "participants": 1, "status": "pending",
                    "confirmation_code": secrets.token_hex(8).upper(), "cart": cart,
                    "total_cents": 9000, "balance_cents": 9000, "created_at": now,
                    "updated_at": now,
                } for i, u in enumerate(uuids)]).execute()
                ids = [b.id for b in Booking.select(Booking.id).where(Booking.uuid.in_(uuids))]
                Invoice.insert_many([{
                    "uuid": str(uuidlib.uuid4()), "merchant": m.id, "booking": booking_id,
                    "token": secrets.token_urlsafe(16), "amount_cents": 9000,
                    "amount_paid_cents": 0, "currency": "usd", "status": "open",
                    "send_type": "email", "failed_attempts": 0, "confirm_on_pay": False,
                    "allow_partial": False, "allow_tip": False, "created_at": now,
                    "updated_at": now,
                } for booking_id in ids]).execute()
        if is_postgres():
            db.execute_sql("ANALYZE")


def invoice_count() -> int:
    with db.connection_context():
        return Invoice.select().count()
