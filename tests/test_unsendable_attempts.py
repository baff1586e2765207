"""Nothing Stripe cannot take is marked pending, and a pending call that can never be sent
is cleared (issue 13, "Money" 2): one request must not block an invoice for good."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import Invoice, db, utcnow
from services.common.errors import ServiceError
from services.payments.rules import PayRequest
from tests.pay_helpers import ctoken, new_invoice, pay_api, reload


@pytest.mark.parametrize("bad", ["\udc80", "ctoken_\udc80", "ctoken_a\u0000b", "x" * 300,
                                 "pi_123", " ctoken_abc"])
def test_a_token_stripe_cannot_take_is_refused_and_blocks_nothing(any_pay_app, stripe_sdk, bad):
    client = any_pay_app.test_client()
    seeded = new_invoice(any_pay_app)
    refused = pay_api(client, seeded, stripeConfirmationToken=bad)
    assert refused.status_code == 422, refused.data
    assert refused.is_json and refused.json["success"] is False
    invoice = reload(seeded["invoice"])
    assert invoice.pending_intent_id is None and invoice.pending_request is None
    ok = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk))
    assert ok.status_code == 200, ok.json


def test_a_bad_next_action_id_is_refused():
    with pytest.raises(ServiceError) as caught:
        PayRequest.from_json({"handledNextAction": "pi_\udc80"})
    assert caught.value.status == 422


def test_a_stale_pending_call_that_cannot_be_sent_is_cleared(any_pay_app, stripe_sdk):
    """A pending call stored before its inputs were checked (an older release) fails to
    encode on every replay: the replay clears it and the next customer pays."""
    client = any_pay_app.test_client()
    seeded = new_invoice(any_pay_app)
    call = {"attempt": "oldattempt1", "options": {"idempotency_key": "paylink-x-oldattempt1"},
            "params": {"amount": 10000, "currency": "usd", "confirm": True,
                       "confirmation_token": "ctoken_\udc80",
                       "metadata": {"invoice_uuid": seeded["uuid"]}}}
    with db.connection_context():
        Invoice.update(pending_intent_id="attempt:oldattempt1", pending_request=call,
                       pending_since=utcnow() - timedelta(minutes=10)).where(
            Invoice.id == seeded["invoice"].id).execute()
    ok = pay_api(client, seeded, stripeConfirmationToken=ctoken(stripe_sdk))
    assert ok.status_code == 200, ok.json
    assert reload(seeded["invoice"]).status == "paid"


def test_close_and_delete_work_after_a_refused_token(any_pay_app):
    from tests.api_helpers import Api, new_merchant

    client = any_pay_app.test_client()
    merchant, key = new_merchant()
    seeded = new_invoice(any_pay_app, booking_fields={"m": merchant})
    assert pay_api(client, seeded, stripeConfirmationToken="\udc80").status_code == 422
    api = Api(client, key)
    closed = api.post(f"/api/v1/invoices/{seeded['uuid']}/close")
    assert closed.status_code == 200, closed.json
    deleted = api.delete(f"/api/v1/invoices/{seeded['uuid']}")
    assert deleted.status_code in (200, 204), deleted.data
