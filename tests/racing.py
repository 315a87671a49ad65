"""Threads released together: how the concurrency tests make requests really race."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from tests.conftest import Factory

T = TypeVar("T")


def race(n: int, work: Callable[[int], T], timeout: float = 60) -> list[T | BaseException]:
    """``work(i)`` for i in range(n) in n threads released together by a barrier; exceptions are
    returned, so the test can inspect them."""
    gate = threading.Barrier(n, timeout=timeout)

    def run(i: int) -> T | BaseException:
        gate.wait()
        try:
            return work(i)
        except BaseException as exc:  # returned so the test can inspect it
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def team_of_four(make: Factory) -> tuple[list[Any], Any]:
    captain, team = make.player_in_team()
    members = [captain]
    for _ in range(3):
        member = make.user()
        make.join(member, team)
        members.append(member)
    return members, team
