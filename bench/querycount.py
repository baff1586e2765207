"""Count (and keep) the SQL statements the app runs, bench- and test-only.

Wraps the bound database's ``execute_sql`` on the instance while the context is active
and restores it afterwards, so nothing is patched (and nothing costs) when not counting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from models import db

SKIP_PREFIXES = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "SET ")


class QueryLog:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        """Statements that read or write rows (transaction control and pragmas excluded)."""
        return len(self.queries)

    @property
    def queries(self) -> list[str]:
        return [s for s in self.statements if not s.lstrip().upper().startswith(SKIP_PREFIXES)]


@contextmanager
def count_queries() -> Iterator[QueryLog]:
    database = db.obj
    log = QueryLog()
    original = database.execute_sql

    def counting(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        log.statements.append(sql)
        return original(sql, params, *args, **kwargs)

    database.execute_sql = counting
    try:
        yield log
    finally:
        del database.execute_sql  # back to the class's method
