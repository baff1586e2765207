"""The merchant API through HTTP: auth, scoping, bookings, agreements, settings, input errors."""

from __future__ import annotations

import pytest

from models import Agreement, Booking, Customer, Slot, db
from tests.api_helpers import BOOKING, Api, new_merchant


@pytest.fixture
def api(client):
    _, key = new_merchant()
    return Api(client, key)


@pytest.fixture
def other(client):
    _, key = new_merchant("Other Co")
    return Api(client, key)


def count(model) -> int:
    with db.connection_context():
        return model.select().count()


# ---- auth --------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "Bearer pl_key_wrong", "Basic abc", "Bearer "])
def test_missing_or_wrong_key_is_401_json(client, api, header):
    headers = {"Authorization": header} if header else {}
    for method, path in (("get", "/api/v1/bookings"), ("post", "/api/v1/invoices"),
                         ("get", "/api/v1/merchant")):
        response = getattr(client, method)(path, headers=headers, json={})
        assert response.status_code == 401
        body = response.get_json()
        assert body["success"] is False and "API key" in body["message"]


def test_other_merchants_booking_and_invoice_are_404(api, other):
    booking = api.booking()
    invoice = api.invoice(booking["uuid"])
    for response in (
        other.get(f"/api/v1/bookings/{booking['uuid']}"),
        other.post(f"/api/v1/bookings/{booking['uuid']}/cancel"),
        other.get(f"/api/v1/bookings/{booking['uuid']}/invoices"),
        other.get(f"/api/v1/invoices/{invoice['uuid']}"),
        other.post(f"/api/v1/invoices/{invoice['uuid']}/send"),
        other.post(f"/api/v1/invoices/{invoice['uuid']}/close"),
        other.delete(f"/api/v1/invoices/{invoice['uuid']}"),
    ):
        assert response.status_code == 404, response.request.path
        assert response.get_json()["success"] is False
    # Listing never shows another merchant's rows, and creating against its booking fails.
    assert other.get("/api/v1/invoices").get_json()["data"] == []
    response = other.post("/api/v1/invoices", {"booking": booking["uuid"]})
    assert response.status_code == 422 and "booking" in response.get_json()["message"]
    assert api.get(f"/api/v1/bookings/{booking['uuid']}").status_code == 200


# ---- bookings ----------------------------------------------------------------------------

def test_create_booking_with_everything(api):
    agreement = api.post("/api/v1/agreements", {"title": "Waiver", "body": "Risky."})
    assert agreement.status_code == 201
    agreement_uuid = agreement.get_json()["agreement"]["uuid"]
    response = api.post("/api/v1/bookings", {
        **BOOKING, "end_date": "2030-06-02",
        "agreements": [agreement_uuid, {"title": "Cancellation", "body": "48 hours."}],
        "slot": {"starts_at": "2030-06-01T09:00:00Z", "ends_at": "2030-06-01T11:00:00Z",
                 "capacity": 8},
        "expires_at": "2030-05-01T12:00:00+02:00",
    })
    assert response.status_code == 201
    b = response.get_json()["booking"]
    assert response.get_json()["created"] is True
    assert (b["status"], b["total_cents"], b["balance_cents"]) == ("pending", 10000, 10000)
    assert (b["date"], b["start_time"], b["end_time"], b["end_date"]) == (
        "2030-06-01", "09:00", "11:00", "2030-06-02")
    assert [a["title"] for a in b["agreements"]] == ["Waiver", "Cancellation"]
    assert b["slot"]["capacity"] == 8 and b["slot"]["available"] == 6
    assert b["expires_at"] == "2030-05-01T10:00:00Z"  # converted to UTC
    assert b["customer"]["email"] == "pat@example.com" and len(b["confirmation_code"]) == 8
    got = api.get(f"/api/v1/bookings/{b['uuid']}").get_json()["booking"]
    assert got == b


def test_upsert_by_external_ref_updates_in_place(api):
    first = api.booking()
    response = api.post("/api/v1/bookings", {
        "external_ref": "ext-1", "participants": 3, "status": "confirmed",
        "customer": {"name": "Pat Q. Doe"},
        "cart": {"line_items": [{"name": "Tour", "quantity": 3, "unit_cents": 5000}]},
    })
    assert response.status_code == 200 and response.get_json()["created"] is False
    b = response.get_json()["booking"]
    assert b["uuid"] == first["uuid"] and b["participants"] == 3
    assert (b["status"], b["total_cents"], b["balance_cents"]) == ("confirmed", 15000, 15000)
    assert b["customer"]["name"] == "Pat Q. Doe" and b["customer"]["email"] == "pat@example.com"
    assert b["activity"] == "Kayak tour"  # absent fields keep their value
    assert count(Booking) == 1 and count(Customer) == 1
    listed = api.get("/api/v1/bookings?external_ref=ext-1").get_json()["data"]
    assert [x["uuid"] for x in listed] == [first["uuid"]]


def test_cancel_booking_closes_its_open_invoices(api):
    b = api.booking()
    invoice = api.invoice(b["uuid"])
    response = api.post(f"/api/v1/bookings/{b['uuid']}/cancel")
    assert response.status_code == 200
    assert response.get_json()["booking"]["status"] == "canceled"
    assert response.get_json()["booking"]["canceled_at"]
    got = api.get(f"/api/v1/invoices/{invoice['uuid']}").get_json()["invoice"]
    assert got["status"] == "closed" and got["closed_at"] and got["pay_url"] is None
    # A canceled booking cannot be changed through upsert, nor invoiced.
    assert api.post("/api/v1/bookings", {**BOOKING, "participants": 5}).status_code == 409
    response = api.post("/api/v1/invoices", {"booking": b["uuid"]})
    assert response.status_code == 422 and "canceled" in response.get_json()["message"]


def test_slot_capacity_is_enforced_for_held_bookings(api):
    slot = {"starts_at": "2030-06-01T09:00:00", "ends_at": "2030-06-01T11:00:00", "capacity": 3}
    api.booking(external_ref="a", slot=slot, participants=2)
    response = api.post("/api/v1/bookings", {**BOOKING, "external_ref": "b", "slot": slot,
                                             "participants": 2})
    assert response.status_code == 409 and "1 place" in response.get_json()["message"]
    response = api.post("/api/v1/bookings", {**BOOKING, "external_ref": "c", "slot": slot,
                                             "participants": 4, "status": "draft"})
    assert response.status_code == 422
    assert count(Booking) == 1 and count(Slot) == 1


@pytest.mark.parametrize(("change", "words"), [
    ({"activity": None}, "activity is required"),
    ({"date": "01/06/2030"}, "date must be a date"),
    ({"start_time": "9am"}, "start_time must be a time"),
    ({"participants": "2"}, "participants must be an integer"),
    ({"participants": 0}, "participants must be between"),
    ({"status": "done"}, "status must be one of"),
    ({"customer": {"email": "x@y.z"}}, "name is required"),
    ({"customer": {"name": "A", "email": "not-an-email"}}, "customer.email"),
    ({"cart": {"line_items": [{"name": "T", "unit_cents": -5}]}}, "unit_cents"),
    ({"cart": {"line_items": [{"name": "T", "unit_cents": 10**15}]}}, "unit_cents"),
    ({"cart": {"line_items": [{"name": "T", "unit_cents": True}]}}, "integer"),
    ({"cart": []}, "cart must be an object"),
    ({"agreements": ["no-such-uuid"]}, "no agreement"),
    ({"expires_at": "tomorrow"}, "expires_at"),
    ({"end_date": "2030-05-01"}, "end_date must not be before date"),
])
def test_bad_booking_payloads_are_422_and_write_nothing(api, change, words):
    payload = {**BOOKING, "agreements": [{"title": "Inline", "body": "written first"}], **change}
    payload = {k: v for k, v in payload.items() if v is not None}
    response = api.post("/api/v1/bookings", payload)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["success"] is False and words in body["message"]
    assert count(Booking) == count(Customer) == count(Agreement) == 0


@pytest.mark.parametrize("data", [b"not json", b"[1, 2]", b"", b'"text"'])
def test_non_object_bodies_are_400(api, data):
    for path in ("/api/v1/bookings", "/api/v1/invoices", "/api/v1/agreements"):
        response = api.post(path, data=data, headers={"Content-Type": "application/json"})
        assert response.status_code == 400
        assert response.get_json() == {"success": False,
                                       "message": "The request body must be a JSON object."}


def test_unknown_ids_are_404(api):
    assert api.get("/api/v1/bookings/nope").status_code == 404
    assert api.post("/api/v1/bookings/nope/cancel").status_code == 404
    assert api.get("/api/v1/invoices/nope").status_code == 404
    assert api.post("/api/v1/invoices/nope/close").status_code == 404
    assert api.post("/api/v1/payments/nope/refunds", {}).status_code == 404


# ---- agreements and settings --------------------------------------------------------------

def test_agreements_create_and_list(api, other):
    assert api.post("/api/v1/agreements", {"title": "Waiver"}).status_code == 422
    api.post("/api/v1/agreements", {"title": "Waiver", "body": "Terms."})
    data = api.get("/api/v1/agreements").get_json()["data"]
    assert [(a["title"], a["version"]) for a in data] == [("Waiver", 1)]
    assert other.get("/api/v1/agreements").get_json()["data"] == []


def test_merchant_settings_get_and_patch(api):
    response = api.patch("/api/v1/merchant", {
        "allowed_embed_origins": ["https://Shop.Example", "https://shop.example:8443",
                                  "http://localhost:3000", "https://shop.example/"],
        "webhook_url": "https://hooks.example/paylink", "calendar_sync": True,
        "branding": {"brand_color": "#0b5cab", "support_email": "help@harbour.example"},
    })
    assert response.status_code == 200, response.get_json()
    m = response.get_json()["merchant"]
    assert m["allowed_embed_origins"] == ["https://shop.example", "https://shop.example:8443",
                                          "http://localhost:3000"]
    assert m["webhook_secret"].startswith("whsec_") and m["calendar_sync"] is True
    assert m["branding"]["brand_color"] == "#0b5cab"
    assert api.get("/api/v1/merchant").get_json()["merchant"] == m


@pytest.mark.parametrize("payload", [
    {"allowed_embed_origins": ["http://shop.example"]},
    {"allowed_embed_origins": ["https://shop.example/path"]},
    {"allowed_embed_origins": ["javascript:alert(1)"]},
    {"allowed_embed_origins": "https://shop.example"},
    {"allowed_embed_origins": [42]},
    {"webhook_url": "ftp://x"},
    {"calendar_sync": "yes"},
    {"branding": {"brand_color": "blue"}},
    {"unknown": 1},
])
def test_bad_settings_are_422_and_change_nothing(api, payload):
    response = api.patch("/api/v1/merchant", payload)
    assert response.status_code == 422 and response.get_json()["success"] is False
    m = api.get("/api/v1/merchant").get_json()["merchant"]
    assert m["allowed_embed_origins"] == [] and m["webhook_url"] is None
    assert m["calendar_sync"] is False and m["branding"]["brand_color"] is None


# ---- idempotency ---------------------------------------------------------------------------

def test_idempotency_key_replays_the_first_answer(api, other):
    headers = {"Idempotency-Key": "k-1"}
    first = api.post("/api/v1/bookings", {**BOOKING, "external_ref": None}, headers=headers)
    again = api.post("/api/v1/bookings", {**BOOKING, "external_ref": None}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert count(Booking) == 1
    changed = api.post("/api/v1/bookings", {**BOOKING, "activity": "Other"}, headers=headers)
    assert changed.status_code == 422 and "different request" in changed.get_json()["message"]
    # Keys are per merchant: the same key is fresh for another merchant.
    theirs = other.post("/api/v1/bookings", {**BOOKING, "external_ref": None}, headers=headers)
    assert theirs.status_code == 201 and count(Booking) == 2


def test_idempotency_replays_errors_too(api):
    headers = {"Idempotency-Key": "k-err"}
    first = api.post("/api/v1/invoices", {"booking": "missing"}, headers=headers)
    second = api.post("/api/v1/invoices", {"booking": "missing"}, headers=headers)
    assert first.status_code == second.status_code == 422
    assert second.get_json() == first.get_json()
