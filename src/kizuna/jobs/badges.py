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

import logging

from kizuna.domain.badges import Earned
from kizuna.jobs.periodic import PeriodicJob
from kizuna.services import badges
from kizuna.services.context import Context

log = logging.getLogger("kizuna.jobs.badges")

INTERVAL = 2.0  # seconds between looks
STEPS = 20  # batches per look at most (10,000 events); a longer backlog goes on at the next look


class BadgeWatch(PeriodicJob):
    task_name = "kizuna-badges"
    failure = "badge evaluation failed"

    def __init__(self, ctx: Context, interval: float = INTERVAL) -> None:
        super().__init__(interval, log)
        self.ctx = ctx
        self._rechecked = False

    def check(self) -> list[Earned]:
        """One look: the badges awarded (by this process)."""
        awarded = badges.catch_up(self.ctx, max_steps=STEPS)
        if not self._rechecked:
            awarded += badges.recheck(self.ctx)
            self._rechecked = True
        return awarded
