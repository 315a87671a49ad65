"""``kizuna serve --workers 2`` starts robustly and spreads connections: each worker listens on its
own SO_REUSEPORT socket (kizuna.web.serving), uvicorn's supervisor (where that option is missing)
gives each worker ``KIZUNA_START_TIMEOUT`` seconds to answer its health check, and the module every
spawned worker re-imports (``kizuna.cli.main``) stays light."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
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
    from kizuna.cli.main import app
    from kizuna.web import serving

    seen: dict[str, Any] = {}

    def fake_serve(host: str, port: int, workers: int, options: dict[str, Any]) -> int:
        seen.update(options, workers=workers)
        return 0

    monkeypatch.setattr(serving, "serve", fake_serve)
    monkeypatch.setenv("KIZUNA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KIZUNA_START_TIMEOUT", "240")
    monkeypatch.delenv("KIZUNA_DATABASE_URL", raising=False)
    monkeypatch.delenv("KIZUNA_REDIS_URL", raising=False)
    result = CliRunner().invoke(app, ["serve", "--workers", "2", "--port", "1"])
    assert result.exit_code == 0, result.output
    assert seen["workers"] == 2
    assert seen["timeout_worker_healthcheck"] == 240
    assert seen["access_log"] is False


def test_serve_refuses_an_address_in_use(tmp_path: Path) -> None:
    """The supervisor checks the address before starting workers: a port another socket listens on
    (without SO_REUSEPORT) is refused at once instead of workers dying one after another."""
    from kizuna.web import serving

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            serving.serve("127.0.0.1", port, 2, {})


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


def _serve_two_workers(tmp_path: Path, port: int) -> tuple[subprocess.Popen[bytes], Path]:
    """``kizuna serve --workers 2`` on ``port`` over a fresh data directory; its output in the log."""
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
    return proc, log


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server we started (it stops its workers), then SIGKILL if it hangs."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the workers")
def test_serve_with_two_workers_answers_readyz_and_stops(tmp_path: Path) -> None:
    port = free_port()
    proc, log = _serve_two_workers(tmp_path, port)
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
        _stop(proc)
    assert proc.returncode == 0, log.read_text(errors="replace")
    assert "was not ready in time" not in log.read_text(errors="replace")


def _socket_inodes(pid: int) -> set[str]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[8:-1])
    return found


def _established_inodes(port: int) -> set[str]:
    """Inodes of established TCP sockets whose local port is ``port`` (the server's side)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                    found.add(inode)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs /proc to see the connections")
def test_connections_spread_over_the_workers(tmp_path: Path) -> None:
    """Issue 9: with one shared socket, 64 keep-alive connections all went to one worker. Each worker
    now has its own SO_REUSEPORT socket: 32 connections land on both workers."""
    port = free_port()
    proc, log = _serve_two_workers(tmp_path, port)
    conns: list[http.client.HTTPConnection] = []
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            workers = [p for p in _children(proc.pid) if p != proc.pid]
            ready = 0
            # Both workers must be listening before the connections are made.
            for _ in range(4):
                with contextlib.suppress(OSError):
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                        ready += r.status == 200
            listening = {w for w in set(workers) if _listens(w, port)}
            if ready == 4 and len(listening) >= 2:
                break
            time.sleep(0.3)
        for _ in range(32):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/healthz")
            assert conn.getresponse().read() == b'{"status":"ok"}'
            conns.append(conn)  # kept open: keep-alive, as a browser or wrk does
        established = _established_inodes(port)
        per_worker = {w: len(_socket_inodes(w) & established) for w in listening}
        assert sum(per_worker.values()) == 32, per_worker
        assert all(n > 0 for n in per_worker.values()), per_worker
    finally:
        for conn in conns:
            conn.close()
        _stop(proc)
    assert proc.returncode == 0, log.read_text(errors="replace")


def _listens(pid: int, port: int) -> bool:
    """Does process ``pid`` hold a listening socket on ``port``?"""
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    listening.add(fields[9])
    return bool(_socket_inodes(pid) & listening)
