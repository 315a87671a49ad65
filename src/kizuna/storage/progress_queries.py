"""SQL of the learning statistics: reading the event log from a cursor, the derived tables
(``learner_stats``, ``learner_days``, ``learner_xp``) and the learning leaderboards."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from kizuna.domain.progress import XP_EVENTS
from kizuna.storage import tables as t


def newest_event_id(s: Session, after: int, settled_before: datetime | None) -> int:
    """The largest event id after ``after`` (``after`` itself when none); with ``settled_before``,
    only among events stored before that time (on PostgreSQL an id can commit after a larger one)."""
    query = select(func.max(t.EventLog.id)).where(t.EventLog.id > after)
    if settled_before is not None:
        query = query.where(t.EventLog.created_at <= settled_before)
    return int(s.scalar(query) or after)


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    id: int
    type: str
    data: dict[str, Any]
    created_at: datetime


def xp_events(s: Session, after: int, upto: int, limit: int) -> list[LoggedEvent]:
    """Events that may earn XP with ids in (after, upto], oldest first, at most ``limit``."""
    rows = s.execute(
        select(t.EventLog.id, t.EventLog.type, t.EventLog.data, t.EventLog.created_at)
        .where(t.EventLog.id > after, t.EventLog.id <= upto, t.EventLog.type.in_(XP_EVENTS))
        .order_by(t.EventLog.id)
        .limit(limit)
    ).all()
    return [LoggedEvent(int(i), ty, dict(d or {}), c) for i, ty, d, c in rows]


def user_zones(s: Session, user_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    return {
        uid: zone or ""
        for uid, zone in s.execute(select(t.User.id, t.User.time_zone).where(t.User.id.in_(ids)))
    }


def event_zones(s: Session) -> list[str]:
    return list(s.scalar(select(t.Event.time_zones).where(t.Event.id == 1)) or [])


def days_of(
    s: Session, user_ids: Sequence[int], days: Iterable[date]
) -> dict[tuple[int, date], t.LearnerDay]:
    wanted = sorted(set(days))
    if not user_ids or not wanted:
        return {}
    rows = s.scalars(
        select(t.LearnerDay).where(t.LearnerDay.user_id.in_(user_ids), t.LearnerDay.day.in_(wanted))
    )
    return {(r.user_id, r.day): r for r in rows}


def xp_rows(
    s: Session, user_ids: Sequence[int], scopes: Iterable[str], tracks: Iterable[str]
) -> dict[tuple[int, str, str], t.LearnerXp]:
    scope_list, track_list = sorted(set(scopes)), sorted(set(tracks))
    if not user_ids or not scope_list:
        return {}
    rows = s.scalars(
        select(t.LearnerXp).where(
            t.LearnerXp.user_id.in_(user_ids),
            t.LearnerXp.scope.in_(scope_list),
            t.LearnerXp.track_key.in_(track_list),
        )
    )
    return {(r.user_id, r.scope, r.track_key): r for r in rows}


def stats_of(s: Session, user_ids: Sequence[int]) -> dict[int, t.LearnerStats]:
    if not user_ids:
        return {}
    return {
        r.user_id: r for r in s.scalars(select(t.LearnerStats).where(t.LearnerStats.user_id.in_(user_ids)))
    }


def active_days(s: Session, user_ids: Sequence[int]) -> dict[int, list[date]]:
    out: dict[int, list[date]] = {uid: [] for uid in user_ids}
    if not user_ids:
        return out
    for uid, day in s.execute(
        select(t.LearnerDay.user_id, t.LearnerDay.day).where(t.LearnerDay.user_id.in_(user_ids))
    ):
        out[uid].append(day)
    return out


def total_xp(s: Session, user_ids: Sequence[int]) -> dict[int, int]:
    if not user_ids:
        return {}
    rows = s.execute(
        select(t.LearnerXp.user_id, t.LearnerXp.xp).where(
            t.LearnerXp.user_id.in_(user_ids), t.LearnerXp.scope == "all", t.LearnerXp.track_key == ""
        )
    )
    return {uid: int(xp) for uid, xp in rows}


def reset(s: Session) -> None:
    """Every derived row gone (``kizuna stats rebuild`` then reads the log from its start)."""
    s.execute(delete(t.LearnerXp))
    s.execute(delete(t.LearnerDay))
    s.execute(delete(t.LearnerStats))


# --- reading -----------------------------------------------------------------------------------------


def stats_row(s: Session, user_id: int) -> t.LearnerStats | None:
    return s.get(t.LearnerStats, user_id)


def days_between(s: Session, user_id: int, first: date, last: date) -> dict[date, tuple[int, int]]:
    rows = s.execute(
        select(t.LearnerDay.day, t.LearnerDay.count, t.LearnerDay.xp).where(
            t.LearnerDay.user_id == user_id, t.LearnerDay.day >= first, t.LearnerDay.day <= last
        )
    )
    return {day: (int(count), int(xp)) for day, count, xp in rows}


def _ranked_users() -> Any:
    """Players who appear on public boards: not hidden, not banned, not in a hidden or banned team,
    and not staff (staff do not play)."""
    unlisted = select(t.Team.id).where(or_(t.Team.hidden.is_(True), t.Team.banned.is_(True)))
    return and_(
        t.User.hidden.is_(False),
        t.User.banned.is_(False),
        t.User.role == "player",
        or_(t.User.team_id.is_(None), t.User.team_id.not_in(unlisted.scalar_subquery())),
    )


@dataclass(frozen=True, slots=True)
class BoardRow:
    user_id: int
    name: str
    affiliation: str
    xp: int
    total_xp: int


def board(s: Session, scope: str, track: str, offset: int, limit: int) -> tuple[list[BoardRow], int]:
    where = and_(
        t.LearnerXp.scope == scope, t.LearnerXp.track_key == track, t.LearnerXp.xp > 0, _ranked_users()
    )
    total = int(
        s.scalar(
            select(func.count())
            .select_from(t.LearnerXp)
            .join(t.User, t.User.id == t.LearnerXp.user_id)
            .where(where)
        )
        or 0
    )
    rows = s.execute(
        select(t.User.id, t.User.name, t.User.affiliation, t.LearnerXp.xp, t.LearnerStats.xp)
        .select_from(t.LearnerXp)
        .join(t.User, t.User.id == t.LearnerXp.user_id)
        .outerjoin(t.LearnerStats, t.LearnerStats.user_id == t.LearnerXp.user_id)
        .where(where)
        .order_by(t.LearnerXp.xp.desc(), t.LearnerXp.reached_at, t.User.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return [
        BoardRow(uid, name, aff or "", int(xp), int(all_xp or 0)) for uid, name, aff, xp, all_xp in rows
    ], total


def affiliation_sums(s: Session, scope: str, track: str, limit: int) -> list[tuple[str, int, int]]:
    """(affiliation, XP summed, members counted) of ranked players with XP, by affiliation as stored."""
    where = and_(
        t.LearnerXp.scope == scope,
        t.LearnerXp.track_key == track,
        t.LearnerXp.xp > 0,
        t.User.affiliation != "",
        _ranked_users(),
    )
    rows = s.execute(
        select(t.User.affiliation, func.sum(t.LearnerXp.xp), func.count())
        .select_from(t.LearnerXp)
        .join(t.User, t.User.id == t.LearnerXp.user_id)
        .where(where)
        .group_by(t.User.affiliation)
        .order_by(func.sum(t.LearnerXp.xp).desc())
        .limit(limit)
    ).all()
    return [(aff, int(total or 0), int(n)) for aff, total, n in rows]
