"""Fewer PostgreSQL round trips per transaction: BEGIN, and writes whose result nobody
reads, travel with the transaction's next statement or with its COMMIT.

Every statement psycopg2 sends is a round trip: the app thread sleeps, the server wakes,
answers, the thread wakes again. On a small machine under load that costs more than the
statements themselves. A payment ran 12 (BEGIN, lock, two writes, COMMIT; BEGIN, lock,
insert, three writes, COMMIT); with this it runs 5.

- ``begin()`` sends nothing; BEGIN goes out in front of the first statement.
- ``queue_write(sql, params)`` keeps a write (rendered by psycopg2's own ``mogrify``) to go
  out in front of the next statement, or in front of COMMIT. Order is kept, so a later
  read sees it. Its error, if any, surfaces there and aborts the transaction as any error
  does; callers queue only writes whose row count they do not need.
- ``commit()`` of a transaction that sent nothing sends nothing; ``rollback()`` of one the
  server never saw begin sends nothing.

psycopg2 runs several ``;``-separated statements in one call and returns the result of
the last one, which is always the caller's own statement here.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import peewee

# peewee's context manager that turns driver errors into peewee's (IntegrityError, ...).
_driver_errors = peewee.__exception_wrapper__


class PipelinedTransactions:
    """A mixin for a peewee PostgreSQL database class (psycopg2)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unsent_local = threading.local()

    def _take_unsent(self) -> list[bytes]:
        unsent = getattr(self._unsent_local, "statements", None) or []
        self._unsent_local.statements = []
        return unsent

    def begin(self, isolation_level: int | None = None) -> None:
        if isolation_level is None:
            isolation_level = self._isolation_level  # type: ignore[attr-defined]
        statement = "BEGIN"
        if isolation_level:
            level = self._adapter.isolation_level_str(isolation_level)  # type: ignore[attr-defined]
            statement = f"BEGIN TRANSACTION ISOLATION LEVEL {level}"
        self.cursor()  # connect now (autoconnect), as peewee's begin does
        self._unsent_local.statements = [statement.encode()]

    def queue_write(self, sql: str, params: Any) -> bool:
        """Keep a write for the next round trip; False outside a transaction (run it now)."""
        if not self.in_transaction():  # type: ignore[attr-defined]
            return False
        rendered = self.cursor().mogrify(sql, params or ())  # type: ignore[attr-defined]
        self._unsent_local.statements = [*self._take_unsent(), rendered]
        return True

    def _execute_cursor(self, sql: str, params: Any, **cursor_options: Any) -> Any:
        unsent = self._take_unsent()
        if not unsent:
            return super()._execute_cursor(sql, params, **cursor_options)  # type: ignore[misc]
        if cursor_options:  # a server-side cursor: send what waits on its own first
            self._send(unsent)
            return super()._execute_cursor(sql, params, **cursor_options)  # type: ignore[misc]
        self._log_query(sql, params)  # type: ignore[attr-defined]
        start = time.perf_counter() if self.query_hooks else None  # type: ignore[attr-defined]
        try:
            with _driver_errors:
                cursor = self.cursor()  # type: ignore[attr-defined]
                cursor.execute(b"; ".join([*unsent, cursor.mogrify(sql, params or ())]))
        except Exception as exc:
            if start is not None:
                self._notify_hooks(sql, params, start, exc)  # type: ignore[attr-defined]
            raise
        if start is not None:
            self._notify_hooks(sql, params, start, None)  # type: ignore[attr-defined]
        return cursor

    def _send(self, statements: list[bytes]) -> None:
        with _driver_errors:
            self.cursor().execute(b"; ".join(statements))  # type: ignore[attr-defined]

    def commit(self) -> None:
        unsent = self._take_unsent()
        if not unsent:
            super().commit()  # type: ignore[misc]
        elif not (len(unsent) == 1 and unsent[0].startswith(b"BEGIN")):
            self._send([*unsent, b"COMMIT"])
        # else nothing ran: the server never saw this transaction

    def rollback(self) -> None:
        unsent = self._take_unsent()  # queued writes of a failed transaction are dropped
        if not (unsent and unsent[0].startswith(b"BEGIN")):  # else the server never saw it
            super().rollback()  # type: ignore[misc]

    def close(self) -> bool:
        self._take_unsent()
        return super().close()  # type: ignore[misc]
