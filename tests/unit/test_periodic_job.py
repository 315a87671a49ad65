"""The loop every background job shares (``kizuna.jobs.periodic``): it keeps checking after a failed
check (logged), waits one interval first when asked to, and stops cleanly. No test here depends on
timing: the interval is zero and each wait is bounded only as a safety net."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from kizuna.jobs.periodic import PeriodicJob

log = logging.getLogger("tests.periodic")


class Counting(PeriodicJob):
    task_name = "test-job"
    failure = "test check failed"

    def __init__(self, interval: float, fail_first: bool = False) -> None:
        super().__init__(interval, log)
        self.calls = 0
        self.fail_first = fail_first
        self.third = threading.Event()

    def check(self) -> int:
        self.calls += 1
        if self.calls >= 3:
            self.third.set()
        if self.fail_first and self.calls == 1:
            raise RuntimeError("database away")
        return self.calls


def test_a_failed_check_is_logged_and_the_next_turns_still_run(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> Counting:
        job = Counting(0.0, fail_first=True)
        job.start()
        job.start()  # a second start does not run a second loop
        assert await asyncio.to_thread(job.third.wait, 30)
        await job.stop()
        await job.stop()  # stopping twice is harmless
        return job

    with caplog.at_level(logging.ERROR, logger="tests.periodic"):
        job = asyncio.run(scenario())
    assert job.calls >= 3
    assert [r.getMessage() for r in caplog.records] == ["test check failed"]


def test_wait_first_checks_nothing_when_stopped_during_the_first_wait() -> None:
    class Patient(Counting):
        wait_first = True

    async def scenario() -> Counting:
        job = Patient(3600.0)
        job.start()
        await asyncio.sleep(0)  # the loop is now in its first wait
        await job.stop()
        return job

    assert asyncio.run(scenario()).calls == 0
