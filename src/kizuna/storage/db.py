"""Engine and transactions.

``Database.write()`` opens a short write transaction: on SQLite it starts with ``BEGIN IMMEDIATE`` so
concurrent writers queue on the database lock instead of failing half-way; on PostgreSQL it is an
ordinary transaction and uniqueness is enforced by the row-level unique keys. ``Database.read()``
opens a deferred transaction, which on SQLite in WAL mode never blocks writers.

How SQLite writers queue (issue 9: under 64 concurrent attempts, 2 workers, the lock sat idle while
requests waited up to 10 s). SQLite's own busy handler sleeps 1, 2, 5, 10 … 100 ms between tries,
so a writer that lost once sleeps ever longer while the lock is free most of that time, and dozens
of threads polling that way both starve and waste the lock. Instead:

* in one process, writers take turns in arrival order (``_Turns``: a thread's turn begins the
  moment the previous one's ends, with no sleep), so one thread per process at most waits on
  SQLite's lock, and a write waits about the queue's length times one write, whoever it is;
* that thread tries ``BEGIN IMMEDIATE`` with the busy handler off and retries every 0.1–1 ms until
  ``SQLITE_BUSY_SECONDS`` have passed, so another process's turn is taken within a millisecond of
  its end. Past that bound the answer is SQLite's "database is locked" (a 503 for a request).

Measured with ``bench/attempt_profile.py --processes 2 --threads 32``: 220–250 attempts/s, p99
4.3 s and "database is locked" errors before; 690–760 attempts/s, p99 130 ms, none after.

Pragmas (set on every connection): WAL, so readers never block the writer nor it them;
``synchronous=NORMAL``: in WAL mode a commit is durable against a crash of the process (the WAL is
written before the commit returns); only an operating-system crash or power loss may lose the last
transactions before the next checkpoint, never corrupt the file — ``FULL`` would add an ``fsync``
to every attempt. ``busy_timeout`` (``SQLITE_BUSY_SECONDS``) for a deferred transaction's first
write; a connection's busy handler is off from its ``BEGIN IMMEDIATE`` to its next deferred
``BEGIN`` (a write transaction in WAL mode meets no other lock once begun, and reads never wait).
The WAL is checkpointed by the commit that finds it past 1,000 pages (SQLite's default; it costs
that commit ~10 ms about every 150 attempts — a background checkpointer was tried and showed no
gain on this machine).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, create_engine, event, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kizuna.storage.private import private_dir, private_file
from kizuna.storage.tables import Base, Revision

_IMMEDIATE = "kizuna_immediate"

# Failing fast (docs/operations.md, "When something fails"): a request that cannot get the database
# within these bounds is answered 503 with Retry-After instead of holding a worker thread.
SQLITE_BUSY_SECONDS = 10  # how long a writer queues on SQLite's lock before "database is locked"
POOL_TIMEOUT_SECONDS = 10  # how long a request waits for a free pooled connection
PG_CONNECT_TIMEOUT_SECONDS = 5  # a PostgreSQL server that does not answer a new connection in time
PG_LOCK_TIMEOUT_MS = 15_000  # a statement waiting longer than this on a row or table lock fails


def _busy_timeout(record: Any, dbapi_conn: Any, ms: int) -> None:
    """Set the connection's busy timeout unless it is already ``ms`` (kept in the pool record)."""
    if record.info.get("kizuna_busy_ms") != ms:
        dbapi_conn.execute(f"PRAGMA busy_timeout={ms}")
        record.info["kizuna_busy_ms"] = ms


def _begin_immediate(dbapi_conn: Any, deadline: float) -> None:
    """``BEGIN IMMEDIATE``, retried every 0.1–1 ms until ``deadline`` (``time.monotonic``) while
    another connection holds the write lock (the module's docstring says why not SQLite's busy
    handler, which is off on this connection until it begins a deferred transaction: a write
    transaction in WAL mode meets no other lock once it has begun)."""
    pause = 0.0001
    while True:
        try:
            dbapi_conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
            if time.monotonic() >= deadline:
                raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
        time.sleep(pause)
        pause = min(pause * 2, 0.001)


class _Turns:
    """A lock handed to waiters in the order they came (``threading.Lock`` wakes any of them, and a
    thread that just released it often takes it again first): waits stay close to the queue's
    length times one write, for every thread."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held = False
        self._queue: deque[threading.Lock] = deque()

    def acquire(self, timeout: float) -> bool:
        with self._guard:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._queue.append(turn)
        if turn.acquire(timeout=max(timeout, 0)):
            return True  # handed over by release()
        with self._guard:
            if turn in self._queue:
                self._queue.remove(turn)
                return False
        return True  # handed over while timing out: the turn is ours

    def release(self) -> None:
        with self._guard:
            if self._queue:
                self._queue.popleft().release()  # still held: now by the next in line
            else:
                self._held = False


# SQLite: enough pooled connections for every thread of a worker (anyio's 40) and the fast lane, so
# none is opened and closed per request under load (each connect runs the pragmas again).
SQLITE_POOL_SIZE = 48
DEFAULT_PG_POOL_SIZE = 10


def make_engine(url: str, pool_size: int | None = None) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if "///" in url and path and path != ":memory:" and not path.startswith("file:"):
            # Owner-only whatever the umask: SQLite gives the -wal and -shm files the database's mode.
            private_dir(Path(path).parent)
            private_file(Path(path.split("?", 1)[0]))
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=16,
            pool_timeout=POOL_TIMEOUT_SECONDS,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, record: Any) -> None:
            # Let SQLAlchemy, not the driver, decide when transactions begin (see "begin" below).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
            record.info["kizuna_busy_ms"] = SQLITE_BUSY_SECONDS * 1000
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # The option: ``Database.write``'s deadline, or True (wait the usual bound from now).
            immediate = conn.get_execution_options().get(_IMMEDIATE)
            if immediate:
                deadline = (
                    immediate if isinstance(immediate, float) else time.monotonic() + SQLITE_BUSY_SECONDS
                )
                record, dbapi_conn = conn.connection, conn.connection.dbapi_connection
                _busy_timeout(record, dbapi_conn, 0)
                _begin_immediate(dbapi_conn, deadline)
            else:
                _busy_timeout(conn.connection, conn.connection.dbapi_connection, SQLITE_BUSY_SECONDS * 1000)
                conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(
        url,
        # KIZUNA_DB_POOL_SIZE (docs/operations.md): N processes hold up to 2 x N x this connections
        # (and N x 2 x HOT_READ_POOL_SIZE for the hot reads).
        pool_size=pool_size or DEFAULT_PG_POOL_SIZE,
        max_overflow=pool_size or DEFAULT_PG_POOL_SIZE,
        pool_pre_ping=True,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        connect_args=_server_connect_args(url),
    )


# PostgreSQL: the hot reads' own few connections (kizuna.storage.hot_reads), per process.
HOT_READ_POOL_SIZE = 4  # and as many again under a burst


def make_hot_read_engine(url: str) -> Engine:
    """A server database's engine for the hot reads: autocommit (a read is one statement; no
    ``ROLLBACK`` when a connection goes back to the pool) and no ping before each checkout (the
    reads retry once on a connection the server dropped instead): one network round trip per read
    instead of three."""
    return create_engine(
        url,
        pool_size=HOT_READ_POOL_SIZE,
        max_overflow=HOT_READ_POOL_SIZE,
        pool_pre_ping=False,
        pool_reset_on_return=None,
        isolation_level="AUTOCOMMIT",
        pool_timeout=POOL_TIMEOUT_SECONDS,
        connect_args=_server_connect_args(url),
    )


def _server_connect_args(url: str) -> dict[str, Any]:
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql"):
        connect_args = {
            "connect_timeout": PG_CONNECT_TIMEOUT_SECONDS,
            # A dead peer is noticed by TCP keep-alives instead of a read that never returns.
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            "options": f"-c lock_timeout={PG_LOCK_TIMEOUT_MS}",
        }
    return connect_args


class Database:
    def __init__(self, url: str, pool_size: int | None = None) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size)
        # Connections a server database's pool keeps (more only under a burst); SQLite: see make_engine.
        self.pool_size = SQLITE_POOL_SIZE if url.startswith("sqlite") else pool_size or DEFAULT_PG_POOL_SIZE
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite: this process's writers take turns here before SQLite's lock (module docstring).
        self._writer = _Turns() if self.is_sqlite else None
        self._hot_engine: Engine | None = None
        self._hot_lock = threading.Lock()
        # Texts longer than their limits are refused at flush, whatever wrote them.
        from kizuna.storage import text_limits

        text_limits.install(self._sessions)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def writes_serialised(self) -> bool:
        """Whether every write transaction waits for every other (SQLite's one write lock), so a
        use case should read what it can before its write transaction, to keep that one short.
        (PostgreSQL's writers wait only on the rows they lock.)"""
        return self.is_sqlite

    @contextmanager
    def read(self) -> Iterator[Session]:
        # Closing (not rolling back) ends the transaction without expiring what was loaded, so rows
        # read here stay usable by the caller.
        with self._sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction committed on success, rolled back on any exception. On SQLite the
        process's turn is held from just before ``BEGIN IMMEDIATE`` to just after the commit."""
        deadline = time.monotonic() + SQLITE_BUSY_SECONDS
        writer = self._writer
        with self._sessions() as session:
            if writer is not None and not writer.acquire(timeout=SQLITE_BUSY_SECONDS):
                raise OperationalError(
                    "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
                )
            try:
                session.connection(execution_options={_IMMEDIATE: deadline})
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
            finally:
                if writer is not None:
                    writer.release()

    @property
    def hot_engine(self) -> Engine:
        """The engine of the hot reads: the main one on SQLite, :func:`make_hot_read_engine`'s on a
        server database (made on first use)."""
        if self.is_sqlite:
            return self.engine
        if self._hot_engine is not None:
            return self._hot_engine
        with self._hot_lock:
            if self._hot_engine is None:
                self._hot_engine = make_hot_read_engine(self.url)
            return self._hot_engine

    def dispose(self) -> None:
        self.engine.dispose()
        if self._hot_engine is not None:
            self._hot_engine.dispose()


SCOREBOARD = "scoreboard"
CHALLENGES = "challenges"


# Built once (every solve bumps two counters and reads them back): building a statement costs
# more than running it.
_revisions = Base.metadata.tables["revisions"]
_BUMP = (
    update(_revisions).where(_revisions.c.name == bindparam("revision")).values(value=_revisions.c.value + 1)
)
_REVISIONS = select(_revisions.c.name, _revisions.c.value)


def bump(session: Session, *names: str) -> None:
    """Mark read-heavy views as changed, inside the caller's transaction."""
    for name in names:
        result = session.execute(_BUMP, {"revision": name})
        if result.rowcount == 0:  # type: ignore[attr-defined]
            session.add(Revision(name=name, value=1))
            session.flush()


def revisions(session: Session) -> dict[str, int]:
    return {name: value for name, value in session.execute(_REVISIONS)}
