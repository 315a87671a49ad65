"""The loop every background job of a serving process shares: call the job's ``check`` off the event
loop (its database calls block) every ``interval`` seconds until stopped, log a failed check and go on
(a busy or briefly unreachable database: the next turn tries again), and on shutdown let a check
under way finish so nothing uses the database afterwards — one stuck on an unreachable database is
abandoned after :data:`STOP_WAIT` seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from typing import Any

STOP_WAIT = 5.0


class PeriodicJob(ABC):
    """A job's loop. Subclasses set ``task_name`` and ``failure`` (what the log says when a check
    fails) and define :meth:`check`; ``wait_first`` waits one interval before the first check."""

    task_name = "kizuna-job"
    failure = "background job check failed"
    wait_first = False

    def __init__(self, interval: float, log: logging.Logger) -> None:
        self.interval = interval
        self._log = log
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @abstractmethod
    def check(self) -> Any:
        """One turn of the job (blocking: it runs in a worker thread)."""

    async def _pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self.interval)

    async def run(self) -> None:
        stopping = self._stopping
        if self.wait_first:
            await self._pause()
        while not stopping.is_set():
            try:
                await asyncio.to_thread(self.check)
            except Exception:
                self._log.exception(self.failure)
            await self._pause()

    def start(self) -> None:
        if self._task is None:
            self._stopping = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self.run(), name=self.task_name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(task, STOP_WAIT)
        except TimeoutError:
            self._log.warning("%s: still running at shutdown; abandoned", self.task_name)
