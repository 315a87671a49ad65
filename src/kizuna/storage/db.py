"""Engine and transactions.

``Database.write()`` opens a short write transaction: on SQLite it starts with ``BEGIN IMMEDIATE`` so
concurrent writers queue on the database lock instead of failing half-way; on PostgreSQL it is an
ordinary transaction and uniqueness is enforced by the row-level unique keys. ``Database.read()``
opens a deferred transaction, which on SQLite in WAL mode never blocks writers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.orm import Session, sessionmaker

from kizuna.storage.private import private_dir, private_file
from kizuna.storage.tables import Revision

_IMMEDIATE = "kizuna_immediate"

# Failing fast (docs/operations.md, "When something fails"): a request that cannot get the database
# within these bounds is answered 503 with Retry-After instead of holding a worker thread.
SQLITE_BUSY_SECONDS = 10  # how long a writer queues on SQLite's lock before "database is locked"
POOL_TIMEOUT_SECONDS = 10  # how long a request waits for a free pooled connection
PG_CONNECT_TIMEOUT_SECONDS = 5  # a PostgreSQL server that does not answer a new connection in time
PG_LOCK_TIMEOUT_MS = 15_000  # a statement waiting longer than this on a row or table lock fails


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if "///" in url and path and path != ":memory:" and not path.startswith("file:"):
            # Owner-only whatever the umask: SQLite gives the -wal and -shm files the database's mode.
            private_dir(Path(path).parent)
            private_file(Path(path.split("?", 1)[0]))
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
            pool_size=20,
            max_overflow=20,
            pool_timeout=POOL_TIMEOUT_SECONDS,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, decide when transactions begin (see "begin" below).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            immediate = conn.get_execution_options().get(_IMMEDIATE, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
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
    return create_engine(
        url,
        pool_size=20,
        max_overflow=20,
        pool_pre_ping=True,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        connect_args=connect_args,
    )


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Texts longer than their limits are refused at flush, whatever wrote them.
        from kizuna.storage import text_limits

        text_limits.install(self._sessions)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Session]:
        # Closing (not rolling back) ends the transaction without expiring what was loaded, so rows
        # read here stay usable by the caller.
        with self._sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction committed on success, rolled back on any exception."""
        with self._sessions() as session:
            session.connection(execution_options={_IMMEDIATE: True})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


SCOREBOARD = "scoreboard"
CHALLENGES = "challenges"


def bump(session: Session, *names: str) -> None:
    """Mark read-heavy views as changed, inside the caller's transaction."""
    for name in names:
        result = session.execute(
            update(Revision).where(Revision.name == name).values(value=Revision.value + 1)
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            session.add(Revision(name=name, value=1))
            session.flush()


def revisions(session: Session) -> dict[str, int]:
    return {name: value for name, value in session.execute(select(Revision.name, Revision.value))}
