"""The open-streams benchmark runs end to end on a tiny dataset with a few streams
(``bench/streams.py --quick --streams 50 --seconds 2``, which is ``bench/load.py --sse 50``): W4
without and with the streams, every stream receives the probe solves, none is dropped. The delays
are reported, never checked against a bound here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(240)
def test_quick_streams_benchmark_delivers_a_solve_to_every_stream(tmp_path: Path) -> None:
    output = tmp_path / "streams.json"
    command = [sys.executable, str(ROOT / "bench" / "streams.py"), "--quick", "--streams", "50"]
    done = subprocess.run(
        [*command, "--batch", "25", "--seconds", "2", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=230,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    sse = json.loads(output.read_text())["sse"]
    assert sse["workers"] == 1  # every stream on one worker
    assert sse["streams"]["opened"] == sse["streams"]["still_open"] == 50
    assert sse["streams"]["failed"] == 0
    probes = sse["probes"]
    assert probes["accepted"] >= 1 and probes["missed"] == 0
    assert probes["deliveries"] == 50 * probes["accepted"]
    assert [r["name"] for r in sse["results"]] == [
        "W4 POST /api/v1/challenges/attempt (90% wrong), no stream",
        "W4 POST /api/v1/challenges/attempt (90% wrong), 50 streams open",
    ]
    assert all(r["errors"] == 0 and r["requests"] > 0 for r in sse["results"])
    assert "| W4 POST /api/v1/challenges/attempt (90% wrong), 50 streams open |" in done.stdout
    assert "kzn_" not in done.stdout + done.stderr  # tokens never printed
