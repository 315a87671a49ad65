"""The few reads every hot request makes, as plain DBAPI statements.

An ORM session costs a few hundred microseconds before it runs anything (measured in issue 9: the
revision counters through a session 350 µs, through the driver 19 µs). These reads run on a pooled
connection's driver cursor and return the driver's raw rows, which callers use only as
*fingerprints* — "is this row what it was when I built my answer?" — or as plain integers. Anything
that needs typed values (dates, JSON) is still read through the ORM, and only when a fingerprint
changed (kizuna.services.hot).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import DBAPIError

from kizuna.storage import tables as t
from kizuna.storage.db import Database


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
        self.token_row = _Statement(
            db,
            select(*t.Token.__table__.columns, *t.User.__table__.columns)
            .join_from(t.Token, t.User, t.User.id == t.Token.user_id)
            .where(t.Token.digest == bindparam("digest")),
        )
        self.solved_ids = _Statement(
            db, select(t.Solve.challenge_id).where(t.Solve.account_id == bindparam("account"))
        )

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        """A driver cursor on a pooled connection, given back at the end (a caller never holds two:
        see kizuna.web.fastlane). A driver error comes out as SQLAlchemy's
        (``OperationalError`` for an unreachable database, as from a session), and a connection the
        server dropped is thrown away, not returned to the pool."""
        dialect = self.db.engine.dialect
        try:
            conn = self.db.engine.raw_connection()
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
            raise DBAPIError.instance(
                None, None, exc, dialect.loaded_dbapi.Error, connection_invalidated=dropped, dialect=dialect
            ) from exc
        finally:
            # Back to the pool, which ends the driver's transaction (PostgreSQL) on return.
            conn.close()

    def state(self) -> tuple[dict[str, int], tuple[Any, ...] | None]:
        """The revision counters and the event row (raw: a fingerprint), in one checkout."""
        with self.cursor() as cur:
            cur.execute(self.revisions.sql)
            revisions = {str(name): int(value) for name, value in cur.fetchall()}
            cur.execute(self.event.sql, self.event.params(event=1))
            row = cur.fetchone()
        return revisions, tuple(row) if row is not None else None

    def token(self, digest: str) -> tuple[Any, ...] | None:
        """The token with this digest and its account, raw (a fingerprint), or None."""
        with self.cursor() as cur:
            cur.execute(self.token_row.sql, self.token_row.params(digest=digest))
            row = cur.fetchone()
        return tuple(row) if row is not None else None

    def solved(self, account_id: int) -> set[int]:
        with self.cursor() as cur:
            cur.execute(self.solved_ids.sql, self.solved_ids.params(account=account_id))
            return {int(r[0]) for r in cur.fetchall()}
