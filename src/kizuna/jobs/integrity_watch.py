"""Looking for integrity signals in the background (``services.integrity``), so that opening the
judges' list only reads.

A serving process (``kizuna serve``, ``kizuna.web.asgi``) runs one ``IntegrityWatch``: every
:data:`INTERVAL` seconds it asks ``integrity.scan_if_due``, which claims the period in the shared
``rate_buckets`` table, so however many workers and replicas run, one of them scans per period. A
scan reads in bounded queries and writes only when it finds something new. Applications built by
the test suite do not run it (a test scans when it means to).
"""

from __future__ import annotations

import logging

from kizuna.jobs.periodic import PeriodicJob
from kizuna.services import integrity
from kizuna.services.context import Context

log = logging.getLogger("kizuna.jobs.integrity_watch")

INTERVAL = integrity.SCAN_EVERY.total_seconds()


class IntegrityWatch(PeriodicJob):
    task_name = "kizuna-integrity-watch"
    failure = "integrity scan failed"
    wait_first = True

    def __init__(self, ctx: Context, interval: float = INTERVAL) -> None:
        super().__init__(interval, log)
        self.ctx = ctx

    def check(self) -> int | None:
        """One look; the number of signals raised or updated (None: another process's turn)."""
        return integrity.scan_if_due(self.ctx)
