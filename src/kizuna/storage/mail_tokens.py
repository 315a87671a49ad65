"""Queries for mailed account tokens (``account_tokens``) and the small rate counters mail uses.

A token is claimed with one conditional ``UPDATE … WHERE used_at IS NULL AND expires_at > now``, so
two requests racing with the same link cannot both use it, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kizuna.storage import tables as t
from kizuna.storage.session_queries import bucket_hit


def add_token(
    s: Session, user_id: int, purpose: str, digest: str, email: str, now: datetime, lifetime: timedelta
) -> t.AccountToken:
    row = t.AccountToken(
        user_id=user_id,
        purpose=purpose,
        digest=digest,
        email=email,
        created_at=now,
        expires_at=now + lifetime,
    )
    s.add(row)
    s.flush()
    return row


def live_token(s: Session, digest: str, purpose: str, now: datetime) -> t.AccountToken | None:
    """The unused, unexpired token with this digest and purpose (reading only)."""
    return s.scalar(
        select(t.AccountToken).where(
            t.AccountToken.digest == digest,
            t.AccountToken.purpose == purpose,
            t.AccountToken.used_at.is_(None),
            t.AccountToken.expires_at > now,
        )
    )


def claim_token(s: Session, digest: str, purpose: str, now: datetime) -> t.AccountToken | None:
    """Mark the live token used and return it; None when there is none (unknown, used, expired, or
    another request claimed it first)."""
    result = s.execute(
        update(t.AccountToken)
        .where(
            t.AccountToken.digest == digest,
            t.AccountToken.purpose == purpose,
            t.AccountToken.used_at.is_(None),
            t.AccountToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    return s.scalar(select(t.AccountToken).where(t.AccountToken.digest == digest))


def void_tokens(s: Session, user_id: int, purpose: str, now: datetime) -> None:
    """Every unused token of this account and purpose stops working."""
    s.execute(
        update(t.AccountToken)
        .where(
            t.AccountToken.user_id == user_id,
            t.AccountToken.purpose == purpose,
            t.AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


def hit(s: Session, key: str, limit: int, window: timedelta, now: datetime) -> bool:
    """Count one use of ``key`` in a fixed window shared by every process (``rate_buckets``, the
    log-in throttle's atomic counter); True while within ``limit``."""
    hits, _start = bucket_hit(s, key, now, now - window)
    return hits <= limit
