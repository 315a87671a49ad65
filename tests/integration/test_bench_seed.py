"""``bench/seed.py``: the fast, in-process seeding stores what the API would have stored. The same
tiny event seeded both ways — through the HTTP API (as ``bench/load.py --seed api`` does) and in
bulk — gives the same ``/api/v1/scoreboard`` (timestamps aside) and the same challenge values and
solve counts, and ``kizuna doctor`` finds nothing wrong with a fast-seeded event in either mode."""

from __future__ import annotations

import dataclasses
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import harness  # noqa: E402 - bench/harness.py
import seed as seeding  # noqa: E402 - bench/seed.py

TINY = seeding.Dataset("tiny", accounts=6, challenges=4, solves=10, wrong=24)


def board_and_challenges(base: str, admin_token: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    headers = {"Authorization": f"Token {admin_token}"}
    board = httpx.get(f"{base}/api/v1/scoreboard", timeout=30).json()["data"]
    listed = httpx.get(f"{base}/api/v1/challenges", headers=headers, timeout=30).json()["data"]
    challenges = {c["name"]: (c["value"], c["solves"]) for c in listed}
    return board, challenges


def seeded_event(work: Path, way: str) -> tuple[list[dict[str, Any]], dict[str, Any], seeding.Seeded]:
    # The API way seeds through a server without the attempt limit, as bench/load.py does.
    extra = {"KIZUNA_ATTEMPT_RATE_LIMIT": "0"} if way == "api" else {}
    env = harness.server_env(work / "data", **extra)
    admin_token = seeding.prepare(env, "users")
    rng = random.Random(20261128)
    if way == "fast":
        seeded = seeding.seed_fast(env, TINY, admin_token, rng)
    server = harness.kizuna_server(env, 1, work / "server.log")
    try:
        if way == "api":
            seeded = seeding.seed_api(server.base, TINY, admin_token, rng)
        board, challenges = board_and_challenges(server.base, admin_token)
    finally:
        server.stop()
    return board, challenges, seeded


@pytest.mark.timeout(240)
def test_fast_seeding_gives_the_scoreboard_the_api_gives(tmp_path: Path) -> None:
    api_board, api_challenges, api = seeded_event(tmp_path / "api", "api")
    fast_board, fast_challenges, fast = seeded_event(tmp_path / "fast", "fast")
    assert api.statuses["correct"] == fast.statuses["correct"] == TINY.solves
    assert sum(api.statuses.values()) == sum(fast.statuses.values()) == TINY.submissions
    assert {p.name for p in api.players} == {p.name for p in fast.players}
    # Timestamps differ, and so may the order of accounts tied on points: compare without them.
    assert {r["name"]: r["score"] for r in api_board} == {r["name"]: r["score"] for r in fast_board}
    assert [(r["pos"], r["score"]) for r in api_board] == [(r["pos"], r["score"]) for r in fast_board]
    assert len(fast_board) == TINY.accounts and any(r["score"] > 0 for r in fast_board)
    assert api_challenges == fast_challenges  # decayed values and solve counts
    assert any(name for name, (value, _solves) in fast_challenges.items() if value < 500)  # some decayed


@pytest.mark.timeout(240)
@pytest.mark.parametrize("mode", ["users", "teams"])
def test_a_fast_seeded_event_passes_the_doctor(tmp_path: Path, mode: str) -> None:
    data = dataclasses.replace(TINY, mode=mode, members=(1, 4) if mode == "teams" else (1, 1))
    env = harness.server_env(tmp_path / "data")
    seeded = seeding.seed_fast(env, data, seeding.prepare(env, mode), random.Random(7))
    assert len({p.account for p in seeded.players}) == data.accounts
    assert len(seeded.solved) == data.solves
    assert seeded.statuses["correct"] == data.solves
    kizuna = shutil.which("kizuna", path=str(Path(sys.executable).parent)) or "kizuna"
    checked = subprocess.run(
        [kizuna, "doctor", "--lang", "en"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # Every player can use the API with its token, and the board ranks every account.
    server = harness.kizuna_server(env, 1, tmp_path / "server.log")
    try:
        player = seeded.players[0]
        mine = httpx.get(
            f"{server.base}/api/v1/challenges",
            headers={"Authorization": f"Token {seeded.tokens[player.user_id]}"},
            timeout=30,
        )
        assert mine.status_code == 200
        solved = {c["id"] for c in mine.json()["data"] if c.get("solved_by_me")}
        assert solved == {cid for account, cid in seeded.solved if account == player.account}
        board = httpx.get(f"{server.base}/api/v1/scoreboard", timeout=30).json()["data"]
        assert len(board) == data.accounts
        if mode == "teams":
            assert sum(len(r["members"]) for r in board) == len(seeded.players)
    finally:
        server.stop()
