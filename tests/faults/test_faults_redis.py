"""Redis down: submissions, rate limits and the stream keep working in this process (the bus delivers
locally), /readyz shows Redis degraded, and the bus reconnects when Redis returns."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from kizuna.bus.redis import RedisBus
from kizuna.services.context import Context
from kizuna.web.app import create_app
from tests.conftest import Factory, auth, make_sqlite_ctx
from tests.live_server import free_port, wait_until


def test_a_bus_without_redis_delivers_in_this_process() -> None:
    started = time.monotonic()
    bus = RedisBus(f"redis://127.0.0.1:{free_port()}/0")
    try:
        assert time.monotonic() - started < 5  # construction does not hang on a closed port
        got: list[dict[str, Any]] = []
        bus.subscribe(got.append)
        bus.publish({"type": "solve", "data": {"n": 1}})
        assert got == [{"type": "solve", "data": {"n": 1}}]
        assert bus.ping() is False
    finally:
        bus.close()


@pytest.fixture
def app_without_redis(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[Any, Context]]:
    settings, ctx = make_sqlite_ctx(
        tmp_path, sqlite_template, redis_url=f"redis://127.0.0.1:{free_port()}/0", attempt_rate_limit=2
    )
    yield settings, ctx
    ctx.bus.close()
    ctx.db.dispose()


def test_submissions_rate_limits_and_readiness_with_redis_down(
    app_without_redis: tuple[Any, Context],
) -> None:
    settings, ctx = app_without_redis
    make = Factory(ctx)
    player, _team = make.player_in_team()
    ch = make.challenge()
    headers = auth(make.token(player))
    heard: list[dict[str, Any]] = []
    ctx.bus.subscribe(heard.append)
    with TestClient(create_app(settings, ctx)) as client:
        answers = [
            client.post(
                "/api/v1/challenges/attempt",
                json={"challenge_id": ch.id, "submission": "no"},
                headers=headers,
            )
            for _ in range(3)
        ]
        assert [a.json()["data"]["status"] for a in answers] == ["incorrect", "incorrect", "ratelimited"]
        right = client.post(
            "/api/v1/challenges/attempt",
            json={"challenge_id": ch.id, "submission": "flag{test}"},
            headers=headers,
        )
        assert right.status_code in (200, 429)
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "unavailable"}
        assert ready.json()["degraded"] == ["redis"]
        assert "redis://" not in ready.text
    # The events of this process reached its own subscribers although Redis was down.
    assert "submission" in {e["type"] for e in heard}


def test_a_solve_with_redis_down_is_recorded_and_heard_locally(tmp_path: Path, sqlite_template: Path) -> None:
    settings, ctx = make_sqlite_ctx(tmp_path, sqlite_template, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    try:
        make = Factory(ctx)
        player, _team = make.player_in_team()
        ch = make.challenge()
        heard: list[dict[str, Any]] = []
        ctx.bus.subscribe(heard.append)
        with TestClient(create_app(settings, ctx)) as client:
            r = client.post(
                "/api/v1/challenges/attempt",
                json={"challenge_id": ch.id, "submission": "flag{test}"},
                headers=auth(make.token(player)),
            )
            assert r.status_code == 200 and r.json()["data"]["status"] == "correct"
            board = client.get("/api/v1/scoreboard").json()["data"]
            assert board[0]["score"] == 100
        assert "solve" in {e["type"] for e in heard}
    finally:
        ctx.bus.close()
        ctx.db.dispose()


@pytest.fixture
def redis_server_port(tmp_path: Path) -> Iterator[tuple[int, Any]]:
    """A port where a redis-server of our own can be started (and stopped by its PID) at will."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(proc)
        client = redis.Redis(port=port, socket_connect_timeout=0.5)
        assert wait_until(lambda: _answers(client), 10), "redis-server did not start"

    try:
        yield port, start
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def test_the_bus_reconnects_when_redis_returns(redis_server_port: tuple[int, Any]) -> None:
    port, start = redis_server_port
    url = f"redis://127.0.0.1:{port}/0"
    here = RedisBus(url)
    try:
        local: list[dict[str, Any]] = []
        here.subscribe(local.append)
        here.publish({"type": "announcement", "data": {"n": 1}})
        assert local == [{"type": "announcement", "data": {"n": 1}}]  # delivered locally while down
        assert not here.connected
        start()
        assert wait_until(lambda: here.connected, 15), "the bus did not reconnect"
        assert here.ping()
        # Now events travel through Redis: another replica's bus hears this one's.
        other = RedisBus(url)
        try:
            heard: list[dict[str, Any]] = []
            done = threading.Event()

            def hear(event: dict[str, Any]) -> None:
                heard.append(event)
                done.set()

            other.subscribe(hear)
            here.publish({"type": "announcement", "data": {"n": 2}})
            assert done.wait(10)
            assert heard == [{"type": "announcement", "data": {"n": 2}}]
            assert wait_until(lambda: len(local) == 2, 5)
            assert local[1] == {"type": "announcement", "data": {"n": 2}}
        finally:
            other.close()
    finally:
        here.close()


def test_readyz_shows_redis_ok_when_it_answers(tmp_path: Path, sqlite_template: Path, redis_url: str) -> None:
    settings, ctx = make_sqlite_ctx(tmp_path, sqlite_template, redis_url=redis_url)
    try:
        with TestClient(create_app(settings, ctx)) as client:
            r = client.get("/readyz")
            assert r.status_code == 200
            assert r.json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "ok"}
    finally:
        ctx.bus.close()
        ctx.db.dispose()
