"""The attempt gate (kizuna.web.attempt_gate): at most so many attempts of a process are on worker
threads at once — ``SLOTS`` on SQLite, the pool's size on PostgreSQL — through the fast lane and the
full API route alike; the others wait, in order, and are all answered. A flag that may take long is
evaluated outside the gate, so quick attempts are never held up behind slow ones."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.challenge_types import builtin
from kizuna.services import content, submissions
from kizuna.web.attempt_gate import SLOTS
from tests.conftest import auth

WAIT = 30  # seconds: only ever reached when something is broken


def _attempt(client: TestClient, token: str, challenge_id: int, guess: str, cookie: bool = False) -> Any:
    headers = auth(token)
    if cookie:
        headers["Cookie"] = "unrelated=1"  # the fast lane leaves requests with cookies to the full stack
    return client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": challenge_id, "submission": guess},
        headers=headers,
    )


@pytest.mark.parametrize("path", ["fast lane", "full stack"])
def test_at_most_slots_attempts_run_at_once_and_all_are_answered(
    path: str, backend: str, client: TestClient, app: Any, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = app.state.attempt_gate
    if backend == "sqlite":
        assert gate.slots == SLOTS
    else:
        assert gate.slots == app.state.ctx.db.pool_size
        gate.slots = SLOTS  # fewer than the attempts sent below, so the gate shows (a fresh semaphore)
        gate._loop = None
    ch = make.challenge(flag="flag{gate}")
    tokens = [make.token(make.player_in_team(f"gated{i}")[0]) for i in range(SLOTS + 3)]
    inside = threading.Semaphore(0)
    go = threading.Event()
    prepare = submissions._prepare

    def held(*args: Any, **kwargs: Any) -> Any:
        inside.release()
        go.wait(WAIT)
        return prepare(*args, **kwargs)

    monkeypatch.setattr(submissions, "_prepare", held)
    with ThreadPoolExecutor(len(tokens)) as pool:
        answers = [pool.submit(_attempt, client, tok, ch.id, "nope", path == "full stack") for tok in tokens]
        assert sum(inside.acquire(timeout=WAIT) for _ in range(SLOTS)) == SLOTS
        # One more attempt would have entered by now were there no gate (a pass here never depends on
        # the machine's speed: only a missing gate can make it fail).
        assert not inside.acquire(timeout=0.5)
        go.set()
        statuses = [f.result(timeout=WAIT).json()["data"]["status"] for f in answers]
    assert statuses == ["incorrect"] * len(tokens)
    assert gate.peak == SLOTS


def test_a_slow_flag_is_evaluated_outside_the_gate(
    backend: str, client: TestClient, app: Any, make: Any, ctx: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick = make.challenge(flag="flag{quick}")
    slow = make.challenge(flag=None)
    content.create_flag(ctx, slow.id, "regex", r"^flag\{sl[o]w\}$", "")
    slow_tokens = [make.token(make.player_in_team(f"slow{i}")[0]) for i in range(SLOTS + 1)]
    quick_token = make.token(make.player_in_team("quickone")[0])
    evaluating = threading.Semaphore(0)
    go = threading.Event()
    matches = builtin.matching_flag

    def blocking(flags: Any, guess: str) -> int | None:
        if guess.startswith("slow"):
            evaluating.release()
            go.wait(WAIT)
        return matches(flags, guess)

    monkeypatch.setattr(builtin, "matching_flag", blocking)
    with ThreadPoolExecutor(len(slow_tokens)) as pool:
        pending = [pool.submit(_attempt, client, tok, slow.id, "slow guess") for tok in slow_tokens]
        # More slow evaluations at once than the gate has slots: they are outside it...
        assert sum(evaluating.acquire(timeout=WAIT) for _ in slow_tokens) == len(slow_tokens)
        # ...so a quick attempt is answered while they still run.
        assert _attempt(client, quick_token, quick.id, "flag{quick}").json()["data"]["status"] == "correct"
        go.set()
        assert [f.result(timeout=WAIT).json()["data"]["status"] for f in pending] == ["incorrect"] * len(
            slow_tokens
        )
    assert app.state.attempt_gate.peak <= app.state.attempt_gate.slots
