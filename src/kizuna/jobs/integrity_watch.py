"""Looking for integrity signals in the background (``services.integrity``), so that opening the
judges' list only reads.

A serving process (``kizuna serve``, ``kizuna.web.asgi``) runs one ``IntegrityWatch``: every
:data:`INTERVAL` seconds it asks ``integrity.scan_if_due``, which claims the period in the shared
``rate_buckets`` table, so however many workers and replicas run, one of them scans per period. A
scan reads in bounded queries and writes only when it finds something new. Applications built by
the test suite do not run it (a test scans when it means to).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from kizuna.services import integrity
from kizuna.services.context import Context

log = logging.getLogger("kizuna.jobs.integrity_watch")

INTERVAL = integrity.SCAN_EVERY.total_seconds()
STOP_WAIT = 5.0


class IntegrityWatch:
    def __init__(self, ctx: Context, interval: float = INTERVAL) -> None:
        self.ctx = ctx
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def check(self) -> int | None:
        """One look; the number of signals raised or updated (None: another process's turn)."""
        return integrity.scan_if_due(self.ctx)

    async def run(self) -> None:
        stopping = self._stopping
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.interval)
            if stopping.is_set():
                break
            try:
                await asyncio.to_thread(self.check)
            except Exception:
                log.exception("integrity scan failed")

    def start(self) -> None:
        if self._task is None:
            self._stopping = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self.run(), name="kizuna-integrity-watch")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(task, STOP_WAIT)
        except TimeoutError:
            log.warning("integrity scan still running at shutdown; abandoned")
