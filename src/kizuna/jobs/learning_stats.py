"""Keeping the learning statistics up to date in the background (``services.learning_stats``), so
that the player's page, the progress API and the learning leaderboards only read.

A serving process (``kizuna serve``, ``kizuna.web.asgi``) runs one ``LearningStatsWatch``: every
:data:`INTERVAL` seconds it reads the event log after the stored cursor, at most
``learning_stats.MAX_BATCHES`` bounded batches a turn. A quiet log costs one read. The cursor's row is
locked while a batch is applied, so however many workers and replicas run the watch, one applies
each event, once. Applications built by the test suite do not run it: a test calls :meth:`check`
(or ``learning_stats.catch_up``) when it means to, with the context's controllable clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from kizuna.services import learning_stats
from kizuna.services.context import Context

log = logging.getLogger("kizuna.jobs.learning_stats")

INTERVAL = 5.0  # seconds between turns
STOP_WAIT = 5.0


class LearningStatsWatch:
    def __init__(self, ctx: Context, interval: float = INTERVAL) -> None:
        self.ctx = ctx
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def check(self) -> learning_stats.Turn:
        """One turn: apply what the log holds after the cursor (bounded)."""
        return learning_stats.catch_up(self.ctx)

    async def run(self) -> None:
        stopping = self._stopping
        while not stopping.is_set():
            try:
                await asyncio.to_thread(self.check)
            except Exception:
                # A busy or briefly unreachable database: the cursor did not move; next turn.
                log.exception("learning statistics turn failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.interval)

    def start(self) -> None:
        if self._task is None:
            self._stopping = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self.run(), name="kizuna-learning-stats")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(task, STOP_WAIT)
        except TimeoutError:
            log.warning("learning statistics turn still running at shutdown; abandoned")
