"""Core statements run on the session's driver cursor, on SQLite.

SQLAlchemy spends tens of microseconds preparing each execution (execution context, parameter
processing, result metadata) before SQLite spends 10–30 µs running it. A flag attempt runs four
statements, three of them under SQLite's one write lock, so on SQLite they are compiled once and run
on the driver's cursor of the session's own connection — inside its transaction — with the same
parameter and result conversions SQLAlchemy applies (its bind and result processors). Measured in
issue 9 (``bench/attempt_profile.py``): a wrong attempt 577 → 401 µs in-process. On PostgreSQL the
statements go through SQLAlchemy as before (a network round trip dwarfs the preparation there, and
``RETURNING`` is SQLAlchemy's to add).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


class _Compiled:
    def __init__(self, statement: Any, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert compiled.positional, "SQLite's driver takes positional parameters"
        self.sql = str(compiled)
        self.names: list[str] = list(compiled.positiontup or [])
        # Literal values the statement carries itself (``mode == 'teams'``…); the caller's fill the rest.
        self.required = frozenset(name for name, bind in compiled.binds.items() if bind.required)
        self.base = compiled.construct_params({name: None for name in self.required})
        self.binds = dict(compiled._bind_processors)
        columns = list(compiled._result_columns)
        self.row = namedtuple("Row", [c[0] for c in columns]) if columns else None  # type: ignore[misc]
        self.results = [c[3].dialect_impl(dialect).result_processor(dialect, None) for c in columns]

    def parameters(self, values: dict[str, Any]) -> tuple[Any, ...]:
        if not self.required <= values.keys():
            raise ValueError(f"missing parameters: {sorted(self.required - values.keys())}")
        merged = {**self.base, **values}
        binds = self.binds
        out = []
        for name in self.names:
            value = merged[name]
            process = binds.get(name)
            out.append(process(value) if process is not None and value is not None else value)
        return tuple(out)

    def typed(self, raw: tuple[Any, ...]) -> Any:
        assert self.row is not None
        return self.row(
            *(p(v) if p is not None and v is not None else v for p, v in zip(self.results, raw, strict=True))
        )


class Raw:
    """A Core statement, compiled once per dialect, run on the driver's cursor (SQLite only)."""

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _Compiled(self.statement, dialect)
        return found

    def rows(self, session: Session, values: dict[str, Any]) -> list[Any]:
        """The typed rows, as named tuples (``row.name``), of a query."""
        compiled, cursor = self._run(session, values)
        try:
            return [compiled.typed(tuple(r)) for r in cursor.fetchall()]
        finally:
            cursor.close()

    def insert(self, session: Session, values: dict[str, Any]) -> int:
        """Run an ``INSERT``; returns the new row's id."""
        _compiled, cursor = self._run(session, values)
        try:
            return int(cursor.lastrowid)
        finally:
            cursor.close()

    def _run(self, session: Session, values: dict[str, Any]) -> tuple[_Compiled, Any]:
        conn = session.connection()
        dialect = conn.dialect
        compiled = self._for(dialect)
        parameters = compiled.parameters(values)
        cursor = conn.connection.cursor()
        try:
            cursor.execute(compiled.sql, parameters)
        except dialect.loaded_dbapi.Error as exc:
            cursor.close()
            # As SQLAlchemy reports it ("database is locked" is an OperationalError…), so callers and
            # the web layer's error handling see the same exceptions as through a session.
            raise DBAPIError.instance(
                compiled.sql, parameters, exc, dialect.loaded_dbapi.Error, dialect=dialect
            ) from exc
        return compiled, cursor


def on_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"
