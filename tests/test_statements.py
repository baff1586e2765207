"""statements.py: compiled SQL gives the same rows and writes as peewee's own queries,
on SQLite and on PostgreSQL, and a stale prepared statement does not break later calls."""

from __future__ import annotations

from datetime import datetime

import pytest
from peewee import JOIN

from models import Booking, Invoice, Merchant, OutboxMessage, Slot, db, is_postgres
from statements import MAX_ROWS, CompiledSelect, compiled_insert, compiled_update
from tests import factories


@pytest.fixture
def any_conn(any_app):
    with db.connection_context():
        yield


BY_UUID = CompiledSelect(lambda uuid: Invoice.select(Invoice, Booking, Merchant, Slot)
                         .join(Booking).switch(Booking).join(Slot, JOIN.LEFT_OUTER)
                         .switch(Invoice).join(Merchant).where(Invoice.uuid == uuid))
INSERT_MESSAGE = compiled_insert(OutboxMessage, ignore_conflicts=True)
SET_ATTEMPTS = compiled_update(OutboxMessage, ["attempts", "payload", "delivered_at"],
                               ["dedupe_key"])


def test_compiled_select_matches_peewee_and_rebinds(any_conn):
    m, _ = factories.merchant()
    first = factories.invoice(factories.booking(m))
    second = factories.invoice(factories.booking(m, activity="Night paddle"))
    for invoice in (first, second, first):  # the second run reuses the compiled plan
        got = BY_UUID.first(invoice.uuid)
        expected = Invoice.get(Invoice.uuid == invoice.uuid)
        assert got.__data__ == expected.__data__
        assert got.booking.activity == expected.booking.activity
        assert got.merchant.name == m.name and got.booking.slot is None
    assert BY_UUID.first("no-such-uuid") is None


def test_compiled_insert_converts_values_and_skips_conflicts(any_conn):
    m, _ = factories.merchant()
    assert INSERT_MESSAGE({"kind": "email", "dedupe_key": "k1", "payload": {"a": [1, 2]},
                           "merchant": m}) == 1
    # A duplicate key is skipped, the other row of the same statement still goes in.
    assert INSERT_MESSAGE({"kind": "email", "dedupe_key": "k1", "payload": {}},
                          {"kind": "sms", "dedupe_key": "k2", "payload": {"b": None}}) == 1
    rows = {r.dedupe_key: r for r in OutboxMessage.select()}
    assert set(rows) == {"k1", "k2"}
    assert rows["k1"].payload == {"a": [1, 2]} and rows["k1"].merchant_id == m.id
    assert rows["k2"].payload == {"b": None} and rows["k2"].merchant_id is None
    # Defaults are the model's: a fresh uuid each, attempts 0, a created time.
    assert rows["k1"].uuid != rows["k2"].uuid and rows["k2"].attempts == 0
    assert isinstance(rows["k2"].created_at, datetime)


def test_compiled_insert_over_the_row_limit(any_conn):
    rows = [{"kind": "email", "dedupe_key": f"bulk-{i}", "payload": {"i": i}}
            for i in range(MAX_ROWS * 2 + 3)]
    assert INSERT_MESSAGE(*rows) == len(rows)
    assert INSERT_MESSAGE(*rows) == 0
    assert OutboxMessage.select().count() == len(rows)
    assert INSERT_MESSAGE() == 0


def test_compiled_update_sets_only_matching_rows(any_conn):
    INSERT_MESSAGE({"kind": "email", "dedupe_key": "a", "payload": {}},
                   {"kind": "email", "dedupe_key": "b", "payload": {}})
    when = datetime(2030, 1, 2, 3, 4, 5)
    assert SET_ATTEMPTS({"attempts": 3, "payload": ["x"], "delivered_at": when},
                        {"dedupe_key": "a"}) == 1
    assert SET_ATTEMPTS({"attempts": 1, "payload": {}, "delivered_at": None},
                        {"dedupe_key": "zzz"}) == 0
    a = OutboxMessage.get(OutboxMessage.dedupe_key == "a")
    b = OutboxMessage.get(OutboxMessage.dedupe_key == "b")
    assert (a.attempts, a.payload, a.delivered_at) == (3, ["x"], when)
    assert (b.attempts, b.payload, b.delivered_at) == (0, {}, None)


def test_rolled_back_transaction_keeps_statements_usable(any_conn):
    m, _ = factories.merchant()
    invoice = factories.invoice(factories.booking(m))
    with pytest.raises(RuntimeError), db.atomic():
        assert BY_UUID.first(invoice.uuid).id == invoice.id  # prepared inside the transaction
        raise RuntimeError("roll back")
    assert BY_UUID.first(invoice.uuid).id == invoice.id
    with db.atomic():
        assert BY_UUID.first(invoice.uuid).id == invoice.id


def test_stale_prepared_statement_recovers(any_conn):
    """A statement prepared on this connection and then dropped behind our back (as a
    schema change would) fails once at most inside a transaction, never outside one."""
    if not is_postgres():
        pytest.skip("PREPARE is PostgreSQL's")
    m, _ = factories.merchant()
    invoice = factories.invoice(factories.booking(m))
    assert BY_UUID.first(invoice.uuid).id == invoice.id
    db.execute_sql("DEALLOCATE ALL")
    assert BY_UUID.first(invoice.uuid).id == invoice.id  # outside: falls back, re-prepares
    assert BY_UUID.first(invoice.uuid).id == invoice.id
