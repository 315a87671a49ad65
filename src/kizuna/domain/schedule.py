"""A challenge's own schedule: a release time and a close time (both optional, UTC).

* ``scheduled`` — the release time has not come: players see nothing of it, exactly as if it were
  hidden (same 404, on no board); staff see it with the state "scheduled", never as live.
* ``open`` — released (or never scheduled) and not closed.
* ``closed`` — the close time passed: it stays on the board, but attempts are refused.

The stored ``state`` ("visible"/"hidden", CTFd's field that ctfcli sends) is independent: a hidden
challenge stays hidden whatever its schedule; the schedule state is computed, never stored.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from kizuna.domain.clock import utc

ScheduleState = Literal["scheduled", "open", "closed"]


def schedule_state(release_at: datetime | None, close_at: datetime | None, now: datetime) -> ScheduleState:
    now_u = utc(now)
    assert now_u is not None
    release, close = utc(release_at), utc(close_at)
    if release is not None and now_u < release:
        return "scheduled"
    if close is not None and now_u >= close:
        return "closed"
    return "open"


def released(release_at: datetime | None, now: datetime) -> bool:
    """Has the challenge's release time come (or has it none)?"""
    release, now_u = utc(release_at), utc(now)
    return release is None or (now_u is not None and now_u >= release)


def closed(close_at: datetime | None, now: datetime) -> bool:
    close, now_u = utc(close_at), utc(now)
    return close is not None and now_u is not None and now_u >= close


def player_visible(state: str, release_at: datetime | None, now: datetime) -> bool:
    """Players may see it (before prerequisites): ``visible`` and released."""
    return state == "visible" and released(release_at, now)


def boundaries_passed(times: Sequence[datetime], now: datetime) -> int:
    """How many of the schedule's instants (release and close times: sorted, naive UTC, as stored)
    have passed: a number that changes exactly when one passes, so caches keyed by it follow the
    schedule by themselves. A binary search: it is part of every board request's cache key."""
    now_u = utc(now)
    assert now_u is not None
    return bisect_right(times, now_u.replace(tzinfo=None))
