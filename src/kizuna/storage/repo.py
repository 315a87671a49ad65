"""Queries the services use, so SQL lives in the storage layer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kizuna.storage import attempt_queries
from kizuna.storage import tables as t

__all__ = ["IntegrityError"]


def event(session: Session) -> t.Event:
    ev = session.get(t.Event, 1)
    if ev is None:
        ev = t.Event(id=1)
        session.add(ev)
        session.flush()
    return ev


def user_by_name_key(session: Session, key: str) -> t.User | None:
    return session.scalar(select(t.User).where(t.User.name_key == key))


def user_by_email(session: Session, email: str) -> t.User | None:
    return session.scalar(select(t.User).where(func.lower(t.User.email) == email.lower()))


def team_by_name_key(session: Session, key: str) -> t.Team | None:
    return session.scalar(select(t.Team).where(t.Team.name_key == key))


def team_by_invite(session: Session, code: str) -> t.Team | None:
    """The team of a typed invite code: exactly as stored (codes made before the unambiguous
    alphabet are case-sensitive), else in its stored form (``security.invite_key``)."""
    from kizuna.security import invite_key

    found = session.scalar(select(t.Team).where(t.Team.invite_code == code))
    key = invite_key(code) if found is None else None
    if key is not None and key != code:
        found = session.scalar(select(t.Team).where(t.Team.invite_code == key))
    return found


def team_size(session: Session, team_id: int) -> int:
    return session.scalar(select(func.count()).select_from(t.User).where(t.User.team_id == team_id)) or 0


def token_by_digest(session: Session, digest: str) -> t.Token | None:
    return session.scalar(select(t.Token).where(t.Token.digest == digest))


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(t.User)) or 0


def count_challenges(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(t.Challenge)) or 0


def flags_for(session: Session, challenge_id: int) -> Sequence[t.Flag]:
    return session.scalars(
        select(t.Flag).where(t.Flag.challenge_id == challenge_id).order_by(t.Flag.id)
    ).all()


def solve_count(session: Session, challenge_id: int) -> int:
    """Solves that count for decay: by accounts neither hidden nor banned."""
    stmt = attempt_queries.SOLVE_COUNT["teams" if event(session).mode == "teams" else "users"]
    return int(session.execute(stmt, {"challenge_id": challenge_id}).scalar() or 0)


def _ranked_accounts_subquery(session: Session) -> Any:
    ev = event(session)
    if ev.mode == "teams":
        return select(t.Team.id).where(t.Team.hidden.is_(False), t.Team.banned.is_(False))
    return select(t.User.id).where(t.User.hidden.is_(False), t.User.banned.is_(False))


def has_solved(session: Session, challenge_id: int, account_id: int) -> bool:
    params = {"challenge_id": challenge_id, "account_id": account_id}
    return session.execute(attempt_queries.HAS_SOLVED, params).first() is not None


def solved_ids(session: Session, account_id: int) -> set[int]:
    return set(session.execute(attempt_queries.SOLVED_IDS, {"account_id": account_id}).scalars())


def counted_attempts(session: Session, challenge_id: int, account_id: int) -> int:
    """Wrong answers that count toward a challenge's maximum: late ones (after the end) never do."""
    params = {"challenge_id": challenge_id, "account_id": account_id}
    return int(session.execute(attempt_queries.COUNTED, params).scalar() or 0)


def lock_account(session: Session, mode: str, account_id: int) -> None:
    """Serialise an account's writes that check-then-act on its own rows (attempts against a
    maximum, hint unlocks against its score): the team's row in team mode, the user's otherwise, is
    locked until the transaction ends. ``FOR NO KEY UPDATE`` so rows referring to it can still be
    inserted by others. On SQLite the write transaction already holds the database lock."""
    if session.get_bind().dialect.name != "sqlite":
        stmt = attempt_queries.LOCK["teams" if mode == "teams" else "users"]
        session.execute(stmt, {"account_id": account_id})


def released(now: datetime) -> Any:
    """SQL: the challenge's release time has come (or it has none). ``now``: naive UTC."""
    return or_(t.Challenge.release_at.is_(None), t.Challenge.release_at <= now)


def player_visible(now: datetime) -> Any:
    """SQL: players may see the challenge (before prerequisites): visible and released, as
    ``domain.schedule.player_visible``."""
    return and_(t.Challenge.state == "visible", released(now))


def releases_between(session: Session, after: datetime, until: datetime) -> list[tuple[int, datetime]]:
    """(id, release time) of the visible challenges whose release time is in (``after``, ``until``]."""
    stmt = (
        select(t.Challenge.id, t.Challenge.release_at)
        .where(
            t.Challenge.state == "visible",
            t.Challenge.release_at > after,
            t.Challenge.release_at <= until,
        )
        .order_by(t.Challenge.release_at, t.Challenge.id)
    )
    return [(int(i), at) for i, at in session.execute(stmt) if at is not None]


def announced_since(session: Session, since: datetime) -> set[int]:
    """The challenges whose release (``challenge_released``) was announced at or after ``since``
    (the event log's index on (type, id) finds them)."""
    rows = session.execute(
        select(t.EventLog.data).where(t.EventLog.type == "challenge_released", t.EventLog.created_at >= since)
    )
    out: set[int] = set()
    for (data,) in rows:
        ident = data.get("challenge_id") if isinstance(data, dict) else None
        if isinstance(ident, int):
            out.add(ident)
    return out


def account_score(session: Session, account_id: int, now: datetime | None = None) -> int:
    solved = (
        session.scalar(
            select(func.coalesce(func.sum(func.coalesce(t.Solve.value, t.Challenge.value)), 0))
            .select_from(t.Solve)
            .join(t.Challenge, t.Challenge.id == t.Solve.challenge_id)
            # As on the scoreboard: hidden (and not yet released) challenges' solves do not score.
            .where(
                t.Solve.account_id == account_id,
                player_visible(now or t.utcnow()),
                t.Challenge.practice.is_(False),
            )
        )
        or 0
    )
    awarded = (
        session.scalar(
            select(func.coalesce(func.sum(t.Award.value), 0)).where(t.Award.account_id == account_id)
        )
        or 0
    )
    return int(solved) + int(awarded)


def unlocked_hint_ids(session: Session, account_id: int) -> set[int]:
    return set(
        session.scalars(
            select(t.Unlock.target).where(t.Unlock.account_id == account_id, t.Unlock.type == "hints")
        )
    )


def delete_where(session: Session, table: Any, *conditions: Any) -> None:
    session.execute(delete(table).where(*conditions))
