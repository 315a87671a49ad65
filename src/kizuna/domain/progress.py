"""Learning progress rules: the XP an event earns, the level an XP total reaches, the periods a
day belongs to and the one-year activity calendar.

Pure functions over plain values (no HTTP, no SQL). The statistics job (``services.learning_stats``)
applies them to the stored event log; pages and the API only read what it derived.

XP is earned by these events (``domain.events``), each for the ``user_id`` it names:

- ``solve`` — an event solve: ``solve_base`` plus ``solve_per_100`` for every 100 points of the
  solve's value (a judge's partial award counts as its value; a value below zero counts as zero);
- ``practice_solve`` — ``practice_solve``;
- ``task_completed`` — ``task_required`` or ``task_optional``;
- ``lesson_completed``, ``module_completed``, ``track_completed`` — ``lesson``, ``module``, ``track``.

Of these, solves, practice solves and completed tasks are *activities* (what the calendar counts);
the completions that follow a task add XP to the same day without counting a second activity.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

# Event types that earn XP, and those of them that count as an activity on the calendar.
XP_EVENTS: tuple[str, ...] = (
    "solve",
    "practice_solve",
    "task_completed",
    "lesson_completed",
    "module_completed",
    "track_completed",
)
ACTIVITY_EVENTS: frozenset[str] = frozenset({"solve", "practice_solve", "task_completed"})
TRACK_EVENTS: frozenset[str] = frozenset(
    {"task_completed", "lesson_completed", "module_completed", "track_completed"}
)

DEFAULT_LEVELS: tuple[int, ...] = (0, 100, 250, 500, 1000, 2000, 3500, 5000, 7500, 10000)
MAX_XP_PER_EVENT = 1_000_000  # a bound on any one event's XP, whatever the settings say
MAX_LEVELS = 100
CALENDAR_WEEKS = 53


@dataclass(frozen=True, slots=True)
class XpRules:
    solve_base: int = 10
    solve_per_100: int = 10
    practice_solve: int = 10
    task_required: int = 10
    task_optional: int = 5
    lesson: int = 20
    module: int = 30
    track: int = 100
    levels: tuple[int, ...] = DEFAULT_LEVELS

    def __post_init__(self) -> None:
        for name in ("solve_base", "solve_per_100", "practice_solve", "task_required", "task_optional"):
            if not 0 <= getattr(self, name) <= MAX_XP_PER_EVENT:
                raise ValueError(name)
        for name in ("lesson", "module", "track"):
            if not 0 <= getattr(self, name) <= MAX_XP_PER_EVENT:
                raise ValueError(name)
        check_levels(self.levels)


def check_levels(levels: Iterable[int]) -> tuple[int, ...]:
    """Level thresholds: starting at 0, strictly increasing, at most :data:`MAX_LEVELS`; else ValueError."""
    values = tuple(levels)
    if not values or values[0] != 0 or len(values) > MAX_LEVELS:
        raise ValueError("levels")
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise ValueError("levels")
    return values


def parse_levels(text: str) -> tuple[int, ...]:
    """``"0, 100, 250"`` → ``(0, 100, 250)``; ValueError unless :func:`check_levels` accepts it."""
    try:
        values = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise ValueError("levels") from None
    return check_levels(values)


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value and abs(value) < 1e12:
        return int(value)
    return 0


def xp_of(event_type: str, data: Mapping[str, Any], rules: XpRules) -> int:
    """The XP an event earns its user (0 for events that earn none); never negative."""
    if event_type == "solve":
        value = max(0, min(_int(data.get("value")), MAX_XP_PER_EVENT))
        xp = rules.solve_base + value * rules.solve_per_100 // 100
    elif event_type == "practice_solve":
        xp = rules.practice_solve
    elif event_type == "task_completed":
        xp = rules.task_required if data.get("required") else rules.task_optional
    elif event_type == "lesson_completed":
        xp = rules.lesson
    elif event_type == "module_completed":
        xp = rules.module
    elif event_type == "track_completed":
        xp = rules.track
    else:
        return 0
    return max(0, min(xp, MAX_XP_PER_EVENT))


def track_of(event_type: str, data: Mapping[str, Any]) -> str:
    """The learning track an event belongs to ("" for solves and practice solves)."""
    if event_type in TRACK_EVENTS:
        key = data.get("track_key")
        return key[:100] if isinstance(key, str) else ""
    return ""


def is_activity(event_type: str) -> bool:
    return event_type in ACTIVITY_EVENTS


@dataclass(frozen=True, slots=True)
class Level:
    number: int  # 1 for the first threshold (0 XP)
    floor: int  # the XP at which this level starts
    next_at: int | None  # the XP of the next level (None at the top)

    def progress(self, xp: int) -> int:
        """Percent of the way from this level to the next (100 at the top)."""
        if self.next_at is None:
            return 100
        span = self.next_at - self.floor
        return max(0, min(100, (xp - self.floor) * 100 // span))


def level_of(xp: int, levels: tuple[int, ...] = DEFAULT_LEVELS) -> Level:
    """The level an XP total reaches: the last threshold not above it (a negative total is level 1)."""
    number = 1
    for i, threshold in enumerate(levels):
        if xp >= threshold:
            number = i + 1
    floor = levels[number - 1]
    next_at = levels[number] if number < len(levels) else None
    return Level(number, floor, next_at)


# --- periods ---------------------------------------------------------------------------------------

PERIODS = ("week", "month", "all")
ALL = "all"


def week_key(day: date) -> str:
    """The ISO week of a day: ``W2026-48`` (ISO years: 2027-01-01 may be in W2026-53)."""
    year, week, _ = day.isocalendar()
    return f"W{year}-{week:02d}"


def month_key(day: date) -> str:
    return f"M{day.year}-{day.month:02d}"


def scopes_of(day: date) -> tuple[str, str, str]:
    """Where XP earned on a (local) day is counted: all time, its ISO week, its month."""
    return (ALL, week_key(day), month_key(day))


def scope_for(period: str, today: date) -> str:
    """The stored scope of the current ``period`` ("week", "month", "all") as of ``today``."""
    if period == "week":
        return week_key(today)
    if period == "month":
        return month_key(today)
    if period == ALL:
        return ALL
    raise ValueError(period)


# --- streaks read back -------------------------------------------------------------------------------


def current_streak(run: int, last_day: date | None, today: date) -> int:
    """The current streak from the stored run (consecutive days ending at ``last_day``): it lasts
    until the end of the day after its last active day (``domain.streaks.streak``'s rule)."""
    if last_day is None or run <= 0:
        return 0
    return run if today - last_day <= timedelta(days=1) else 0


# --- the calendar -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalendarDay:
    day: date
    count: int
    xp: int
    shade: int  # 0 (none) to 4 (most)
    future: bool  # after today: drawn empty


def shade(count: int, most: int) -> int:
    """0 for no activity, else 1–4 in quarters of the busiest day's count."""
    if count <= 0:
        return 0
    if most <= 1:
        return 4 if count else 0
    return min(4, 1 + (count - 1) * 4 // most)


def calendar(today: date, days: Mapping[date, tuple[int, int]]) -> list[list[CalendarDay]]:
    """The one-year calendar: :data:`CALENDAR_WEEKS` weeks (Monday first) ending with the week of
    ``today``; ``days`` maps a day to (count, xp). Weeks are columns, each of seven days."""
    start = calendar_start(today)
    shown = [(start + timedelta(days=i)) for i in range(CALENDAR_WEEKS * 7)]
    most = max((days.get(d, (0, 0))[0] for d in shown if d <= today), default=0)
    weeks: list[list[CalendarDay]] = []
    for w in range(CALENDAR_WEEKS):
        week = []
        for d in shown[w * 7 : w * 7 + 7]:
            count, xp = days.get(d, (0, 0)) if d <= today else (0, 0)
            week.append(CalendarDay(d, count, xp, shade(count, most), d > today))
        weeks.append(week)
    return weeks


def calendar_start(today: date) -> date:
    """The first day the calendar shows."""
    return today - timedelta(days=today.weekday()) - timedelta(weeks=CALENDAR_WEEKS - 1)
