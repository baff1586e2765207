"""A hot select whose SQL text is built once per database; each run binds its own value.

peewee builds a query's SQL text from its tree on every execution. For the pay page's
seven-table select that was the largest part of a request's CPU (bench/REMOVED.md and the
README's performance section measure it), while its shape never changes: only the value it
compares does. So the text is built once, with a marker in the value's place, through
``query.sql()``, and each run hands peewee's own ``Query.execute(database)`` an executor that
sends that text with the run's value: peewee still turns the rows into models. Only the SQL
text is kept; no row or result outlives its request.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, cast

from peewee import Database, ModelSelect, Value

from models import db

MARK = "\x1fpaylink-bound-value\x1f"


class _Bound:
    """What ``Query.execute(database)`` needs of a database: ``execute(query)``."""

    def __init__(self, database: Database, sql: str, params: list[Any]) -> None:
        self.database, self.sql, self.params = database, sql, params

    def execute(self, query: Any, **_options: Any) -> Any:
        return self.database.execute_sql(self.sql, self.params)


class CompiledSelect:
    """``build(value)`` is a select comparing one column with ``value``; ``rows(v)`` runs it."""

    def __init__(self, build: Callable[[Any], ModelSelect[Any]]) -> None:
        # Unconverted, so an integer column takes the marker too; each run's value is bound
        # as given (the caller passes what the column stores).
        self._query = build(Value(MARK, converter=False))
        self._texts: weakref.WeakKeyDictionary[Database, tuple[str, list[Any], int]] = (
            weakref.WeakKeyDictionary())
        self._lock = threading.Lock()

    def _text(self, database: Database) -> tuple[str, list[Any], int]:
        found = self._texts.get(database)
        if found is None:
            sql, params = self._query.sql()
            where = [i for i, p in enumerate(params) if p == MARK]
            if len(where) != 1:
                raise ValueError("a compiled select binds exactly one value")
            found = (sql, list(params), where[0])
            with self._lock:
                self._texts[database] = found
        return found

    def rows(self, value: Any) -> list[Any]:
        database = db.obj
        sql, params, at = self._text(database)
        bound = list(params)
        bound[at] = value
        query = self._query.clone()
        # Query.execute takes any object with execute(query); peewee's hints name Database.
        return list(query.execute(cast(Database, _Bound(database, sql, bound))))
