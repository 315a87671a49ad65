"""Reading learning progress: a player's XP, level, streaks and activity calendar, and the learning
leaderboards. Everything here reads the tables the statistics job derived
(``services.learning_stats``); nothing is computed from the event log per request, and nothing is
written.

Leaderboard decisions (docs/architecture.md):

- the current week (ISO, Monday first) and month are those of today in the event's first time zone
  — the organisers' home — so every reader sees the same board; a player's XP counts in the week
  and month of the day it was earned *in their own zone* (the same day as their calendar);
- only players appear (staff do not play), and never hidden or banned ones or members of a hidden
  or banned team;
- ties: whoever reached the XP first ranks first;
- crews (所属, affiliations): members' XP summed, ranked by that sum (a crew is as strong as the
  learning its members do); each row also gives the members counted and their mean. Affiliations
  that differ only in width, case or kana count as one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.names import name_key
from kizuna.domain.progress import (
    ALL,
    PERIODS,
    CalendarDay,
    Level,
    calendar,
    calendar_start,
    current_streak,
    level_of,
    scope_for,
)
from kizuna.domain.streaks import local_day, player_zone
from kizuna.domain.zones import zones_or_default
from kizuna.services.context import Context
from kizuna.storage import progress_queries as q
from kizuna.storage import tables as t

PER_PAGE = 50
MAX_PAGE = 1000
MAX_TRACK_KEY = 100
MAX_AFFILIATIONS = 5000  # affiliations grouped per board at most


@dataclass(frozen=True)
class Progress:
    user_id: int
    xp: int
    level: Level
    current_streak: int
    longest_streak: int
    last_active: date | None
    activities: int
    zone: str
    today: date
    weeks: list[list[CalendarDay]]

    @property
    def to_next(self) -> int | None:
        return None if self.level.next_at is None else self.level.next_at - self.xp

    @property
    def active_days(self) -> int:
        return sum(1 for week in self.weeks for d in week if d.count or d.xp)

    @property
    def days(self) -> list[CalendarDay]:
        return [d for week in self.weeks for d in week if not d.future]


def user_progress(ctx: Context, user: t.User) -> Progress:
    """``user``'s progress as derived (the caller decided they may see it)."""
    with ctx.db.read() as s:
        home = zones_or_default(q.event_zones(s))
        zone = player_zone(user.time_zone, home)
        today = local_day(ctx.now(), zone)
        row = q.stats_row(s, user.id)
        days = q.days_between(s, user.id, calendar_start(today), today)
    xp = int(row.xp) if row else 0
    return Progress(
        user_id=user.id,
        xp=xp,
        level=level_of(xp, ctx.xp.levels),
        current_streak=current_streak(row.run, row.last_day, today) if row else 0,
        longest_streak=row.longest if row else 0,
        last_active=row.last_day if row else None,
        activities=row.activities if row else 0,
        zone=zone,
        today=today,
        weeks=calendar(today, days),
    )


# --- leaderboards ------------------------------------------------------------------------------------


def parse_period(value: str) -> str:
    if value not in PERIODS:
        raise DomainError(ErrorCode.VALUE_INVALID, field="period")
    return value


def parse_track(value: str) -> str:
    if len(value) > MAX_TRACK_KEY or any(ord(c) < 32 for c in value):
        raise DomainError(ErrorCode.VALUE_INVALID, field="track")
    return value


def parse_page(value: int) -> int:
    if not 1 <= value <= MAX_PAGE:
        raise DomainError(ErrorCode.VALUE_INVALID, field="page")
    return value


@dataclass(frozen=True)
class Entry:
    pos: int
    user_id: int
    name: str
    affiliation: str
    xp: int
    level: int


@dataclass(frozen=True)
class CrewEntry:
    pos: int
    name: str
    xp: int
    members: int

    @property
    def mean(self) -> int:
        return self.xp // self.members if self.members else 0


@dataclass(frozen=True)
class Board:
    period: str
    track: str
    scope: str  # the stored scope: "all", "W2026-48", "M2026-11"
    page: int
    per_page: int
    total: int
    entries: list[Entry]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class CrewBoard:
    period: str
    track: str
    scope: str
    page: int
    per_page: int
    total: int
    entries: list[CrewEntry]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def home_zone(ctx: Context) -> str:
    """The event's first time zone: the boards' weeks and months are its."""
    with ctx.db.read() as s:
        return zones_or_default(q.event_zones(s))[0]


def board_scope(ctx: Context, period: str) -> str:
    """The stored scope of the current ``period``, today being the event's first zone's."""
    return scope_for(period, local_day(ctx.now(), home_zone(ctx)))


def leaderboard(ctx: Context, period: str = ALL, track: str = "", page: int = 1) -> Board:
    period, track, page = parse_period(period), parse_track(track), parse_page(page)
    scope = board_scope(ctx, period)
    offset = (page - 1) * PER_PAGE
    with ctx.db.read() as s:
        rows, total = q.board(s, scope, track, offset, PER_PAGE)
    entries = [
        Entry(
            offset + i + 1, r.user_id, r.name, r.affiliation, r.xp, level_of(r.total_xp, ctx.xp.levels).number
        )
        for i, r in enumerate(rows)
    ]
    return Board(period, track, scope, page, PER_PAGE, total, entries)


def crews(ctx: Context, period: str = ALL, track: str = "", page: int = 1) -> CrewBoard:
    period, track, page = parse_period(period), parse_track(track), parse_page(page)
    scope = board_scope(ctx, period)
    with ctx.db.read() as s:
        sums = q.affiliation_sums(s, scope, track, MAX_AFFILIATIONS)
    merged: dict[str, list[int]] = {}
    spelling: dict[str, tuple[int, str]] = {}
    for name, xp, members in sums:
        key = name_key(name.strip()) or name
        cell = merged.setdefault(key, [0, 0])
        cell[0] += xp
        cell[1] += members
        # The spelling most members use names the crew (the first such, by name, on a tie).
        best = spelling.get(key)
        if best is None or members > best[0] or (members == best[0] and name < best[1]):
            spelling[key] = (members, name)
    ranked = sorted(merged.items(), key=lambda kv: (-kv[1][0], -kv[1][1], spelling[kv[0]][1]))
    offset = (page - 1) * PER_PAGE
    entries = [
        CrewEntry(offset + i + 1, spelling[key][1].strip(), xp, members)
        for i, (key, (xp, members)) in enumerate(ranked[offset : offset + PER_PAGE])
    ]
    return CrewBoard(period, track, scope, page, PER_PAGE, len(ranked), entries)
