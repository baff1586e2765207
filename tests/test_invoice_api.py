"""Invoices through the merchant API: create rules, derived status, list, send, close, delete."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import Invoice, OutboxMessage, db, utcnow
from services.messaging.worker import run_once
from tests.api_helpers import Api, new_merchant


@pytest.fixture
def api(app, client):
    app.config["SMS_BACKEND"] = "memory"
    _, key = new_merchant()
    return Api(client, key)


def test_create_full_and_partial_invoice(api):
    b = api.booking()
    full = api.invoice(b["uuid"], confirm_on_pay=True, memo="See you!")
    assert (full["amount_cents"], full["due_cents"], full["status"]) == (10000, 10000, "draft")
    assert full["confirm_on_pay"] is True and full["pay_url"].startswith("http://localhost/pay/")
    deposit = api.invoice(b["uuid"], amount_cents=2500, allow_partial=True,
                          min_partial_cents=1000, allow_tip=True, send_type="sms",
                          expires_at=(utcnow() + timedelta(days=2)).isoformat())
    assert (deposit["amount_cents"], deposit["min_partial_cents"]) == (2500, 1000)
    assert deposit["allow_tip"] is True and deposit["send_type"] == "sms"
    assert deposit["expires_at"].endswith("Z")
    for timestamp in ("sent_at", "viewed_at", "paid_at", "closed_at", "deleted_at"):
        assert deposit[timestamp] is None


@pytest.mark.parametrize(("change", "words"), [
    ({"amount_cents": 0}, "greater than zero"),
    ({"amount_cents": -100}, "greater than zero"),
    ({"amount_cents": 10001}, "more than the balance"),
    ({"amount_cents": 10**13}, "between"),
    ({"amount_cents": "100"}, "must be an integer"),
    ({"amount_cents": 12.5}, "must be an integer"),
    ({"confirm_on_pay": "yes"}, "true or false"),
    ({"send_type": "fax"}, "send_type"),
    ({"send_to_email_override": "nope"}, "send_to_email_override"),
    ({"min_partial_cents": 500}, "needs allow_partial"),
    ({"allow_partial": True, "min_partial_cents": 20000}, "min_partial_cents"),
    ({"expires_at": "2001-01-01T00:00:00Z"}, "future"),
    ({"booking": None}, "booking is required"),
    ({"booking": "unknown"}, "no such booking"),
])
def test_bad_invoice_payloads_are_422(api, change, words):
    b = api.booking()
    payload = {"booking": b["uuid"], **change}
    response = api.post("/api/v1/invoices", {k: v for k, v in payload.items() if v is not None})
    assert response.status_code == 422, response.get_json()
    assert words in response.get_json()["message"]
    with db.connection_context():
        assert Invoice.select().count() == 0


def test_channel_preconditions(api):
    no_email = api.booking(external_ref="n", customer={"name": "No Mail", "phone": None})
    response = api.post("/api/v1/invoices", {"booking": no_email["uuid"]})
    assert response.status_code == 422 and "email" in response.get_json()["message"]
    assert api.post("/api/v1/invoices", {"booking": no_email["uuid"], "send_type": "sms"}
                    ).status_code == 422  # no phone either
    ok = api.post("/api/v1/invoices", {"booking": no_email["uuid"],
                                       "send_to_email_override": "billing@corp.example"})
    assert ok.status_code == 201


def test_paid_booking_cannot_be_invoiced(api):
    b = api.booking()
    with db.connection_context():
        from models import Booking
        Booking.update(balance_cents=0).where(Booking.uuid == b["uuid"]).execute()
    response = api.post("/api/v1/invoices", {"booking": b["uuid"]})
    assert response.status_code == 422 and "no balance" in response.get_json()["message"]


def test_send_then_deliver_sets_sent_at_and_viewing_sets_viewed(app, api, client):
    b = api.booking()
    inv = api.invoice(b["uuid"])
    response = api.post(f"/api/v1/invoices/{inv['uuid']}/send")
    assert response.status_code == 202
    assert response.get_json()["invoice"]["status"] == "draft"  # queued, not delivered yet
    # A second send while the first is queued adds no message (one dedupe key per invoice).
    assert api.post(f"/api/v1/invoices/{inv['uuid']}/send").status_code == 202
    with db.connection_context():
        assert OutboxMessage.select().count() == 1
    with app.app_context(), db.connection_context():
        app.config["MAIL_SUPPRESS_SEND"] = True
        from runtime.extensions import mail
        with mail.record_messages() as sent:
            assert run_once(app).delivered == 1
        assert len(sent) == 1 and inv["pay_url"] in sent[0].body
        assert "$100.00" in sent[0].html and sent[0].recipients == ["pat@example.com"]
    got = api.get(f"/api/v1/invoices/{inv['uuid']}").get_json()["invoice"]
    assert got["status"] == "sent" and got["sent_at"]
    again = api.post(f"/api/v1/invoices/{inv['uuid']}/send")
    assert again.status_code == 409 and "resend" in again.get_json()["message"]
    assert api.post(f"/api/v1/invoices/{inv['uuid']}/resend").status_code == 202
    with db.connection_context():
        assert OutboxMessage.select().where(OutboxMessage.delivered_at.is_null()).count() == 1
    client.get(inv["pay_url"].replace("http://localhost", ""))
    assert api.get(f"/api/v1/invoices/{inv['uuid']}").get_json()["invoice"]["status"] == "viewed"


def test_sms_invoice_fits_160_characters(app, api):
    b = api.booking(activity="A very long activity name " * 6)
    inv = api.invoice(b["uuid"], send_type="sms")
    api.post(f"/api/v1/invoices/{inv['uuid']}/send")
    with app.app_context(), db.connection_context():
        run_once(app)
    (to, text), = app.extensions["sms_backend"].sent
    assert to == "+15555550100" and len(text) <= 160
    assert inv["pay_url"] in text and "$100.00" in text


def test_close_reopen_rotates_link(api, client):
    b = api.booking()
    inv = api.invoice(b["uuid"])
    old_path = inv["pay_url"].replace("http://localhost", "")
    closed = api.post(f"/api/v1/invoices/{inv['uuid']}/close").get_json()["invoice"]
    assert closed["status"] == "closed" and closed["closed_at"] and closed["pay_url"] is None
    assert api.post(f"/api/v1/invoices/{inv['uuid']}/close").status_code == 200  # no-op
    public = client.get(f"/api/v1/invoices/{inv['uuid']}").get_json()
    assert public["invoice"]["payable"] is False
    assert api.post(f"/api/v1/invoices/{inv['uuid']}/send").status_code == 409
    reopened = api.post(f"/api/v1/invoices/{inv['uuid']}/reopen").get_json()["invoice"]
    assert reopened["status"] == "draft" and reopened["closed_at"] is None
    assert reopened["pay_url"] != inv["pay_url"]
    assert client.get(old_path).status_code == 404
    assert client.get(reopened["pay_url"].replace("http://localhost", "")).status_code == 200
    assert api.post(f"/api/v1/invoices/{inv['uuid']}/reopen").status_code == 409


def test_soft_delete(api, client):
    b = api.booking()
    inv = api.invoice(b["uuid"])
    path = inv["pay_url"].replace("http://localhost", "")
    response = api.delete(f"/api/v1/invoices/{inv['uuid']}")
    assert response.status_code == 200
    got = response.get_json()["invoice"]
    assert got["status"] == "deleted" and got["deleted_at"] and got["pay_url"] is None
    assert client.get(path).status_code == 404
    assert client.get(f"/api/v1/invoices/{inv['uuid']}").status_code == 404  # public view
    assert api.get(f"/api/v1/invoices/{inv['uuid']}").status_code == 200  # record kept
    assert api.get("/api/v1/invoices").get_json()["data"] == []
    listed = api.get("/api/v1/invoices?status=deleted").get_json()["data"]
    assert [i["uuid"] for i in listed] == [inv["uuid"]]
    assert api.post(f"/api/v1/invoices/{inv['uuid']}/send").status_code == 404


def test_delete_refused_with_payments_or_pending(api):
    b = api.booking()
    inv = api.invoice(b["uuid"])
    with db.connection_context():
        Invoice.update(pending_intent_id="pi_live").where(Invoice.uuid == inv["uuid"]).execute()
    assert api.delete(f"/api/v1/invoices/{inv['uuid']}").status_code == 409
    assert api.post(f"/api/v1/invoices/{inv['uuid']}/close").status_code == 409
    with db.connection_context():
        Invoice.update(pending_intent_id=None, amount_paid_cents=100).where(
            Invoice.uuid == inv["uuid"]).execute()
    response = api.delete(f"/api/v1/invoices/{inv['uuid']}")
    assert response.status_code == 409 and "payments" in response.get_json()["message"]
    assert api.get(f"/api/v1/invoices/{inv['uuid']}").get_json()["invoice"]["status"] == (
        "partially_paid")


def test_list_filters_and_paging(api):
    b1 = api.booking(external_ref="b1")
    b2 = api.booking(external_ref="b2")
    made = [api.invoice(b1["uuid"], amount_cents=1000) for _ in range(3)]
    made.append(api.invoice(b2["uuid"], amount_cents=1000))
    api.post(f"/api/v1/invoices/{made[0]['uuid']}/close")
    page1 = api.get("/api/v1/invoices?limit=2").get_json()
    assert [i["uuid"] for i in page1["data"]] == [made[3]["uuid"], made[2]["uuid"]]
    page2 = api.get(f"/api/v1/invoices?limit=2&cursor={page1['next_cursor']}").get_json()
    assert [i["uuid"] for i in page2["data"]] == [made[1]["uuid"], made[0]["uuid"]]
    assert page2["next_cursor"] is None
    closed = api.get("/api/v1/invoices?status=closed").get_json()["data"]
    assert [i["uuid"] for i in closed] == [made[0]["uuid"]]
    drafts = api.get(f"/api/v1/invoices?status=draft&booking={b1['uuid']}").get_json()["data"]
    assert {i["uuid"] for i in drafts} == {made[1]["uuid"], made[2]["uuid"]}
    per_booking = api.get(f"/api/v1/bookings/{b2['uuid']}/invoices").get_json()["data"]
    assert [i["uuid"] for i in per_booking] == [made[3]["uuid"]]
    future = (utcnow() + timedelta(days=1)).isoformat()
    assert api.get(f"/api/v1/invoices?created_from={future}").get_json()["data"] == []
    assert len(api.get(f"/api/v1/invoices?created_to={future}").get_json()["data"]) == 4
    for bad in ("limit=0", "limit=abc", "limit=1000", "cursor=%%%", "status=lost",
                "created_from=yesterday"):
        response = api.get(f"/api/v1/invoices?{bad}")
        assert response.status_code == 422, bad
        assert response.get_json()["success"] is False


def test_lifecycle_on_both_engines(any_app):
    """The row-locking paths (FOR UPDATE on PostgreSQL, IMMEDIATE on SQLite) end to end."""
    _, key = new_merchant()
    api = Api(any_app.test_client(), key)
    b = api.booking()
    inv = api.invoice(b["uuid"], amount_cents=4000)
    assert api.post(f"/api/v1/invoices/{inv['uuid']}/send").status_code == 202
    assert api.post(f"/api/v1/invoices/{inv['uuid']}/close").get_json()["invoice"][
        "status"] == "closed"
    reopened = api.post(f"/api/v1/invoices/{inv['uuid']}/reopen").get_json()["invoice"]
    assert reopened["status"] == "draft" and reopened["pay_url"] != inv["pay_url"]
    assert api.delete(f"/api/v1/invoices/{inv['uuid']}").get_json()["invoice"][
        "status"] == "deleted"
    headers = {"Idempotency-Key": "same"}
    first = api.post("/api/v1/agreements", {"title": "T", "body": "B"}, headers=headers)
    again = api.post("/api/v1/agreements", {"title": "T", "body": "B"}, headers=headers)
    assert again.get_json() == first.get_json()
    assert len(api.get("/api/v1/agreements").get_json()["data"]) == 1
