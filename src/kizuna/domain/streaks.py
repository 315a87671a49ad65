"""Active days and streaks, counted in the player's own time zone.

A player is active on a day when they did something that counts (a solve, a practice solve, a
learning task) between that day's midnights *in their zone*: 23:30 in Tokyo and 00:30 the next
morning are two days there even though both are the same UTC date. A streak is a run of consecutive
active days; the current one survives until the end of the day after its last active day (so a
player who has not yet played today has not lost yesterday's streak).

Pure functions: the learning statistics job and the badge rules both use them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kizuna.domain.zones import is_time_zone, utc_to_wall_time


def player_zone(own: str | None, event_zones: Iterable[str]) -> str:
    """The zone a player's days are counted in: their own if valid, else the event's first, else UTC."""
    if own and is_time_zone(own):
        return own
    for zone in event_zones:
        if is_time_zone(zone):
            return zone
    return "UTC"


def local_day(instant: datetime, zone: str) -> date:
    """The calendar day in ``zone`` of an instant (naive means UTC, as stored)."""
    return utc_to_wall_time(instant, zone).date()


@dataclass(frozen=True, slots=True)
class Streak:
    current: int  # days in the run that ends today or yesterday (0 if none)
    longest: int  # the longest run ever
    last_day: date | None  # the last active day


def streak(days: Iterable[date], today: date) -> Streak:
    """Current and longest runs of consecutive days among ``days`` (any order, repeats allowed)."""
    ordered = sorted(set(days))
    if not ordered:
        return Streak(0, 0, None)
    longest = run = 1
    for before, after in itertools.pairwise(ordered):
        run = run + 1 if after - before == timedelta(days=1) else 1
        longest = max(longest, run)
    last = ordered[-1]
    current = run if today - last <= timedelta(days=1) and last <= today else 0
    return Streak(current, longest, last)
