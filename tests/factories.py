"""Small builders for test data, on top of the real services."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from models import Agreement, Booking, Customer, Invoice, Merchant, Slot
from services.bookings.records import create_booking
from services.invoices.lifecycle import create_invoice
from services.merchants.keys import create_merchant

CART = {
    "line_items": [{"name": "Kayak tour", "quantity": 2, "unit_cents": 5000}],
    "fees": [{"name": "Booking fee", "unit_cents": 300}],
    "discounts": [{"name": "Promo", "unit_cents": 1000}],
    "taxes": [{"name": "Tax", "unit_cents": 700}],
}  # total 10000 + 300 - 1000 + 700 = 10000


def merchant(name: str = "Test Tours", **fields: Any) -> tuple[Merchant, str]:
    return create_merchant(name, **fields)


def booking(m: Merchant | None = None, *, agreements: int = 2, cart: dict | None = None,
            **fields: Any) -> Booking:
    m = m or merchant()[0]
    customer = Customer.create(merchant=m, name="Pat Doe", email="pat@example.com",
                               phone="+15555550100")
    agreement_rows = [
        Agreement.create(merchant=m, title=f"Agreement {i + 1}", body="Terms.")
        for i in range(agreements)
    ]
    defaults: dict[str, Any] = {
        "activity": "Kayak tour", "day": date(2030, 6, 1), "cart": cart or CART,
        "start_time": time(9, 0), "end_time": time(11, 0), "agreements": agreement_rows,
    }
    defaults.update(fields)
    return create_booking(m, customer, **defaults)


def slot_with_held_seats(capacity: int, held: int) -> tuple[Merchant, Slot]:
    """A merchant's slot on 2030-06-01 9:00–11:00, with ``held`` seats taken by a confirmed
    booking of another customer."""
    m, _ = merchant()
    slot = Slot.create(merchant=m, capacity=capacity, starts_at=datetime(2030, 6, 1, 9),
                       ends_at=datetime(2030, 6, 1, 11))
    booking(m, slot=slot, participants=held, status="confirmed")
    return m, slot


def invoice(b: Booking | None = None, **fields: Any) -> Invoice:
    return create_invoice(b or booking(), **fields)
