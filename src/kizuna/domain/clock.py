"""The event clock: start, end, pause and scoreboard freeze, all in UTC.

Submissions are accepted only while the event is RUNNING. An event with no start is open from the
beginning; one with no end never closes. A paused event refuses submissions whatever the time.
During a freeze (``freeze_at`` passed) the public scoreboard shows only what happened before the freeze;
players still see their own solves and admins see the live board.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class Phase(StrEnum):
    NOT_STARTED = "not_started"
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


def utc(dt: datetime | None) -> datetime | None:
    """Naive datetimes are taken to be UTC (that is how they are stored)."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


@dataclass(frozen=True)
class EventClock:
    start_at: datetime | None = None
    end_at: datetime | None = None
    freeze_at: datetime | None = None
    paused: bool = False

    def phase(self, now: datetime) -> Phase:
        now_u = utc(now)
        assert now_u is not None
        start, end = utc(self.start_at), utc(self.end_at)
        if start is not None and now_u < start:
            return Phase.NOT_STARTED
        if end is not None and now_u >= end:
            return Phase.ENDED
        if self.paused:
            return Phase.PAUSED
        return Phase.RUNNING

    def frozen(self, now: datetime) -> bool:
        freeze, now_u = utc(self.freeze_at), utc(now)
        return freeze is not None and now_u is not None and now_u >= freeze

    def public_cutoff(self, now: datetime) -> datetime | None:
        """The instant after which scoring events are hidden from the public board, if frozen."""
        return utc(self.freeze_at) if self.frozen(now) else None
