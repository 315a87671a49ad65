"""The few reads every hot request makes, as plain DBAPI statements.

An ORM session costs a few hundred microseconds before it runs anything (measured in issue 9: the
revision counters through a session 350 µs, through the driver 19 µs). These reads run on a pooled
connection's driver cursor and return the driver's raw rows, which callers use only as
*fingerprints* — "is this row what it was when I built my answer?" — or as plain integers. Typed
values are made only when a fingerprint changed (kizuna.services.hot): a token's row through the
driver's own result processors (:meth:`HotReads.token_values`), the event's settings through the ORM.

**On the event loop.** On a file-backed SQLite database these reads can also run on the event loop
itself (``on_loop``), without the hop to a worker thread: each event-loop thread keeps one connection
of its own, outside the pool (so a loop never waits for a pooled connection), with no busy wait (a
WAL reader does not wait for writers; in the rare case SQLite says "busy", the caller is told
:class:`NeedsThread`). Anything that could wait or take long on the loop — a pool checkout, an ORM
read after a change, building a snapshot — raises :class:`NeedsThread` instead, and the caller does
the same work again on a worker thread. These are reads, so doing one again is harmless. Issue 9:
the thread hop and the threads' contention for the GIL made the p99 of the hot reads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, cast

import orjson
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import DBAPIError

from kizuna.storage import tables as t
from kizuna.storage.db import Database

T = TypeVar("T")
MAX_REMEMBERED = 20_000  # answers kept between two commits, per event-loop thread
on_loop: ContextVar[bool] = ContextVar("kizuna_hot_on_loop", default=False)


class NeedsThread(Exception):
    """This read would wait (or do heavy work) on the event loop: do it on a worker thread."""


def must_not_wait() -> None:
    """Called where a read would open a session or build something: refused on the loop."""
    if on_loop.get():
        raise NeedsThread


def loop_capable(db: Database) -> bool:
    """A file-backed SQLite database: its reads are local and never wait for writers (WAL)."""
    if not db.is_sqlite:
        return False
    path = db.url.split("///", 1)[-1]
    return "///" in db.url and bool(path) and path != ":memory:" and not path.startswith("file:")


class _Statement:
    """A core statement compiled once for the engine's dialect, run on a driver cursor."""

    def __init__(self, db: Database, statement: Any) -> None:
        compiled = statement.compile(dialect=db.engine.dialect)
        self.sql = str(compiled)
        self.names: list[str] | None = list(compiled.positiontup or []) if compiled.positional else None

    def params(self, **values: Any) -> Any:
        if self.names is None:
            return values
        return tuple(values[name] for name in self.names)


class HotReads:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.revisions = _Statement(db, select(t.Revision.name, t.Revision.value))
        self.event = _Statement(
            db, select(*t.Event.__table__.columns).where(t.Event.id == bindparam("event"))
        )
        # A server database: the counters (as one JSON object) with the event row, in one round trip.
        counters = (
            select(func.json_object_agg(t.Revision.name, t.Revision.value)).scalar_subquery()
            if db.engine.dialect.name == "postgresql"
            else None
        )
        self.state_row = (
            None
            if counters is None
            else _Statement(
                db,
                select(counters.label("kizuna_revisions"), *t.Event.__table__.columns).where(
                    t.Event.id == bindparam("event")
                ),
            )
        )
        dialect = db.engine.dialect
        # The token row and its account's, and how to turn each raw value into the typed one (the
        # driver's processors, as a session would apply them), for a principal seen the first time.
        self._token_columns = [*t.Token.__table__.columns, *t.User.__table__.columns]
        self._processors = [
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in self._token_columns
        ]
        self.token_row = _Statement(
            db,
            select(*self._token_columns)
            .join_from(t.Token, t.User, t.User.id == t.Token.user_id)
            .where(t.Token.digest == bindparam("digest")),
        )
        self.solved_ids = _Statement(
            db, select(t.Solve.challenge_id).where(t.Solve.account_id == bindparam("account"))
        )
        self.loop_capable = loop_capable(db)
        self._local = threading.local()  # each event-loop thread's own connection

    @contextmanager
    def _loop_cursor(self) -> Iterator[Any]:
        if not self.loop_capable:
            raise NeedsThread
        conn = getattr(self._local, "conn", None)
        try:
            if conn is None or conn.dbapi_connection is None:
                # Outside the pool: kept by this thread, closed when the thread ends.
                conn = self.db.engine.raw_connection()
                conn.detach()
                conn.cursor().execute("PRAGMA busy_timeout=0")
                self._local.conn = conn
                self._local.version, self._local.memo = None, {}
            cur = conn.cursor()
            try:
                yield cur
            finally:
                cur.close()
        except self.db.engine.dialect.loaded_dbapi.Error as exc:
            # Busy, or anything odd: drop this connection and let a worker thread do the read (and
            # report a real failure the usual way).
            self._local.conn = None
            if conn is not None:
                conn.close()
            raise NeedsThread from exc

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        """A driver cursor on a pooled connection of ``Database.hot_engine``, given back at the end
        (a caller never holds two: see kizuna.web.fastlane). A driver error comes out as
        SQLAlchemy's (``OperationalError`` for an unreachable database, as from a session), and a
        connection the server dropped is thrown away with the rest of the pool. On the loop: the
        loop's own connection (module docstring)."""
        if on_loop.get():
            with self._loop_cursor() as cur:
                yield cur
            return
        engine = self.db.hot_engine
        dialect = engine.dialect
        try:
            conn = engine.raw_connection()
        except dialect.loaded_dbapi.Error as exc:  # cannot connect: as a session would say it
            raise DBAPIError.instance(
                None, None, exc, dialect.loaded_dbapi.Error, connection_invalidated=True, dialect=dialect
            ) from exc
        try:
            cur = conn.cursor()
            try:
                yield cur
            finally:
                cur.close()
        except dialect.loaded_dbapi.Error as exc:
            dropped = dialect.is_disconnect(exc, conn.dbapi_connection, None)
            if dropped:
                conn.invalidate(exc)
                # The server dropped one, so it dropped the pool's others too (a restart): a new
                # pool, so the caller's second try gets a new connection, not the next dead one.
                engine.dispose()
            raise DBAPIError.instance(
                None, None, exc, dialect.loaded_dbapi.Error, connection_invalidated=dropped, dialect=dialect
            ) from exc
        finally:
            # Back to the pool (which ends the driver's transaction, where there is one).
            conn.close()

    def _read(self, read: Callable[[Any], T], key: Any = None) -> T:
        """``read(cursor)``, once more on a fresh connection when the server had dropped the first
        (a restarted database): the server database's hot pool does not ping before each checkout.

        On the loop, answers are remembered under ``key`` until anything is committed to the
        database by any connection — SQLite's ``PRAGMA data_version`` on the loop's own connection,
        which never writes, says so exactly — so between two writes a read is one pragma."""
        if key is not None and on_loop.get():
            with self._loop_cursor() as cur:
                cur.execute("PRAGMA data_version")
                version = cur.fetchone()[0]
                local = self._local
                if local.version != version or len(local.memo) >= MAX_REMEMBERED:
                    local.version, local.memo = version, {}
                if key in local.memo:
                    return cast(T, local.memo[key])
                value = read(cur)
                local.memo[key] = value
                return value
        try:
            with self.cursor() as cur:
                return read(cur)
        except DBAPIError as exc:
            if not exc.connection_invalidated or on_loop.get():
                raise
        with self.cursor() as cur:
            return read(cur)

    def state(self) -> tuple[dict[str, int], tuple[Any, ...] | None]:
        """The revision counters and the event row (raw: a fingerprint), in one checkout."""

        def read(cur: Any) -> tuple[dict[str, int], tuple[Any, ...] | None]:
            if self.state_row is not None:
                cur.execute(self.state_row.sql, self.state_row.params(event=1))
                found = cur.fetchone()
                if found is not None:
                    counters = found[0] if isinstance(found[0], dict) else orjson.loads(found[0] or "{}")
                    return {str(k): int(v) for k, v in counters.items()}, tuple(found[1:])
            cur.execute(self.revisions.sql)
            revisions = {str(name): int(value) for name, value in cur.fetchall()}
            cur.execute(self.event.sql, self.event.params(event=1))
            row = cur.fetchone()
            return revisions, tuple(row) if row is not None else None

        revisions, row = self._read(read, "state")
        return dict(revisions), row

    def token(self, digest: str) -> tuple[Any, ...] | None:
        """The token with this digest and its account, raw (a fingerprint), or None."""

        def read(cur: Any) -> tuple[Any, ...] | None:
            cur.execute(self.token_row.sql, self.token_row.params(digest=digest))
            row = cur.fetchone()
            return tuple(row) if row is not None else None

        return self._read(read, ("token", digest))

    def token_values(self, raw: tuple[Any, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
        """A raw :meth:`token` row as typed values: the token's columns and the account's."""
        token: dict[str, Any] = {}
        user: dict[str, Any] = {}
        for column, process, value in zip(self._token_columns, self._processors, raw, strict=True):
            target = token if column.table is t.Token.__table__ else user
            target[column.key] = process(value) if process is not None and value is not None else value
        return token, user

    def solved(self, account_id: int) -> set[int]:
        def read(cur: Any) -> frozenset[int]:
            cur.execute(self.solved_ids.sql, self.solved_ids.params(account=account_id))
            return frozenset(int(r[0]) for r in cur.fetchall())

        return set(self._read(read, ("solved", account_id)))
