"""One Stripe refund reported twice at once (the API's answer and the charge.refunded
webhook, as Connect's live webhooks do) is recorded once, without an error."""

from __future__ import annotations

import threading

from models import CustomerPayment, Refund, db
from services.payments.refunds import record_refund
from tests import factories
from tests.conftest import make_test_app


def test_the_same_refund_reported_twice_at_once_is_recorded_once(database_url):
    make_test_app(database_url)
    with db.connection_context():
        invoice = factories.invoice()
        payment = CustomerPayment.create(
            booking=invoice.booking_id, invoice=invoice, amount_cents=10000, currency="usd",
            stripe_payment_intent_id="pi_race", confirmation_number="P-RACE")
    for round_ in range(5):
        start, problems = threading.Barrier(4), []

        def report(refund_id: str) -> None:
            try:
                with db.connection_context():
                    start.wait()
                    record_refund(payment, refund_id, 100)
            except Exception as exc:  # noqa: BLE001 (collected for the assertion)
                problems.append(repr(exc))

        threads = [threading.Thread(target=report, args=(f"re_race_{round_}",))
                   for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert problems == []
    with db.connection_context():
        assert Refund.select().count() == 5
        assert CustomerPayment.get_by_id(payment.id).refunded_cents == 500
    db.close()
