"""SQL for server-side browser sessions (``web_sessions``) and the shared throttling counters
(``rate_buckets``). The use cases are ``services/sessions.py`` and ``services/throttle.py``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kizuna.storage import tables as t

PURGE_BATCH = 200  # expired rows removed per call: bounded work on a hot path


# --- sessions -------------------------------------------------------------------------------------


def session_with_user(s: Session, digest: str) -> tuple[t.WebSession, t.User] | None:
    """The session row and its account, in one primary-key query (the request's hot path)."""
    row = s.execute(
        select(t.WebSession, t.User)
        .join(t.User, t.User.id == t.WebSession.user_id)
        .where(t.WebSession.digest == digest)
    ).first()
    return (row[0], row[1]) if row is not None else None


def touch(s: Session, digest: str, now: datetime) -> None:
    s.execute(update(t.WebSession).where(t.WebSession.digest == digest).values(last_seen_at=now))


def delete_session(s: Session, digest: str) -> int:
    return int(s.execute(delete(t.WebSession).where(t.WebSession.digest == digest)).rowcount)  # type: ignore[attr-defined]


def delete_user_sessions(s: Session, user_id: int, keep: str | None = None) -> int:
    stmt = delete(t.WebSession).where(t.WebSession.user_id == user_id)
    if keep is not None:
        stmt = stmt.where(t.WebSession.digest != keep)
    return int(s.execute(stmt).rowcount)  # type: ignore[attr-defined]


def user_sessions(s: Session, user_id: int, now: datetime) -> list[t.WebSession]:
    stmt = (
        select(t.WebSession)
        .where(t.WebSession.user_id == user_id, t.WebSession.expires_at > now)
        .order_by(t.WebSession.last_seen_at.desc())
        .limit(100)
    )
    return list(s.scalars(stmt))


def purge_sessions(s: Session, now: datetime) -> int:
    """Delete at most ``PURGE_BATCH`` expired sessions."""
    old = select(t.WebSession.digest).where(t.WebSession.expires_at <= now).limit(PURGE_BATCH)
    digests = list(s.scalars(old))
    if not digests:
        return 0
    return int(s.execute(delete(t.WebSession).where(t.WebSession.digest.in_(digests))).rowcount)  # type: ignore[attr-defined]


# --- rate buckets ---------------------------------------------------------------------------------


def bucket_hit(s: Session, key: str, now: datetime, window_start_before: datetime) -> tuple[int, datetime]:
    """Count one hit in ``key``'s fixed window, atomically (one ``INSERT … ON CONFLICT DO UPDATE …
    RETURNING``, exact under parallel requests on SQLite and PostgreSQL). A window that started at
    or before ``window_start_before`` is over: the count starts again at 1 from ``now``. Returns the
    count and the window's start."""
    table = t.RateBucket.__table__
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    expired = table.c.window_start <= window_start_before
    stmt = (
        insert(t.RateBucket)
        .values(key=key, window_start=now, hits=1)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "hits": case((expired, 1), else_=table.c.hits + 1),
                "window_start": case((expired, now), else_=table.c.window_start),
            },
        )
        .returning(table.c.hits, table.c.window_start)
    )
    hits, start = s.execute(stmt).one()
    return int(hits), start


def bucket_refund(s: Session, key: str, window_start: datetime) -> None:
    """Take one hit back from the window that started at ``window_start`` (if it is still on)."""
    s.execute(
        update(t.RateBucket)
        .where(
            t.RateBucket.key == key,
            t.RateBucket.window_start == window_start,
            t.RateBucket.hits > 0,
        )
        .values(hits=t.RateBucket.hits - 1)
    )


def bucket_peek(s: Session, key: str) -> tuple[int, datetime] | None:
    row = s.execute(
        select(t.RateBucket.hits, t.RateBucket.window_start).where(t.RateBucket.key == key)
    ).first()
    return (int(row[0]), row[1]) if row is not None else None


def purge_buckets(s: Session, before: datetime) -> int:
    """Delete at most ``PURGE_BATCH`` buckets whose window started before ``before``."""
    old = select(t.RateBucket.key).where(t.RateBucket.window_start < before).limit(PURGE_BATCH)
    keys = list(s.scalars(old))
    if not keys:
        return 0
    return int(s.execute(delete(t.RateBucket).where(t.RateBucket.key.in_(keys))).rowcount)  # type: ignore[attr-defined]
