"""Awarding badges in the background (``services.badges``), so that no request handler does.

A serving process (``kizuna serve``, ``kizuna.web.asgi``) runs one ``BadgeWatch``: every
:data:`INTERVAL` seconds it reads the event log from the job's stored cursor, in bounded batches of
one transaction each, and awards what the new events complete. Each batch locks the cursor's row,
so however many workers and replicas run, one evaluates at a time and every event is read once; a
badge is stored once per user (unique key) and announced (``badge_awarded``) in the same
transaction. On its first look a process also checks the stored progress against the definitions,
for badges an organiser added since. Applications built by the test suite do not run it (a test
calls :meth:`BadgeWatch.check`, or the service, when it means to).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from kizuna.domain.badges import Earned
from kizuna.services import badges
from kizuna.services.context import Context

log = logging.getLogger("kizuna.jobs.badges")

INTERVAL = 2.0  # seconds between looks
STEPS = 20  # batches per look at most (10,000 events); a longer backlog goes on at the next look
STOP_WAIT = 5.0


class BadgeWatch:
    def __init__(self, ctx: Context, interval: float = INTERVAL) -> None:
        self.ctx = ctx
        self.interval = interval
        self._rechecked = False
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def check(self) -> list[Earned]:
        """One look: the badges awarded (by this process)."""
        awarded = badges.catch_up(self.ctx, max_steps=STEPS)
        if not self._rechecked:
            awarded += badges.recheck(self.ctx)
            self._rechecked = True
        return awarded

    async def run(self) -> None:
        stopping = self._stopping
        while not stopping.is_set():
            try:
                await asyncio.to_thread(self.check)
            except Exception:
                log.exception("badge evaluation failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.interval)

    def start(self) -> None:
        if self._task is None:
            self._stopping = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self.run(), name="kizuna-badges")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(task, STOP_WAIT)
        except TimeoutError:
            log.warning("badge evaluation still running at shutdown; abandoned")
