"""The load benchmark runs end to end on a tiny dataset (``bench/load.py --quick --seconds 1``)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROWS = [
    "GET /api/v1/scoreboard",
    "GET /api/v1/scoreboard/top/10",
    "GET /api/v1/challenges (player)",
    "POST /api/v1/challenges/attempt (90% wrong)",
    "GET /static/kizuna.css (ceiling)",
]


@pytest.mark.timeout(120)
def test_quick_benchmark_prints_five_rows(tmp_path: Path) -> None:
    output = tmp_path / "latest.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "load.py"),
            "--quick",
            "--seconds",
            "1",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=110,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    rows = re.findall(r"^\| (GET|POST) ([^|]+?) \| (\d+) \| (\d+) \|", done.stdout, re.M)
    assert [f"{method} {name}" for method, name, _n, _rps in rows] == ROWS
    assert all(int(n) > 0 for _m, _name, n, _rps in rows)
    report = json.loads(output.read_text())
    assert [r["name"] for r in report["results"]] == ROWS
    assert all(r["errors"] == 0 and r["p99_ms"] >= r["p50_ms"] > 0 for r in report["results"])
    assert report["seeding"]["attempt_answers"]["correct"] == report["dataset"]["solves"]
    assert "kzn_" not in done.stdout + done.stderr  # tokens never printed
