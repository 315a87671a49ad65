"""A real Kizuna server in a subprocess on a free loopback port, for tests that need one (the
browser tests, the ctfcli test, the live stream across processes). It is always stopped by its PID
when the block ends."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def server_env(folder: Path) -> dict[str, str]:
    """The settings of a test server whose data and SQLite database live in ``folder``."""
    return {
        "KIZUNA_DATA_DIR": str(folder / "data"),
        "KIZUNA_DATABASE_URL": f"sqlite:///{folder / 'kizuna.db'}",
        "KIZUNA_SECRET_KEY": "e2e-secret-key-not-for-production",
        "KIZUNA_ENVIRONMENT": "test",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(condition: Callable[[], Any], seconds: float) -> bool:
    """Whether ``condition()`` came true within ``seconds`` (asked every 50 ms, once more at the end)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


@dataclass
class LiveServer:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path


@contextmanager
def live_server(
    env: dict[str, str], log: Path, timeout: float = 30.0, factory: str = "kizuna.web.asgi:create"
) -> Iterator[LiveServer]:
    """Start ``uvicorn --factory FACTORY`` with ``env`` added to this environment (less any
    ``KIZUNA_`` variable of our own, so only ``env`` configures it); yield it once it answers."""
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("KIZUNA_")}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                factory,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env={**inherited, **env},
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:  # noqa: S310 - local
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the server did not start within {timeout:.0f}s:\n{log.read_text(errors='replace')}"
                )
            time.sleep(0.2)
        yield LiveServer(url, proc, log)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@contextmanager
def running_server(env: dict[str, str], log: Path, timeout: float = 30.0) -> Iterator[str]:
    """:func:`live_server`, yielding only its base URL."""
    with live_server(env, log, timeout) as server:
        yield server.url
