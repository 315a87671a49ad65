"""Kill -9 during a burst of flag submissions, on SQLite and PostgreSQL: a real server process takes
a bounded burst from threads (right and wrong answers, many in parallel for the same team), is killed
with SIGKILL half-way, and restarted. Then every acknowledged attempt (one that got a JSON answer) is
stored, no team solved a challenge twice, and the scoreboard equals a recomputation from the rows —
which ``kizuna doctor`` confirms as well."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from kizuna.bootstrap import prepare_database
from kizuna.services import content, doctor
from kizuna.settings import load_settings
from kizuna.storage import tables as t
from kizuna.web.app import build_context
from tests.conftest import Factory, no_two_factor_requirement
from tests.faults.conftest import fresh_pg_database
from tests.live_server import live_server

TEAMS = 4
THREADS_PER_TEAM = 4
ATTEMPTS_PER_THREAD = 12
KILL_AFTER = 40  # acknowledged answers before the SIGKILL
SECRET = "kill9-test-secret"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kill9.db'}"
        return
    with fresh_pg_database() as url:
        yield url


def _environment(url: str, data_dir: Path) -> dict[str, str]:
    return {
        "KIZUNA_DATABASE_URL": url,
        "KIZUNA_DATA_DIR": str(data_dir),
        "KIZUNA_SECRET_KEY": SECRET,
        "KIZUNA_ENVIRONMENT": "test",
        "KIZUNA_ATTEMPT_RATE_LIMIT": "0",
    }


def _seed(url: str, data_dir: Path) -> dict[str, Any]:
    settings = load_settings(
        environ={}, database_url=url, data_dir=data_dir, secret_key=SECRET, environment="test"
    )
    ctx = build_context(settings)
    try:
        prepare_database(ctx.db)
        no_two_factor_requirement(ctx.db)
        make = Factory(ctx)
        static = make.challenge(flag=None, value=100)
        dynamic = make.challenge(
            flag=None, type="dynamic", function="linear", initial=500, minimum=100, decay=50
        )
        for ch in (static, dynamic):
            # Every right answer is different, so each acknowledged one can be found again.
            content.create_flag(ctx, ch.id, "regex", r"flag\{ok-[a-z0-9-]+\}", "")
        teams = []
        for n in range(TEAMS):
            captain, team = make.player_in_team(f"captain{n}", f"team{n}")
            mate = make.user(f"mate{n}")
            make.join(mate, team)
            teams.append({"id": team.id, "tokens": [make.token(captain), make.token(mate)]})
        return {"settings": settings, "challenges": [static.id, dynamic.id], "teams": teams}
    finally:
        ctx.db.dispose()
        ctx.bus.close()


class Burst:
    """Threads sending attempts until they are done or the server is gone; records what was
    acknowledged (a JSON answer with an attempt status)."""

    def __init__(self, url: str, world: dict[str, Any]) -> None:
        self.url = url
        self.world = world
        self.acknowledged: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.enough = threading.Event()
        self.start = threading.Barrier(TEAMS * THREADS_PER_TEAM)

    def run(self, team_index: int, thread_index: int) -> None:
        team = self.world["teams"][team_index]
        token = team["tokens"][thread_index % 2]
        with httpx.Client(base_url=self.url, timeout=20) as client:
            self.start.wait(timeout=30)
            for i in range(ATTEMPTS_PER_THREAD):
                challenge_id = self.world["challenges"][(thread_index + i) % 2]
                tag = f"{team_index}-{thread_index}-{i}"
                guess = f"flag{{ok-{tag}}}" if i % 3 == 0 else f"wrong-{tag}"
                try:
                    r = client.post(
                        "/api/v1/challenges/attempt",
                        json={"challenge_id": challenge_id, "submission": guess},
                        headers={"Authorization": f"Token {token}"},
                    )
                    data = r.json().get("data") or {}
                except (httpx.HTTPError, ValueError):
                    return  # the server is gone: this attempt and the rest are not acknowledged
                if r.status_code < 500 and data.get("status"):
                    with self.lock:
                        self.acknowledged.append(
                            {
                                "team": team["id"],
                                "challenge": challenge_id,
                                "guess": guess,
                                "status": data["status"],
                            }
                        )
                        if len(self.acknowledged) >= KILL_AFTER:
                            self.enough.set()


def test_kill_9_during_a_burst_loses_no_acknowledged_attempt(database_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    world = _seed(database_url, data_dir)
    env = _environment(database_url, data_dir)
    with live_server(env, tmp_path / "first.log", timeout=60) as server:
        burst = Burst(server.url, world)
        threads = [
            threading.Thread(target=burst.run, args=(team, n), daemon=True)
            for team in range(TEAMS)
            for n in range(THREADS_PER_TEAM)
        ]
        for thread in threads:
            thread.start()
        assert burst.enough.wait(60), "the burst was not answered"
        os.kill(server.proc.pid, signal.SIGKILL)
        server.proc.wait(timeout=10)
        for thread in threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads)
    acknowledged = list(burst.acknowledged)
    assert len(acknowledged) >= KILL_AFTER
    assert len(acknowledged) < TEAMS * THREADS_PER_TEAM * ATTEMPTS_PER_THREAD  # killed half-way

    with live_server(env, tmp_path / "second.log", timeout=60) as server:
        board = httpx.get(f"{server.url}/api/v1/scoreboard", timeout=20).json()["data"]

    ctx = build_context(world["settings"])
    try:
        with ctx.db.read() as s:
            stored = {
                (sub.account_id, sub.challenge_id, sub.provided): sub.type
                for sub in s.scalars(select(t.Submission))
            }
            solves = list(s.execute(select(t.Solve.account_id, t.Solve.challenge_id)))
            duplicates = list(
                s.execute(
                    select(t.Solve.challenge_id, t.Solve.account_id, func.count())
                    .group_by(t.Solve.challenge_id, t.Solve.account_id)
                    .having(func.count() > 1)
                )
            )
            values = {c.id: c.value for c in s.scalars(select(t.Challenge))}
            awards = list(s.execute(select(t.Award.account_id, t.Award.value)))
        # Every acknowledged attempt is stored, with the outcome the player was told.
        for ack in acknowledged:
            key = (ack["team"], ack["challenge"], ack["guess"])
            assert key in stored, ack
            assert stored[key] == ack["status"], (ack, stored[key])
        # Each acknowledged right answer means a solve for that team.
        solved = set(solves)
        for ack in acknowledged:
            if ack["status"] == "correct":
                assert (ack["team"], ack["challenge"]) in solved
        assert duplicates == []
        expected: dict[int, int] = {}
        for account_id, challenge_id in solves:
            expected[account_id] = expected.get(account_id, 0) + values[challenge_id]
        for account_id, value in awards:
            expected[account_id] = expected.get(account_id, 0) + value
        assert {row["account_id"]: row["score"] for row in board if row["score"]} == {
            a: v for a, v in expected.items() if v
        }
        assert doctor.examine(ctx).problems == []
    finally:
        ctx.db.dispose()
        ctx.bus.close()
