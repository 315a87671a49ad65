"""Announcing the milestones the event clock reaches by itself: the start, the scoreboard freeze and
the end pass by time, with no write to tell anyone.

Every process (each worker of each replica) runs one ``ClockWatch`` beside its web server. About once
a second it reads the event row and asks ``services.event_control.due`` which milestones passed
lately; for one it has not handled yet it opens a write and appends the ``event_state`` under the
milestone's key. The event log stores a key once, so however many processes notice the same start,
it is announced once; the others' appends are no-ops. Reading is all a quiet second costs.

Challenges released by their own release time are announced alike: a ``challenge_released`` under
the key of that release (``services.challenges.Release.key``), once however many processes see it.
"""

from __future__ import annotations

import logging

from kizuna.domain.event_state import Milestone
from kizuna.jobs.periodic import PeriodicJob
from kizuna.services import challenges, event_control
from kizuna.services.context import Context

log = logging.getLogger("kizuna.jobs.event_clock")
INTERVAL = 1.0  # seconds between checks


class ClockWatch(PeriodicJob):
    task_name = "kizuna-event-clock"
    failure = "event clock check failed"

    def __init__(self, ctx: Context, interval: float = INTERVAL) -> None:
        super().__init__(interval, log)
        self.ctx = ctx
        # Milestones this process has appended or seen appended by another: never tried again.
        self._handled: set[str] = set()

    def check(self) -> list[Milestone]:
        """One look at the clock; returns the milestones this process appended. Challenges whose
        own release time passed are announced the same way (``check_releases``)."""
        self.check_releases()
        pending = [m for m in event_control.due(self.ctx) if m.key not in self._handled]
        if not pending:
            return []
        appended = event_control.record_milestones(self.ctx, pending)
        self._handled.update(m.key for m in pending)
        return appended

    def check_releases(self) -> list[challenges.Release]:
        """Announce ("New challenge released") each challenge whose release time just passed, once
        across every process: the announcement is stored under the release's key."""
        pending = [r for r in challenges.due_releases(self.ctx) if r.key not in self._handled]
        if not pending:
            return []
        appended = challenges.record_releases(self.ctx, pending)
        self._handled.update(r.key for r in pending)
        return appended
