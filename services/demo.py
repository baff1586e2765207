"""The demo data behind `flask seed-demo`: one merchant, a fresh booking and invoice per run."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from models import Agreement, Customer, Merchant, Slot, transactional, utcnow
from services.bookings.records import create_booking
from services.invoices.lifecycle import create_invoice
from services.merchants.keys import create_merchant

DEMO_MERCHANT = "Blue Lagoon Kayak Tours"

WAIVER = (
    "I understand that sea kayaking involves risks, including capsizing and cold water. "
    "I confirm that I can swim, that I will wear the life jacket provided at all times, and "
    "that I will follow the guide's instructions."
)
CANCELLATION = (
    "Cancel up to 48 hours before the tour for a full refund. Later cancellations and "
    "no-shows are not refunded. Tours canceled by us for weather are refunded in full."
)


@transactional
def demo_merchant() -> tuple[Merchant, str | None]:
    """The demo merchant, and its API key when it was just created."""
    merchant = Merchant.get_or_none(Merchant.name == DEMO_MERCHANT)
    if merchant is not None:
        return merchant, None
    merchant, api_key = create_merchant(
        DEMO_MERCHANT, currency="usd", locale="en_US", brand_color="#0b5cab",
        support_email="hello@bluelagoon.example", calendar_sync=True,
        address="North Pier 4, Split, Croatia", notification_email="bookings@bluelagoon.example",
    )
    Agreement.create(merchant=merchant, title="Liability waiver", body=WAIVER)
    Agreement.create(merchant=merchant, title="Cancellation policy", body=CANCELLATION)
    return merchant, api_key


@transactional
def seed_demo() -> dict[str, Any]:
    """Add a payable booking + invoice; returns the objects and the key if just created."""
    merchant, api_key = demo_merchant()
    customer = Customer.create(
        merchant=merchant, name="Alex Rivera", email="alex.rivera@example.com",
        phone="+15555550123",
    )
    day: date = (utcnow() + timedelta(days=14)).date()
    slot = Slot.create(
        merchant=merchant, capacity=12,
        starts_at=datetime.combine(day, time(9, 30)), ends_at=datetime.combine(day, time(12, 0)),
    )
    cart = {
        "line_items": [
            {"name": "Sunrise sea-kayak tour — adult", "quantity": 2, "unit_cents": 8900},
            {"name": "Sunrise sea-kayak tour — child", "quantity": 1, "unit_cents": 4900},
        ],
        "fees": [{"name": "Booking fee", "quantity": 1, "unit_cents": 500}],
        "discounts": [{"name": "Early-bird discount", "quantity": 1, "unit_cents": 1500}],
        "taxes": [{"name": "Sales tax 8%", "quantity": 1, "unit_cents": 1776}],
    }
    booking = create_booking(
        merchant, customer, activity="Sunrise Sea-Kayak Tour", day=day, cart=cart,
        start_time=time(9, 30), end_time=time(12, 0), participants=3, status="draft",
        agreements=list(Agreement.select().where(Agreement.merchant == merchant)
                        .order_by(Agreement.id)), slot=slot,
    )
    # Demo data even when Connect has no account for it yet: its link says it cannot pay.
    invoice = create_invoice(
        booking, confirm_on_pay=True, memo="See you at the north pier at 9:15!",
        due_at=utcnow().replace(microsecond=0) + timedelta(days=7),
        check_account=False,
    )
    return {"merchant": merchant, "booking": booking, "invoice": invoice, "api_key": api_key}
