"""The open-streams benchmark runs end to end on a tiny dataset with a few streams
(``bench/streams.py --quick --streams 50 --seconds 1``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(240)
def test_quick_streams_benchmark_holds_every_stream(tmp_path: Path) -> None:
    output = tmp_path / "streams.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "streams.py"),
            "--quick",
            "--streams",
            "50",
            "--batch",
            "25",
            "--seconds",
            "1",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=230,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(output.read_text())
    assert report["streams"]["opened"] == report["streams"]["still_open"] == 50
    assert report["streams"]["failed"] == 0
    announcements = report["announcements"]
    assert announcements["missed"] == 0 and announcements["deliveries"] == 50 * announcements["count"]
    names = [r["name"] for r in report["results"]]
    assert names == [
        "POST /api/v1/challenges/attempt (90% wrong), no stream",
        "POST /api/v1/challenges/attempt (all wrong), no stream",
        "POST /api/v1/challenges/attempt (90% wrong), 50 streams open",
        "POST /api/v1/challenges/attempt (all wrong), 50 streams open",
    ]
    assert all(r["errors"] == 0 and r["requests"] > 0 for r in report["results"])
    assert "| POST /api/v1/challenges/attempt (90% wrong), 50 streams open |" in done.stdout
    assert "kzn_" not in done.stdout + done.stderr  # tokens never printed
