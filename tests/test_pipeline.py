"""pipeline.py and CompiledWrite.later: writes sent with a transaction's next statement or
its COMMIT behave as writes sent at once (order, visibility, rollback, errors), on both
engines; on PostgreSQL they save the round trips they promise."""

from __future__ import annotations

import pytest
from peewee import IntegrityError

from models import OutboxMessage, db, is_postgres
from statements import compiled_insert, compiled_update

INSERT = compiled_insert(OutboxMessage)  # a duplicate dedupe_key is an error
SET_ATTEMPTS = compiled_update(OutboxMessage, ["attempts"], ["dedupe_key"])
COUNT_SQL = "SELECT COUNT(*) FROM outbox_message"


@pytest.fixture
def conn(any_app):
    with db.connection_context():
        yield


def message(key: str) -> dict:
    return {"kind": "email", "dedupe_key": key, "payload": {"k": key}}


def count() -> int:
    return db.execute_sql(COUNT_SQL).fetchone()[0]


def test_later_writes_keep_order_and_are_seen_by_later_reads(conn):
    with db.atomic():
        INSERT.later(message("a"), message("b"))
        SET_ATTEMPTS.later({"attempts": 4}, {"dedupe_key": "a"})  # after the insert
        assert count() == 2  # a read in the transaction sees what was queued before it
        SET_ATTEMPTS.later({"attempts": 7}, {"dedupe_key": "b"})  # goes with the COMMIT
    rows = {m.dedupe_key: m.attempts for m in OutboxMessage.select()}
    assert rows == {"a": 4, "b": 7}


def test_later_writes_roll_back_with_their_transaction(conn):
    with pytest.raises(RuntimeError), db.atomic():
        INSERT.later(message("gone"))
        assert count() == 1
        INSERT.later(message("never-sent"))
        raise RuntimeError("roll back")
    assert count() == 0
    with pytest.raises(RuntimeError), db.atomic():
        INSERT.later(message("queued-only"))  # nothing reached the server yet
        raise RuntimeError("roll back")
    assert count() == 0
    INSERT(message("after"))  # the connection is clean for the next statement
    assert count() == 1


def test_failing_later_write_fails_the_whole_transaction(conn):
    INSERT(message("taken"))
    with pytest.raises(IntegrityError), db.atomic():
        INSERT.later(message("fresh"))
        INSERT.later(message("taken"))  # breaks the unique key: at COMMIT on PostgreSQL
    assert [m.dedupe_key for m in OutboxMessage.select()] == ["taken"]
    with db.atomic():  # and the next transaction works
        INSERT.later(message("fresh"))
    assert count() == 2


def test_outside_a_transaction_later_runs_at_once(conn):
    INSERT.later(message("now"))
    assert count() == 1
    SET_ATTEMPTS.later({"attempts": 2}, {"dedupe_key": "now"})
    assert OutboxMessage.get().attempts == 2


class _CountingCursor:
    def __init__(self, cursor, sent: list) -> None:
        self._cursor, self._sent = cursor, sent

    def execute(self, sql, *args):
        self._sent.append(sql.decode() if isinstance(sql, bytes) else sql)
        return self._cursor.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._cursor, name)


def test_round_trips_on_postgres(conn, monkeypatch):
    if not is_postgres():
        pytest.skip("round trips are PostgreSQL's (SQLite runs in-process)")
    sent: list[str] = []
    cursor = db.obj.cursor
    monkeypatch.setattr(db.obj, "cursor", lambda *a, **k: _CountingCursor(cursor(*a, **k), sent))

    with db.atomic():
        pass
    assert sent == []  # an empty transaction costs nothing

    with db.atomic():
        assert count() == 0
        INSERT.later(message("x"))
        SET_ATTEMPTS.later({"attempts": 1}, {"dedupe_key": "x"})
    assert len(sent) == 2, sent  # BEGIN with the read; both writes with the COMMIT
    assert sent[0].startswith("BEGIN; SELECT COUNT(*)")
    assert sent[1].startswith("INSERT INTO") and sent[1].endswith("; COMMIT")

    sent.clear()
    with db.atomic():
        INSERT.later(message("y"))
    assert len(sent) == 1 and sent[0].startswith("BEGIN; INSERT INTO")
    assert sent[0].endswith("; COMMIT")
    assert OutboxMessage.get(OutboxMessage.dedupe_key == "x").attempts == 1
