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

import logging

from kizuna.jobs.periodic import PeriodicJob
from kizuna.services import learning_stats
from kizuna.services.context import Context

log = logging.getLogger("kizuna.jobs.learning_stats")

INTERVAL = 5.0  # seconds between turns


class LearningStatsWatch(PeriodicJob):
    task_name = "kizuna-learning-stats"
    failure = "learning statistics turn failed"

    def __init__(self, ctx: Context, interval: float = INTERVAL) -> None:
        super().__init__(interval, log)
        self.ctx = ctx

    def check(self) -> learning_stats.Turn:
        """One turn: apply what the log holds after the cursor (bounded)."""
        return learning_stats.catch_up(self.ctx)
