"""The load benchmark runs end to end on a tiny dataset (``bench/load.py --quick --seconds 1``): every
row, the bare-ASGI reference, no error (a 429 from the attempt limits included). Never a speed check."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROWS = [
    "W1 GET /api/v1/scoreboard",
    "W1 GET /api/v1/scoreboard, gzip (as browsers ask)",
    "W2 GET /api/v1/scoreboard/top/10",
    "W3 GET /api/v1/challenges (player)",
    "W4 POST /api/v1/challenges/attempt (90% wrong)",
    "W5 GET /static/kizuna.css (ceiling)",
    "bare ASGI, same bytes (reference)",
    "bare ASGI, same bytes and headers (reference)",
    "bare ASGI, W1's bytes (reference)",
]


@pytest.mark.timeout(180)
def test_quick_benchmark_prints_every_row_without_errors(tmp_path: Path) -> None:
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
        timeout=170,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    printed = re.findall(r"^\| ((?:W\d|bare)[^|]+?) \| (\d+) \|", done.stdout, re.M)
    assert [name for name, _rps in printed] == ROWS
    report = json.loads(output.read_text())
    results = report["results"]
    assert [r["name"] for r in results] == ROWS
    assert report["load"]["engine"] == ("wrk" if shutil.which("wrk") else "python")
    for r in results:
        assert r["errors"] == 0 and r["requests"] > 0, r
        assert r["p99_ms"] >= r["p50_ms"] > 0, r
        assert r["cpu_percent"] and r["rss_mb"] and r["load_before"], r
    attempts = next(r for r in results if "attempt" in r["name"])
    assert set(attempts["statuses"]) == {"200"}, attempts["statuses"]  # no 429: the plan keeps the limits
    assert attempts["wrapped"] == 0
    assert next(r for r in results if "ceiling" in r["name"])["ratio_to_ceiling"] == 1.0
    assert len(results[0]["cpu_percent"]) == report["workers"] == 2  # one figure per worker process
    assert report["seeding"]["solves"] == report["dataset"]["solves"]
    assert report["planning"]["attempt_rate_limit"] == 10  # the server's default limit, not switched off
    assert report["machine"]["cpus"] and report["machine"]["python"]
    assert "kzn_" not in done.stdout + done.stderr + output.read_text()  # tokens never printed


@pytest.mark.timeout(60)
def test_the_bare_reference_sends_the_headers_and_bytes_it_is_given(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import harness  # bench/harness.py
    finally:
        sys.path.remove(str(ROOT / "bench"))
    size = (ROOT / "src/kizuna/web/static/kizuna.css").stat().st_size
    given = [
        ("content-type", "text/css; charset=utf-8"),
        ("content-length", str(size)),
        ("x-frame-options", "DENY"),
        ("content-security-policy", "default-src 'none'; sandbox"),
    ]
    (tmp_path / "headers.json").write_text(json.dumps(given))
    server = harness.bare_server(1, tmp_path / "bare.log", tmp_path / "headers.json")
    try:
        assert harness.app_answer(server.port, "/static/kizuna.css")[0] == given
    finally:
        server.stop()
    (tmp_path / "board.json").write_bytes(b'{"success":true,"data":[]}')
    server = harness.bare_server(1, tmp_path / "bare1.log", body=tmp_path / "board.json")
    try:
        headers, body = harness.app_answer(server.port, "/")
        assert body == b'{"success":true,"data":[]}'
        assert dict(headers)["content-type"] == "application/json"
    finally:
        server.stop()
    # A content-length that is not the file's is refused.
    (tmp_path / "wrong.json").write_text(json.dumps([("content-length", "1")]))
    with pytest.raises(SystemExit):
        harness.bare_server(1, tmp_path / "bare2.log", tmp_path / "wrong.json")
