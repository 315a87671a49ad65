"""How many flag attempts of one process run on worker threads at once.

On SQLite every write waits for the database's one write lock, so attempts cannot run side by side
anyway; but each one waiting on a thread still takes its share of the GIL — reading the token,
the facts, building the answer — and the thread that holds SQLite's lock is kept waiting for the GIL
behind them. Measured in issue 9 (W4, 2 workers, 64 connections): 32 attempts at a time per
process gave 575 attempts/s (p99 197 ms); 2 at a time 970–985 (p99 119–129 ms); 1 at a time
1,030–1,170 (p99 117–153 ms, about the same). So on SQLite one attempt per process is on a thread
(:data:`SLOTS`), the facts read before SQLite's lock included; the others wait on the event loop, in
arrival order.

On PostgreSQL an attempt holds a pooled connection for its transaction, so no more attempts are on
threads than the pool has connections (``KIZUNA_DB_POOL_SIZE``): the rest wait here, in order,
instead of in the pool's queue with a thread each. Measured (W4, two replicas behind nginx):
about 200 attempts/s with a p99 of 1.3–2.6 s without the gate, 260–280 with a p99 of 0.5 s with it.

A flag that may take long to evaluate (a regular expression, up to its time bound) is evaluated
*outside* the gate (``submissions.outside_limit``), so slow flags never hold up quick ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from kizuna.services import submissions

SLOTS = 1  # on SQLite

T = TypeVar("T")


class AttemptGate:
    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.peak = 0  # the most attempts seen on threads at once (tests read it)
        self._inside = 0
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def for_database(cls, db: Any) -> AttemptGate:
        return cls(SLOTS if db.writes_serialised else db.pool_size)

    async def run(self, work: Callable[[], T]) -> T:
        """``work()`` on a worker thread, within the gate."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # one event loop per process when serving; tests start several
            self._loop, self._slots = loop, asyncio.Semaphore(self.slots)
        slots = self._slots
        assert slots is not None

        def gated() -> T:
            token = submissions.outside_limit.set(lambda: self._released(loop))
            try:
                return work()
            finally:
                submissions.outside_limit.reset(token)

        async with slots:
            self._inside += 1
            self.peak = max(self.peak, self._inside)
            try:
                return await run_in_threadpool(gated)
            finally:
                self._inside -= 1

    @contextmanager
    def _released(self, loop: asyncio.AbstractEventLoop) -> Iterator[None]:
        """From the worker thread: give the slot back for a while, then wait for one again."""
        slots = self._slots
        assert slots is not None

        def leave() -> None:
            self._inside -= 1
            slots.release()

        async def back() -> Any:
            await slots.acquire()
            self._inside += 1
            self.peak = max(self.peak, self._inside)

        loop.call_soon_threadsafe(leave)
        try:
            yield
        finally:
            asyncio.run_coroutine_threadsafe(back(), loop).result()
