"""Helpers for merchant API tests: a merchant with its key, JSON requests with auth."""

from __future__ import annotations

from typing import Any

from models import db
from services.merchants.keys import create_merchant

BOOKING = {
    "external_ref": "ext-1",
    "customer": {"name": "Pat Doe", "email": "pat@example.com", "phone": "+15555550100"},
    "activity": "Kayak tour",
    "date": "2030-06-01",
    "start_time": "09:00",
    "end_time": "11:00",
    "participants": 2,
    "status": "pending",
    "cart": {"line_items": [{"name": "Tour", "quantity": 2, "unit_cents": 5000}],
             "fees": [{"name": "Fee", "unit_cents": 300}],
             "discounts": [{"name": "Promo", "unit_cents": 1000}],
             "taxes": [{"name": "Tax", "unit_cents": 700}]},
}  # total 10000


def new_merchant(name: str = "Harbour Tours", **fields: Any) -> tuple[Any, str]:
    with db.connection_context():
        return create_merchant(name, **fields)


class Api:
    """A test client that sends the merchant's Bearer key."""

    def __init__(self, client: Any, key: str) -> None:
        self.client, self.key = client, key

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **(extra or {})}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(path, json=json, headers=self._headers(kw.pop("headers", None)),
                                **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch(path, json=json,
                                 headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def booking(self, **overrides: Any) -> dict[str, Any]:
        response = self.post("/api/v1/bookings", {**BOOKING, **overrides})
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()["booking"]

    def invoice(self, booking_uuid: str, **fields: Any) -> dict[str, Any]:
        response = self.post("/api/v1/invoices", {"booking": booking_uuid, **fields})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["invoice"]
