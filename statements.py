"""SQL statements compiled once per database, then run with new values.

peewee rebuilds a query's SQL from its expression tree on every execution. On the pay
page and in the pay flow that was most of the work: a five-table join cost more to
compile than to run, and each insert or update about 0.3 ms of Python. A statement here
is built by peewee once per database with placeholders, and later runs only bind values.
On PostgreSQL it is also PREPAREd once per connection, because planning the join cost
more than executing it.
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import suppress
from functools import reduce
from operator import and_
from typing import Any, NamedTuple

from peewee import DatabaseError, Field, Model, PostgresqlDatabase, Value

from models import db


class _Compiled:
    """The SQL of ``build(*placeholders)`` per database, run with bound values."""

    _names = itertools.count(1)

    def __init__(self, build: Callable[..., Any], arity: int) -> None:
        self._build = build
        self._arity = arity
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._name = f"paylink_q{next(self._names)}"
        # connection → the name its statement was PREPAREd under there
        self._prepared_on: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _placeholder(self, mark: str) -> Any:
        return mark

    def _compile(self, database: Any) -> tuple[Any, str, list[Any], list[int]]:
        compiled = self._compiled.get(database)
        if compiled is None:
            marks = [f"\x00param{i}\x00" for i in range(self._arity)]
            query = self._build(*[self._placeholder(m) for m in marks])
            sql, params = query.sql()
            compiled = (query, sql, list(params), [params.index(m) for m in marks])
            self._compiled[database] = compiled
        return compiled

    def _bind(self, values: Sequence[Any]) -> tuple[Any, Any, str, list[Any]]:
        """(database, compiled query, SQL, parameters) for these parameter values."""
        database = db.obj
        query, sql, params, positions = self._compile(database)
        bound = list(params)
        for position, value in zip(positions, values, strict=True):
            bound[position] = value
        return database, query, sql, bound

    def _run(self, values: Sequence[Any]) -> tuple[Any, Any]:
        """(the compiled query, a cursor over its result) for these parameter values."""
        database, query, sql, bound = self._bind(values)
        return query, self._execute(database, sql, bound)

    def _execute(self, database: Any, sql: str, bound: list[Any]) -> Any:
        if not isinstance(database, PostgresqlDatabase):
            return database.execute_sql(sql, bound)
        connection = database.connection()
        name = self._prepared_on.get(connection)
        if name is None:
            # Inside a transaction too (the lock queries): a prepared statement outlives a
            # rolled-back transaction, and a fresh name per connection cannot collide.
            name = f"{self._name}_{next(self._names)}"
            numbered = iter(range(1, len(bound) + 1))
            statement = re.sub(r"%s", lambda _: f"${next(numbered)}", sql)
            database.execute_sql(f"PREPARE {name} AS {statement}")
            self._prepared_on[connection] = name
        placeholders = ", ".join(["%s"] * len(bound))
        try:
            return database.execute_sql(f"EXECUTE {name} ({placeholders})", bound)
        except DatabaseError:
            # e.g. a migration changed a table under the plan: forget it. Outside a
            # transaction run the SQL as is; inside one the error stands (it is aborted).
            del self._prepared_on[connection]
            if database.in_transaction():
                raise
            with suppress(DatabaseError):
                database.execute_sql(f"DEALLOCATE {name}")
            return database.execute_sql(sql, bound)


class Rows(NamedTuple):
    """A fetched result: the cursor's column descriptions and the value tuples."""

    description: tuple[Any, ...]
    values: tuple[tuple[Any, ...], ...]


class _Replay:
    """A cursor over an already fetched result, for peewee's cursor wrappers."""

    def __init__(self, result: Rows) -> None:
        self.description = result.description
        self._values = iter(result.values)

    def fetchone(self) -> tuple[Any, ...] | None:
        return next(self._values, None)

    def close(self) -> None:
        pass


class CompiledSelect(_Compiled):
    """A select: ``build`` gets one placeholder per parameter and returns the query.

    Each placeholder must reach the SQL as a bound parameter unchanged (compare it with a
    text column, or pass it where peewee does not convert it).
    """

    def __init__(self, build: Callable[..., Any], arity: int = 1) -> None:
        super().__init__(build, arity)
        self._plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def fetch(self, *values: Any) -> Rows:
        """The raw result (column descriptions and value tuples), before any model is built:
        cheap to compare, hash or keep."""
        _, cursor = self._run(values)
        try:
            return Rows(tuple(cursor.description or ()), tuple(cursor.fetchall()))
        finally:
            cursor.close()

    def objects(self, result: Rows) -> Iterator[Any]:
        """The models of a fetched result, as the query itself would give them (joined
        models included)."""
        query = self._compile(db.obj)[0]
        # The query's own cursor wrapper rebuilds the joined model graph, as .execute() does.
        wrapper = query._get_cursor_wrapper(_Replay(result))
        plan = self._plans.get(db.obj)
        if plan is not None:
            # Matching result columns to models depends only on the SQL, which is fixed:
            # reuse the first cursor's plan instead of redoing it for every row set.
            wrapper.__dict__.update(plan)
            wrapper.initialized = True
            return iter(wrapper)
        return self._remember_plan(db.obj, wrapper)

    def rows(self, *values: Any) -> Iterator[Any]:
        """The result rows as models."""
        return self.objects(self.fetch(*values))

    def _remember_plan(self, database: Any, wrapper: Any) -> Iterator[Any]:
        per_cursor = set(wrapper.__dict__)
        for row in wrapper:
            if wrapper.initialized and database not in self._plans:
                self._plans[database] = {k: v for k, v in wrapper.__dict__.items()
                                         if k not in per_cursor}
            yield row

    def first(self, *values: Any) -> Any:
        """The first row or None (build the query on a unique key)."""
        return next(self.rows(*values), None)


class CompiledWrite(_Compiled):
    """An INSERT or UPDATE whose values are bound through their fields' ``db_value``.

    Made by ``compiled_insert`` and ``compiled_update``; ``execute`` returns the row count.
    """

    def __init__(self, build: Callable[..., Any], fields: Sequence[Field]) -> None:
        super().__init__(build, len(fields))
        self._fields = tuple(fields)

    def _placeholder(self, mark: str) -> Any:
        return Value(mark, converter=False, unpack=False)  # bound as is, never converted

    def execute(self, *values: Any) -> int:
        return self._run(self._converted(values))[1].rowcount

    def later(self, *values: Any) -> None:
        """As execute, for a write whose row count nobody reads: inside a PostgreSQL
        transaction it travels with the next statement or the COMMIT (pipeline.py), one
        round trip fewer. Elsewhere it runs now."""
        database, _, sql, bound = self._bind(self._converted(values))
        queue = getattr(database, "queue_write", None)
        if queue is None or not queue(sql, bound):
            self._execute(database, sql, bound)

    def _converted(self, values: Sequence[Any]) -> list[Any]:
        return [f.db_value(v) for f, v in zip(self._fields, values, strict=True)]


MAX_ROWS = 16  # rows per compiled INSERT; more go in several statements


class CompiledInsert:
    """``insert(*rows)``: rows of ``model`` in one statement; fields a row leaves out get
    their default. The result is the number of rows inserted; ``insert.later(*rows)``
    queues them instead (CompiledWrite.later).

    With ``ignore_conflicts`` a row breaking a unique constraint is skipped
    (ON CONFLICT DO NOTHING / INSERT OR IGNORE) and the others go in.
    """

    def __init__(self, model: type[Model], ignore_conflicts: bool = False) -> None:
        self._model = model
        self._ignore_conflicts = ignore_conflicts
        self._fields = [f for f in model._meta.sorted_fields
                        if f is not model._meta.primary_key]
        self._by_count: dict[int, CompiledWrite] = {}

    def _statement(self, count: int) -> CompiledWrite:
        if count not in self._by_count:
            fields, model = self._fields, self._model

            def build(*marks: Any) -> Any:
                width = len(fields)
                rows = [dict(zip(fields, marks[i * width:(i + 1) * width], strict=True))
                        for i in range(count)]
                query = model.insert_many(rows).as_rowcount()
                return query.on_conflict_ignore() if self._ignore_conflicts else query

            self._by_count[count] = CompiledWrite(build, fields * count)
        return self._by_count[count]

    def _chunks(self, rows: Sequence[Mapping[str, Any]]) -> Iterator[tuple[CompiledWrite,
                                                                            list[Any]]]:
        for start in range(0, len(rows), MAX_ROWS):
            chunk = rows[start:start + MAX_ROWS]
            yield self._statement(len(chunk)), [
                row[f.name] if f.name in row else _default(f)
                for row in chunk for f in self._fields]

    def __call__(self, *rows: Mapping[str, Any]) -> int:
        return sum(statement.execute(*values) for statement, values in self._chunks(rows))

    def later(self, *rows: Mapping[str, Any]) -> None:
        for statement, values in self._chunks(rows):
            statement.later(*values)


def compiled_insert(model: type[Model], *, ignore_conflicts: bool = False) -> CompiledInsert:
    return CompiledInsert(model, ignore_conflicts)


class CompiledUpdate:
    """``update(values, match)``: SET the ``names`` columns WHERE every ``where`` column
    equals its value in ``match``; the result is the rows updated. ``update.later(...)``
    queues it instead (CompiledWrite.later)."""

    def __init__(self, model: type[Model], names: Sequence[str], where: Sequence[str]) -> None:
        fields = [model._meta.fields[n] for n in names]
        keys = [model._meta.fields[n] for n in where]
        self._names, self._where = tuple(names), tuple(where)

        def build(*marks: Any) -> Any:
            assignments = dict(zip(fields, marks[:len(fields)], strict=True))
            conditions = [key == mark
                          for key, mark in zip(keys, marks[len(fields):], strict=True)]
            return model.update(assignments).where(reduce(and_, conditions))

        self._statement = CompiledWrite(build, [*fields, *keys])

    def _values(self, values: Mapping[str, Any], match: Mapping[str, Any]) -> list[Any]:
        return [*[values[n] for n in self._names], *[match[n] for n in self._where]]

    def __call__(self, values: Mapping[str, Any], match: Mapping[str, Any]) -> int:
        return self._statement.execute(*self._values(values, match))

    def later(self, values: Mapping[str, Any], match: Mapping[str, Any]) -> None:
        self._statement.later(*self._values(values, match))


def compiled_update(model: type[Model], names: Sequence[str],
                    where: Sequence[str]) -> CompiledUpdate:
    return CompiledUpdate(model, names, where)


def _default(field: Field) -> Any:
    value = field.default
    return value() if callable(value) else value
