"""Two drafts that together overfill a slot: the first to pay wins (issue 13). SQLite:
a transaction that reads before it writes waits for the write lock instead of failing."""

from __future__ import annotations

import threading
from datetime import datetime

from models import Booking, Slot, db
from tests import factories
from tests.pay_helpers import ctoken, new_invoice, pay_api


def _two_drafts(app) -> tuple[dict, dict]:
    with db.connection_context():
        merchant, _ = factories.merchant()
        slot = Slot.create(merchant=merchant, capacity=4, starts_at=datetime(2030, 6, 1, 9),
                           ends_at=datetime(2030, 6, 1, 11))
    fields = {"m": merchant, "slot": slot, "participants": 3}
    return (new_invoice(app, booking_fields=fields), new_invoice(app, booking_fields=fields))


def test_first_draft_to_pay_takes_the_seats(any_pay_app, stripe_sdk):
    client = any_pay_app.test_client()
    first, second = _two_drafts(any_pay_app)
    page = client.get(f"/pay/{second['token']}")
    assert b'data-state="open"' in page.data  # an unpaid draft holds no seats
    paid = pay_api(client, first, stripeConfirmationToken=ctoken(stripe_sdk))
    assert paid.status_code == 200, paid.json
    late = pay_api(client, second, stripeConfirmationToken=ctoken(stripe_sdk))
    assert late.status_code == 409 and late.json["code"] == "slot_unavailable"
    assert b'data-state="slot_unavailable"' in client.get(f"/pay/{second['token']}").data


def test_two_drafts_paying_at_once_never_overfill(any_pay_app, stripe_sdk, sandbox):
    import requests

    from tests.conftest import LiveServer

    first, second = _two_drafts(any_pay_app)
    sandbox.configure(latency_ms=150)
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def press(base: str, seeded: dict) -> None:
        token = ctoken(stripe_sdk)
        barrier.wait()
        codes.append(requests.post(f"{base}/api/v1/invoices/{seeded['uuid']}/pay", json={
            "stripeConfirmationToken": token, "agreements": seeded["agreements"]},
            timeout=60).status_code)

    with LiveServer(any_pay_app) as server:
        threads = [threading.Thread(target=press, args=(server.url, s)) for s in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    sandbox.configure(latency_ms=0)
    assert sorted(codes) == [200, 409], codes
    with db.connection_context():
        paid = Booking.select().where(Booking.balance_cents == 0).count()
    assert paid == 1


def test_sqlite_writer_that_read_first_waits_for_the_lock(app):
    """Two SQLite transactions that both read and then write: in WAL mode the second one
    fails at once with SQLITE_BUSY (snapshot) unless every transaction that may write
    takes the lock up front."""
    with db.connection_context():
        booking = factories.booking()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def read_then_write(n: int) -> None:
        try:
            with db.connection_context(), db.atomic():
                Booking.get_by_id(booking.id)  # the read takes a snapshot
                barrier.wait(timeout=5)
                Booking.update(activity=f"writer {n}").where(
                    Booking.id == booking.id).execute()
        except threading.BrokenBarrierError:
            pass  # the other writer held the lock: it waited, as it should
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=read_then_write, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
