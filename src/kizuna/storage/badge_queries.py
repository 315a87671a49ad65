"""The badge job's reads and writes (``services.badges``): its cursor on the event log, the rules'
stored progress, the awards, and what the pages and the API list."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kizuna.storage import cursors
from kizuna.storage import tables as t

CURSOR = "badges"


def lock_cursor(s: Session, name: str = CURSOR) -> int:
    return cursors.lock_cursor(s, name)


def read_cursor(s: Session, name: str = CURSOR) -> int:
    return cursors.read_cursor(s, name)


def move_cursor(s: Session, last_event_id: int, now: datetime, name: str = CURSOR) -> None:
    cursors.move_cursor(s, name, last_event_id, now)


@dataclass(frozen=True)
class LogRow:
    id: int
    type: str
    data: dict[str, Any]
    created_at: datetime


def event_heads_after(s: Session, after_id: int, limit: int) -> list[LogRow]:
    """The next ``limit`` events of every type, without their values (the job must see each id to
    know there is no gap, but reads the values of the few its rules need only: ``events_by_ids``)."""
    E = t.EventLog
    rows = s.execute(select(E.id, E.type, E.created_at).where(E.id > after_id).order_by(E.id).limit(limit))
    return [LogRow(int(i), str(ty), {}, at) for i, ty, at in rows]


def events_by_ids(s: Session, ids: Collection[int]) -> list[LogRow]:
    E = t.EventLog
    rows = s.execute(select(E.id, E.type, E.data, E.created_at).where(E.id.in_(sorted(ids))).order_by(E.id))
    return [LogRow(int(i), str(ty), dict(d or {}), at) for i, ty, d, at in rows]


def latest_event_id(s: Session) -> int:
    return int(s.scalar(select(func.max(t.EventLog.id))) or 0)


def categories(s: Session) -> dict[int, str]:
    """Every challenge's category (challenges are few: hundreds at most)."""
    return {int(i): c or "" for i, c in s.execute(select(t.Challenge.id, t.Challenge.category))}


@dataclass(frozen=True)
class Member:
    time_zone: str
    team_id: int | None


def members(s: Session, ids: Collection[int]) -> dict[int, Member]:
    if not ids:
        return {}
    rows = s.execute(select(t.User.id, t.User.time_zone, t.User.team_id).where(t.User.id.in_(sorted(ids))))
    return {int(i): Member(z or "", tm) for i, z, tm in rows}


def writeup_authors(s: Session, ids: Collection[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = s.execute(select(t.Writeup.id, t.Writeup.user_id).where(t.Writeup.id.in_(sorted(ids))))
    return {int(i): int(u) for i, u in rows if u is not None}


def event_settings(s: Session) -> tuple[str, list[str]]:
    """The event's mode and zones."""
    row = s.execute(select(t.Event.mode, t.Event.time_zones).where(t.Event.id == 1)).first()
    if row is None:
        return "users", []
    return str(row[0] or "users"), [z for z in (row[1] or []) if isinstance(z, str)]


def progress(s: Session, ids: Collection[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = s.execute(
        select(t.BadgeProgress.user_id, t.BadgeProgress.state).where(t.BadgeProgress.user_id.in_(sorted(ids)))
    )
    return {int(u): dict(st or {}) for u, st in rows}


def save_progress(s: Session, states: dict[int, dict[str, Any]], now: datetime) -> None:
    """Upsert each user's state (users deleted meanwhile are skipped by the foreign key's absence)."""
    if not states:
        return
    existing = set(s.scalars(select(t.User.id).where(t.User.id.in_(sorted(states)))))
    table = t.BadgeProgress.__table__
    dialect = cursors.dialect_of(s)
    if not existing:
        return
    # One statement for every user (executemany): the write transaction stays short.
    stmt = dialect.insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.user_id], set_={"state": stmt.excluded.state, "updated_at": now}
    )
    s.execute(stmt, [{"user_id": u, "state": states[u], "updated_at": now} for u in sorted(existing)])


def clear_progress(s: Session) -> None:
    s.execute(delete(t.BadgeProgress), execution_options={"synchronize_session": False})


def insert_award(s: Session, user_id: int, badge_key: str, at: datetime) -> bool:
    """Record the award; False when the user already has this badge (another process, or before)."""
    table = t.BadgeAward.__table__
    dialect = cursors.dialect_of(s)
    stmt = (
        dialect.insert(table)
        .values(user_id=user_id, badge_key=badge_key, awarded_at=at)
        .on_conflict_do_nothing(index_elements=[table.c.user_id, table.c.badge_key])
        .returning(table.c.id)
    )
    return s.execute(stmt).first() is not None


def user_exists(s: Session, ids: Collection[int]) -> set[int]:
    if not ids:
        return set()
    return {int(i) for i in s.scalars(select(t.User.id).where(t.User.id.in_(sorted(ids))))}


# --- reading for pages and the API -----------------------------------------------------------------


def awards_of(s: Session, user_id: int) -> list[tuple[str, datetime]]:
    A = t.BadgeAward
    rows = s.execute(
        select(A.badge_key, A.awarded_at).where(A.user_id == user_id).order_by(A.awarded_at, A.id)
    )
    return [(str(k), at) for k, at in rows]


def earned_counts(s: Session) -> dict[str, int]:
    """How many listed players (not hidden or banned, nor in a hidden or banned team) hold each badge."""
    A, U, T = t.BadgeAward, t.User, t.Team
    stmt = (
        select(A.badge_key, func.count(A.id))
        .join(U, U.id == A.user_id)
        .outerjoin(T, T.id == U.team_id)
        .where(
            U.hidden.is_(False),
            U.banned.is_(False),
            U.role == "player",
            (T.id.is_(None)) | ((T.hidden.is_(False)) & (T.banned.is_(False))),
        )
        .group_by(A.badge_key)
    )
    return {str(k): int(n) for k, n in s.execute(stmt)}


def progress_page(s: Session, after_user: int, limit: int) -> dict[int, dict[str, Any]]:
    P = t.BadgeProgress
    rows = s.execute(
        select(P.user_id, P.state).where(P.user_id > after_user).order_by(P.user_id).limit(limit)
    )
    return {int(u): dict(st or {}) for u, st in rows}
