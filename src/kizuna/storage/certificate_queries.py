"""Reading certificates and what earns them (``services/certificates.py``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.storage import tables as t


def by_code(s: Session, code: str) -> t.Certificate | None:
    return s.scalars(select(t.Certificate).where(t.Certificate.code == code)).first()


def of_user(s: Session, user_id: int, kind: str, subject: str) -> t.Certificate | None:
    return s.scalars(
        select(t.Certificate).where(
            t.Certificate.user_id == user_id, t.Certificate.kind == kind, t.Certificate.subject == subject
        )
    ).first()


def of_owner(s: Session, user_id: int) -> list[t.Certificate]:
    stmt = select(t.Certificate).where(t.Certificate.user_id == user_id).order_by(t.Certificate.id)
    return list(s.scalars(stmt))


def latest(s: Session, limit: int) -> list[tuple[t.Certificate, t.User | None]]:
    stmt = (
        select(t.Certificate, t.User)
        .outerjoin(t.User, t.User.id == t.Certificate.user_id)
        .order_by(t.Certificate.id.desc())
        .limit(limit)
    )
    return [(c, u) for c, u in s.execute(stmt)]


def has_solve(s: Session, account_id: int) -> bool:
    return s.scalars(select(t.Solve.id).where(t.Solve.account_id == account_id).limit(1)).first() is not None


def completed_tracks(s: Session, user_id: int) -> list[str]:
    """Track keys of the ``track_completed`` events naming ``user_id``, first completion first (the
    type's index, then the user named in the values: ``json_extract`` on SQLite, ``->>`` on
    PostgreSQL)."""
    stmt = (
        select(t.EventLog.data["track_key"].as_string())
        .where(t.EventLog.type == "track_completed", t.EventLog.data["user_id"].as_integer() == user_id)
        .order_by(t.EventLog.id)
    )
    return list(dict.fromkeys(key for key in s.scalars(stmt) if isinstance(key, str) and key))
