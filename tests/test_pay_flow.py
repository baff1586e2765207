"""The pay flow through HTTP, against the sandbox with the real stripe SDK."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import (
    AgreementAcceptance,
    Booking,
    CustomerPayment,
    Invoice,
    OutboxMessage,
    Slot,
    db,
    utcnow,
)
from services.payments.rules import PENDING_MESSAGE
from tests import factories
from tests.pay_helpers import (
    ctoken,
    intents,
    new_invoice,
    pay_api,
    reload,
    start_three_d_secure,
)


@pytest.mark.pgbouncer
def test_pay_in_full_finalises_everything(any_pay_app, stripe_sdk):
    client = any_pay_app.test_client()
    with db.connection_context():
        merchant, _ = factories.merchant(calendar_sync=True)
    seeded = new_invoice(any_pay_app, confirm_on_pay=True, booking_fields={"m": merchant})
    response = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk),
                       attemptKey="attempt-0001")
    assert response.status_code == 200, response.json
    confirmation = response.json["confirmation"]
    assert response.json["success"] is True
    assert confirmation["bookingConfirmationCode"] == seeded["booking"].confirmation_code
    assert confirmation["amountCents"] == 10000 and confirmation["confirmationNumber"]
    with db.connection_context():
        invoice = Invoice.get_by_id(seeded["invoice"].id)
        booking = Booking.get_by_id(seeded["booking"].id)
        payment = CustomerPayment.get()
        assert invoice.status == "paid" and invoice.paid_at is not None
        assert invoice.pending_intent_id is None
        assert booking.balance_cents == 0 and booking.status == "confirmed"
        assert payment.amount_cents == 10000 and payment.stripe_payment_intent_id.startswith("pi_")
        acceptances = list(AgreementAcceptance.select())
        assert len(acceptances) == 2 and all(a.ip == "127.0.0.1" for a in acceptances)
        kinds = sorted(m.dedupe_key.split(":")[0] for m in OutboxMessage.select())
        assert kinds == ["booking-confirmed", "calendar", "receipt"]
    [intent] = intents(stripe_sdk)
    assert intent.status == "succeeded" and intent.amount == 10000
    assert intent.metadata["invoice_uuid"] == seeded["uuid"]
    # paying again is refused with the paid state, and nothing more is charged
    again = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk))
    assert again.status_code == 409 and again.json["code"] == "paid"
    assert len(intents(stripe_sdk)) == 1


def test_three_d_secure_complete(pay_app, stripe_sdk, sandbox):
    client = pay_app.test_client()
    seeded = new_invoice(pay_app)
    first, intent_id = start_three_d_secure(client, seeded, stripe_sdk)
    assert first.status_code == 200 and first.json["requiresAction"] is True
    assert reload(seeded["invoice"]).pending_intent_id == intent_id
    # while authentication is pending, another attempt is refused with the exact message
    blocked = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk))
    assert blocked.status_code == 409 and blocked.json["message"] == PENDING_MESSAGE
    sandbox.authenticate(intent_id, "complete")
    done = pay_api(client, seeded, handledNextAction=intent_id)
    assert done.status_code == 200 and done.json["confirmation"]["paymentIntent"] == intent_id
    assert reload(seeded["invoice"]).status == "paid"


def test_three_d_secure_fail_then_pay_with_another_card(pay_app, stripe_sdk, sandbox):
    client = pay_app.test_client()
    seeded = new_invoice(pay_app)
    first, intent_id = start_three_d_secure(client, seeded, stripe_sdk)
    sandbox.authenticate(intent_id, "fail")
    failed = pay_api(client, seeded, handledNextAction=intent_id)
    assert failed.status_code == 402
    assert "unable to authenticate" in failed.json["message"]
    invoice = reload(seeded["invoice"])
    assert invoice.failed_attempts == 1 and invoice.pending_intent_id is None
    assert invoice.last_attempt_code == "payment_intent_authentication_failure"
    ok = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk))
    assert ok.status_code == 200 and reload(seeded["invoice"]).status == "paid"


@pytest.mark.parametrize("method,message", [
    ("pm_card_chargeDeclinedInsufficientFunds", "Your card has insufficient funds."),
    ("pm_card_chargeDeclined", "Your card was declined."),
    ("pm_card_chargeDeclinedExpiredCard", "Your card has expired."),
    ("pm_card_chargeDeclinedIncorrectCvc", "Your card's security code is incorrect."),
])
def test_decline_shows_bank_message_then_success(pay_app, stripe_sdk, method, message):
    client = pay_app.test_client()
    seeded = new_invoice(pay_app)
    declined = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk, method))
    assert declined.status_code == 402
    assert declined.json == {"success": False, "message": message, "code": "card_declined"}
    invoice = reload(seeded["invoice"])
    assert invoice.status == "open" and invoice.failed_attempts == 1
    assert invoice.pending_intent_id is None and invoice.last_attempt_message == message
    ok = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk))
    assert ok.status_code == 200
    with db.connection_context():
        assert CustomerPayment.select().count() == 1


def test_agreements_must_all_be_accepted(pay_app, stripe_sdk):
    client = pay_app.test_client()
    seeded = new_invoice(pay_app)
    for given in ([], seeded["agreements"][:1], ["not-an-agreement"], "all"):
        response = pay_api(client, seeded, agreements=given,
                           stripeConfirmationToken=ctoken(stripe_sdk))
        assert response.status_code == 422, given
        assert response.json["success"] is False and response.json["message"]
    assert intents(stripe_sdk) == []
    with db.connection_context():
        assert AgreementAcceptance.select().count() == 0


def _set(model, row_id, **fields):
    with db.connection_context():
        model.update(**fields).where(model.id == row_id).execute()


@pytest.mark.parametrize("state,change,status", [
    ("closed", lambda s: _set(Invoice, s["invoice"].id, status="closed", closed_at=utcnow()), 409),
    ("canceled", lambda s: _set(Booking, s["booking"].id, status="canceled"), 409),
    ("no_balance", lambda s: _set(Booking, s["booking"].id, balance_cents=0), 409),
    ("paid", lambda s: _set(Invoice, s["invoice"].id, status="paid"), 409),
    ("expired", lambda s: _set(Invoice, s["invoice"].id,
                               expires_at=utcnow() - timedelta(minutes=1)), 409),
])
def test_unpayable_states_refused_by_api_and_page(pay_app, stripe_sdk, state, change, status):
    client = pay_app.test_client()
    seeded = new_invoice(pay_app)
    change(seeded)
    response = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk))
    assert response.status_code == status and response.json["code"] == state
    assert response.json["message"]
    page = client.get(f"/pay/{seeded['token']}")
    if state == "expired":
        assert page.status_code == 404 and b"expired" in page.data
    else:
        assert page.status_code == 200
        assert f'data-state="{state}"'.encode() in page.data
        assert b'data-testid="pay-button"' not in page.data
    assert intents(stripe_sdk) == []


def test_slot_full_for_draft_booking(pay_app, stripe_sdk):
    client = pay_app.test_client()
    with db.connection_context():
        merchant, slot = factories.slot_with_held_seats(capacity=4, held=3)
    seeded = new_invoice(pay_app, booking_fields={"m": merchant, "slot": slot,
                                                  "participants": 2})
    response = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk))
    assert response.status_code == 409 and response.json["code"] == "slot_unavailable"
    page = client.get(f"/pay/{seeded['token']}")
    assert b'data-state="slot_unavailable"' in page.data
    # a seat frees up: the same booking can pay
    _set(Slot, slot.id, capacity=5)
    ok = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk))
    assert ok.status_code == 200


def test_stale_canceled_pending_intent_is_cleared(pay_app, stripe_sdk):
    client = pay_app.test_client()
    seeded = new_invoice(pay_app)
    first, intent_id = start_three_d_secure(client, seeded, stripe_sdk)
    stripe_sdk.v1.payment_intents.cancel(intent_id)
    ok = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk))
    assert ok.status_code == 200 and reload(seeded["invoice"]).status == "paid"


def test_crashed_attempt_marker_expires(pay_app, stripe_sdk):
    client = pay_app.test_client()
    seeded = new_invoice(pay_app)
    _set(Invoice, seeded["invoice"].id, pending_intent_id="attempt:crashed00",
         pending_since=utcnow())
    blocked = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk))
    assert blocked.status_code == 409 and blocked.json["message"] == PENDING_MESSAGE
    _set(Invoice, seeded["invoice"].id, pending_since=utcnow() - timedelta(minutes=5))
    ok = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk))
    assert ok.status_code == 200


def test_retry_after_gateway_failure_charges_once(pay_app, stripe_sdk, sandbox):
    client = pay_app.test_client()
    seeded = new_invoice(pay_app)
    token = ctoken(stripe_sdk)
    sandbox.configure(fail_mode="503")
    down = pay_api(client, seeded, stripeConfirmationToken=token, attemptKey="attempt-retry1")
    assert down.status_code == 503 and down.json["code"] == "gateway_unavailable"
    # Stripe may have charged: the attempt stays pending; another attempt must wait
    assert reload(seeded["invoice"]).pending_intent_id == "attempt:attempt-retry1"
    sandbox.configure(fail_mode=None)
    other = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk),
                    attemptKey="attempt-other")
    assert other.status_code == 409 and other.json["message"] == PENDING_MESSAGE
    ok = pay_api(client, seeded, stripeConfirmationToken=token, attemptKey="attempt-retry1")
    assert ok.status_code == 200
    assert len(intents(stripe_sdk)) == 1


def test_next_action_from_another_invoice_is_refused(pay_app, stripe_sdk, sandbox):
    client = pay_app.test_client()
    mine, other = new_invoice(pay_app), new_invoice(pay_app)
    first, intent_id = start_three_d_secure(client, other, stripe_sdk)
    sandbox.authenticate(intent_id, "complete")
    stolen = pay_api(client, mine, handledNextAction=intent_id)
    assert stolen.status_code == 422 and stolen.json["code"] == "payment_mismatch"
    assert reload(mine["invoice"]).status == "open"
    for bad in ("pi_doesnotexist", "not-a-pi", 12):
        response = pay_api(client, mine, handledNextAction=bad)
        assert 400 <= response.status_code < 500, bad


def test_finalise_twice_browser_then_return_url(pay_app, stripe_sdk, sandbox):
    client = pay_app.test_client()
    seeded = new_invoice(pay_app)
    first, intent_id = start_three_d_secure(client, seeded, stripe_sdk)
    sandbox.authenticate(intent_id, "complete")
    assert pay_api(client, seeded, handledNextAction=intent_id).status_code == 200
    back = client.get(f"/pay/{seeded['token']}/return?payment_intent={intent_id}"
                      "&redirect_status=succeeded")
    assert back.status_code == 303
    assert pay_api(client, seeded, handledNextAction=intent_id).status_code == 200
    with db.connection_context():
        assert CustomerPayment.select().count() == 1
        assert Booking.get_by_id(seeded["booking"].id).balance_cents == 0
    page = client.get(f"/pay/{seeded['token']}")
    assert b'data-testid="confirmation-code"' in page.data
    assert seeded["booking"].confirmation_code.encode() in page.data


def test_bad_payloads_are_clear_4xx(pay_app, stripe_sdk):
    client = pay_app.test_client()
    seeded = new_invoice(pay_app)
    url = f"/api/v1/invoices/{seeded['uuid']}/pay"
    for body in (None, [], "x", {"agreements": "all"}, {"stripeConfirmationToken": 5},
                 {"agreements": seeded["agreements"]},
                 {"agreements": seeded["agreements"], "stripeConfirmationToken": "ctoken_x",
                  "amountCents": "100"},
                 {"agreements": seeded["agreements"], "stripeConfirmationToken": "ctoken_x",
                  "tipCents": 100},
                 {"agreements": seeded["agreements"], "stripeConfirmationToken": "ctoken_x",
                  "amountCents": 50}):
        response = client.post(url, json=body)
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert response.json["success"] is False and response.json["message"]
    unknown = client.post("/api/v1/invoices/00000000-0000-0000-0000-000000000000/pay", json={})
    assert unknown.status_code == 404 and unknown.json["success"] is False
    bogus = pay_api(client, seeded, stripeConfirmationToken="ctoken_doesnotexist")
    assert bogus.status_code == 422 and reload(seeded["invoice"]).pending_intent_id is None


def test_page_confirm_requires_csrf_token(pay_app, stripe_sdk):
    client = pay_app.test_client()
    seeded = new_invoice(pay_app)
    body = {"agreements": seeded["agreements"], "stripeConfirmationToken": ctoken(stripe_sdk)}
    url = f"/pay/{seeded['token']}/confirm"
    for csrf in (None, "forged", "x.y.z"):
        response = client.post(url, json={**body, "csrfToken": csrf})
        assert response.status_code == 403 and "reload" in response.json["message"]
    page = client.get(f"/pay/{seeded['token']}").get_data(as_text=True)
    csrf = page.split('"csrfToken": "')[1].split('"')[0]
    ok = client.post(url, json={**body, "csrfToken": csrf})
    assert ok.status_code == 200 and ok.json["confirmation"]


def test_public_invoice_read(pay_app):
    client = pay_app.test_client()
    seeded = new_invoice(pay_app, memo="Meet at the pier")
    body = client.get(f"/api/v1/invoices/{seeded['uuid']}").json
    assert body["success"] is True and body["invoice"]["dueNowCents"] == 10000
    assert body["invoice"]["uuid"] == seeded["uuid"] and body["activity"] == "Kayak tour"
    assert body["date"] == "2030-06-01" and body["start"] == "09:00:00"
    assert body["end"] == "11:00:00" and body["endDate"] is None
    assert body["cart"]["line_items"][0]["amount_cents"] == 10000
    assert [a["uuid"] for a in body["agreements"]] == seeded["agreements"]
    assert client.get("/api/v1/invoices/nope").status_code == 404


def test_timed_out_attempt_is_replayed_once_stale_never_charged_twice(pay_app, stripe_sdk,
                                                                      sandbox):
    """Stripe charged but the answer was lost; a reload later must not charge again."""
    client = pay_app.test_client()
    seeded = new_invoice(pay_app)
    token = ctoken(stripe_sdk)
    sandbox.configure(fail_mode="503")
    lost = pay_api(client, seeded, stripeConfirmationToken=token, attemptKey="attempt-lost01")
    assert lost.status_code == 503
    sandbox.configure(fail_mode=None)
    # Meanwhile Stripe did charge with that very call (as if only the answer was lost).
    with db.connection_context():
        call = Invoice.get_by_id(seeded["invoice"].id).pending_request
    stripe_sdk.v1.payment_intents.create(params=call["params"], options=call["options"])
    # The customer reloads within two minutes: told to wait, not charged
    early = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk),
                    attemptKey="attempt-reload1")
    assert early.status_code == 409 and early.json["message"] == PENDING_MESSAGE
    # ...and after the attempt went stale: the lost call is replayed (same idempotency key),
    # its payment recorded, and the invoice is paid once.
    _set(Invoice, seeded["invoice"].id, pending_since=utcnow() - timedelta(minutes=3))
    late = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk),
                   attemptKey="attempt-reload2")
    assert late.status_code == 409 and late.json["code"] == "paid"
    assert [i.status for i in intents(stripe_sdk)] == ["succeeded"]
    with db.connection_context():
        assert CustomerPayment.select().count() == 1
        invoice = Invoice.get_by_id(seeded["invoice"].id)
        assert invoice.pending_intent_id is None and invoice.pending_request is None


def test_abandoned_three_d_secure_is_canceled_after_fifteen_minutes(pay_app, stripe_sdk):
    client = pay_app.test_client()
    seeded = new_invoice(pay_app)
    first, intent_id = start_three_d_secure(client, seeded, stripe_sdk)
    _set(Invoice, seeded["invoice"].id, pending_since=utcnow() - timedelta(minutes=10))
    assert pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk)).status_code == 409
    _set(Invoice, seeded["invoice"].id, pending_since=utcnow() - timedelta(minutes=16))
    ok = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk))
    assert ok.status_code == 200
    assert stripe_sdk.v1.payment_intents.retrieve(intent_id).status == "canceled"
    with db.connection_context():
        assert CustomerPayment.select().count() == 1
