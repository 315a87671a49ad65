"""``kizuna serve --workers 2`` starts robustly: uvicorn's supervisor gives each worker
``KIZUNA_START_TIMEOUT`` seconds (not its 5 s default) to answer its health check, and the module
every spawned worker re-imports before it can answer (``kizuna.cli.main``) stays light."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("fastapi", "starlette", "sqlalchemy", "alembic", "jinja2", "redis", "kizuna.web.app")


def test_the_cli_module_imports_nothing_heavy() -> None:
    """multiprocessing's "spawn" re-imports the ``kizuna`` script (so ``kizuna.cli.main``) in every
    worker before the worker starts answering the supervisor's pings."""
    code = f"import sys, kizuna.cli.main; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_serve_gives_workers_the_start_timeout(tmp_path: Path, monkeypatch: Any) -> None:
    import uvicorn

    from kizuna.cli.main import app

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    monkeypatch.setenv("KIZUNA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KIZUNA_START_TIMEOUT", "240")
    monkeypatch.delenv("KIZUNA_DATABASE_URL", raising=False)
    monkeypatch.delenv("KIZUNA_REDIS_URL", raising=False)
    result = CliRunner().invoke(app, ["serve", "--workers", "2", "--port", "1"])
    assert result.exit_code == 0, result.output
    assert seen["workers"] == 2
    assert seen["timeout_worker_healthcheck"] == 240


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the workers")
def test_serve_with_two_workers_answers_readyz_and_stops(tmp_path: Path) -> None:
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("KIZUNA_")}
    env = {
        **inherited,
        "KIZUNA_DATA_DIR": str(tmp_path / "data"),
        "KIZUNA_SECRET_KEY": "faults-serve-secret",
        "KIZUNA_ENVIRONMENT": "test",
        "KIZUNA_LOG_LEVEL": "warning",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kizuna.cli.main", "serve", "--workers", "2", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text(errors="replace")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    body = json.loads(r.read())
                    if r.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.3)
        assert body.get("status") == "ok", log.read_text(errors="replace")
        workers = [p for p in _children(proc.pid) if p != proc.pid]
        assert len(workers) >= 2, workers
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
    assert proc.returncode == 0, log.read_text(errors="replace")
    assert "was not ready in time" not in log.read_text(errors="replace")
