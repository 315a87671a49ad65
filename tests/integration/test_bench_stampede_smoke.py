"""The stampede runs end to end with a few accounts (``bench/load.py --quick --stampede``): every
account logs in through the form and loads the challenge page and API while the scoreboard is
polled; no failed log-in, no error. The time is reported, never checked here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(180)
def test_quick_stampede_logs_every_account_in(tmp_path: Path) -> None:
    output = tmp_path / "stampede.json"
    command = [sys.executable, str(ROOT / "bench" / "load.py"), "--quick", "--stampede"]
    done = subprocess.run(
        [*command, "--stampede-accounts", "6", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=170,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    outcome = json.loads(output.read_text())["stampede"]
    assert outcome["accounts"] == outcome["logged_in"] == 6
    assert outcome["failed_logins"] == 0
    steps = outcome["steps"]
    for name in ("GET /login", "POST /login", "GET /challenges", "GET /api/v1/challenges"):
        assert steps[name]["requests"] == 6 and steps[name]["errors"] == 0, (name, steps[name])
        assert steps[name]["p99_ms"] >= steps[name]["p50_ms"] > 0
    polls = steps["GET /api/v1/scoreboard (polling)"]
    assert polls["requests"] >= 1 and polls["errors"] == 0
    assert "| POST /login | 6 | 0 |" in done.stdout
    assert "kzn_" not in done.stdout + done.stderr
