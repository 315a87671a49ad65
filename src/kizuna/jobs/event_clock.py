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

import asyncio
import contextlib
import logging

from kizuna.domain.event_state import Milestone
from kizuna.services import challenges, event_control
from kizuna.services.context import Context

log = logging.getLogger("kizuna.jobs.event_clock")
INTERVAL = 1.0  # seconds between checks
STOP_WAIT = 5.0  # seconds a stopping server waits for a check under way


class ClockWatch:
    def __init__(self, ctx: Context, interval: float = INTERVAL) -> None:
        self.ctx = ctx
        self.interval = interval
        # Milestones this process has appended or seen appended by another: never tried again.
        self._handled: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

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

    async def run(self) -> None:
        stopping = self._stopping
        while not stopping.is_set():
            try:
                # The database calls are blocking: off the event loop.
                await asyncio.to_thread(self.check)
            except Exception:
                # A busy or briefly unreachable database: try again next second.
                log.exception("event clock check failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.interval)

    def start(self) -> None:
        if self._task is None:
            self._stopping = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self.run(), name="kizuna-event-clock")

    async def stop(self) -> None:
        """Let a check under way finish (so nothing uses the database after shutdown), then stop;
        a check stuck on an unreachable database is abandoned after a few seconds."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(task, STOP_WAIT)
        except TimeoutError:
            log.warning("event clock check still running at shutdown; abandoned")
