"""Kizuna on a Redis Cluster of its own: three masters on loopback, started and stopped by the tests.

``redis+cluster://`` URLs make the throttle count in the cluster (each counter a one-key script on
the node that owns the key) and the bus publish and listen on one node of it (classic pub/sub
reaches every node). Checked: two counters of two "processes" count exactly on keys of every node
without falling back to the database; an event published by one context reaches another context
listening on another node, also after that node dies; ``/readyz`` says ok, then degraded once the
cluster is stopped. Needs the ``redis-server`` and ``redis-cli`` binaries (skipped without them,
failing under CI=true).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import random
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from redis.cluster import RedisCluster

from kizuna.bus.redis import RedisBus
from kizuna.redis_url import is_cluster_url, parse_cluster_url
from kizuna.services import throttle
from kizuna.services.context import Context
from kizuna.services.throttle import LOGIN_PER_ACCOUNT, Throttle, Throttled
from kizuna.storage import rate_redis
from kizuna.storage.rate_redis import PREFIX, RedisCounter
from kizuna.web.app import build_context, create_app
from tests.conftest import Factory, auth, make_sqlite_ctx, unavailable
from tests.live_server import wait_until

BUS_PORT_OFFSET = 10000  # a cluster node also listens on its port + 10000 (the cluster bus)


class Cluster:
    """Three ``redis-server`` masters with ``cluster-enabled``; ``stop`` ends them by PID."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.ports: list[int] = []
        self.procs: list[subprocess.Popen[bytes]] = []

    def url(self, *indexes: int) -> str:
        """A ``redis+cluster://`` URL whose seeds are the given nodes (all by default)."""
        chosen = indexes or tuple(range(len(self.ports)))
        return "redis+cluster://" + ",".join(f"127.0.0.1:{self.ports[i]}" for i in chosen) + "/"

    def node(self, index: int) -> str:
        return f"127.0.0.1:{self.ports[index]}"

    def start(self) -> None:
        for port in _free_node_ports(3):
            self.ports.append(port)
            self.procs.append(
                subprocess.Popen(
                    [
                        shutil.which("redis-server") or "redis-server",
                        "--port", str(port),
                        "--bind", "127.0.0.1",
                        "--cluster-enabled", "yes",
                        "--cluster-config-file", str(self.workdir / f"nodes-{port}.conf"),
                        "--cluster-node-timeout", "2000",
                        "--save", "",
                        "--appendonly", "no",
                        "--dir", str(self.workdir),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip
        for port in self.ports:
            assert wait_until(functools.partial(_answers, port), 10), f"redis-server on {port} did not start"
        created = subprocess.run(
            [
                shutil.which("redis-cli") or "redis-cli",
                "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
                "--cluster-replicas", "0", "--cluster-yes",
            ],
            capture_output=True,
            timeout=30,
            check=False,
        )  # fmt: skip
        assert created.returncode == 0, created.stdout.decode(errors="replace")[-2000:]
        assert wait_until(self.ok, 20), "the cluster did not reach cluster_state:ok"

    def ok(self) -> bool:
        """Every node says ``cluster_state:ok``."""
        try:
            return all(
                redis.Redis(port=p, socket_timeout=1).cluster("INFO")["cluster_state"] == "ok"
                for p in self.ports
            )
        except Exception:
            return False

    def kill(self, index: int) -> None:
        proc = self.procs[index]
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_node_ports(count: int) -> list[int]:
    """Ports free for a node and for its cluster bus (port + 10000)."""
    found: list[int] = []
    candidates = random.sample(range(20000, 45000), 400)
    for port in candidates:
        if port not in found and _free(port) and _free(port + BUS_PORT_OFFSET):
            found.append(port)
            if len(found) == count:
                return found
    raise RuntimeError("no free ports for a test cluster")


def _answers(port: int) -> bool:
    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


def _binaries() -> None:
    missing = [name for name in ("redis-server", "redis-cli") if shutil.which(name) is None]
    if missing:
        unavailable("Redis Cluster", f"{' and '.join(missing)} not installed")


@pytest.fixture
def start_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], Cluster]]:
    """Start clusters of the test's own; every one is stopped at the end, whatever happened."""
    _binaries()
    started: list[Cluster] = []

    def start() -> Cluster:
        cluster = Cluster(tmp_path_factory.mktemp("cluster"))
        started.append(cluster)
        cluster.start()
        return cluster

    try:
        yield start
    finally:
        for cluster in started:
            cluster.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One cluster for the tests that leave it running."""
    _binaries()
    shared = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        shared.start()
        yield shared
    finally:
        shared.stop()


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.redis
def test_two_counters_count_exactly_on_every_node_without_falling_back(
    cluster: Cluster, ctx: Context, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.WARNING)
    # In production a node that takes 0.5 s is treated as down (the database counts instead); on a
    # loaded test machine a node can stall that long, and this test is about counting, not timeouts.
    monkeypatch.setattr(rate_redis, "_TIMEOUT_SECONDS", 10.0)
    # Two "processes", seeded with different nodes, hitting the same keys from eight threads.
    one, two = RedisCounter(cluster.url(0)), RedisCounter(cluster.url(1, 2))
    keys = [f"test:cluster:{i}" for i in range(150)]
    rounds = 4
    counts: dict[str, list[int]] = {k: [] for k in keys}
    lock = threading.Lock()

    def hit(job: tuple[int, str]) -> None:
        n, key = job
        count, left = (one, two)[n % 2].hit(key, 600)
        assert 0 < left <= 600
        with lock:
            counts[key].append(count)

    jobs = [(n, k) for n in range(rounds) for k in keys]
    random.Random(9).shuffle(jobs)
    check: Any = RedisCluster(host="127.0.0.1", port=cluster.ports[2])
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(hit, jobs))
        # Atomic and exact: every key answered 1, 2, 3, 4 once each, and holds 4 with an expiry.
        assert {k: sorted(c) for k, c in counts.items()} == {k: [1, 2, 3, 4] for k in keys}
        names = [PREFIX + k for k in keys]
        assert [int(check.get(name)) for name in names] == [rounds] * len(keys)
        assert all(0 < check.ttl(name) <= 600 for name in names)
        assert {check.get_node_from_key(name).port for name in names} == set(cluster.ports)

        # Through the throttle: counted in the cluster (never the database table), refunds, 429.
        gates = [Throttle(ctx, one), Throttle(ctx, two)]
        limit = throttle.Limit("test:cluster:gate", 3, 60, LOGIN_PER_ACCOUNT.error)
        for subject in (f"player-{i}" for i in range(40)):
            taken = [gates[n % 2].take(limit, subject) for n in range(3)]
            assert [h.backend for h in taken] == ["redis"] * 3
            with pytest.raises(Throttled) as caught:
                gates[0].take(limit, subject)
            assert 0 < caught.value.retry_after <= 60
            gates[1].refund(taken[0])
            name = PREFIX + throttle.bucket_key(limit, subject)
            assert int(check.get(name)) == 3  # four taken, one given back
    finally:
        check.close()
        one.close()
        two.close()
    assert _warnings(caplog) == []


def _solve(settings: Any, ctx: Context) -> None:
    """A real solve through the API of the context's app (its events go on the bus)."""
    make = Factory(ctx)
    player, _team = make.player_in_team()
    challenge = make.challenge()
    with TestClient(create_app(settings, ctx)) as client:
        answer = client.post(
            "/api/v1/challenges/attempt",
            json={"challenge_id": challenge.id, "submission": "flag{test}"},
            headers=auth(make.token(player)),
        )
        assert answer.status_code == 200 and answer.json()["data"]["status"] == "correct"


@pytest.mark.redis
def test_an_event_reaches_a_context_listening_on_another_node(
    cluster: Cluster, tmp_path: Path, sqlite_template: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    settings_a, ctx_a = make_sqlite_ctx(tmp_path, sqlite_template, redis_url=cluster.url(0))
    # Another process on the same database, its bus seeded with another node.
    ctx_b = build_context(dataclasses.replace(settings_a, redis_url=cluster.url(1)))
    try:
        bus_a, bus_b = ctx_a.bus, ctx_b.bus
        assert isinstance(bus_a, RedisBus) and isinstance(bus_b, RedisBus)
        assert bus_a.home_node == cluster.node(0) and bus_b.home_node == cluster.node(1)
        assert bus_a.connected and bus_b.connected
        heard: list[dict[str, Any]] = []
        ctx_b.bus.subscribe(heard.append)
        _solve(settings_a, ctx_a)
        assert wait_until(lambda: "solve" in {e["type"] for e in heard}, 10), heard
        assert bus_a.ping() and bus_b.ping()
    finally:
        ctx_a.bus.close()
        ctx_b.bus.close()
        ctx_a.db.dispose()
        ctx_b.db.dispose()
    assert _warnings(caplog) == []


@pytest.mark.redis
def test_a_bus_moves_to_another_node_when_its_node_dies_and_events_still_travel(
    start_cluster: Callable[[], Cluster],
) -> None:
    cluster = start_cluster()
    channel = f"test:cluster:{random.random()}"
    sender = RedisBus(cluster.url(0), channel=channel)
    listener = RedisBus(cluster.url(1), channel=channel)  # learns the other nodes when it connects
    try:
        heard: list[dict[str, Any]] = []
        listener.subscribe(heard.append)
        sender.publish({"type": "scoreboard", "data": {"n": 1}})
        assert wait_until(lambda: len(heard) == 1, 10)
        cluster.kill(1)  # the listener's node
        assert wait_until(lambda: listener.connected and listener.home_node != cluster.node(1), 20)
        # Once the others mark the node failed, the cluster is down (a third of the slots has no
        # node): readiness says so, and events still travel (PUBLISH names no key).
        assert wait_until(lambda: not sender.ping() and not listener.ping(), 30)
        sender.publish({"type": "scoreboard", "data": {"n": 2}})
        assert wait_until(lambda: len(heard) == 2, 10), heard
        assert heard[1] == {"type": "scoreboard", "data": {"n": 2}}
    finally:
        sender.close()
        listener.close()


@pytest.mark.redis
def test_readyz_is_ok_on_a_cluster_and_degraded_once_it_is_stopped(
    start_cluster: Callable[[], Cluster], tmp_path: Path, sqlite_template: Path
) -> None:
    cluster = start_cluster()
    settings, ctx = make_sqlite_ctx(tmp_path, sqlite_template, redis_url=cluster.url(0, 1, 2))
    try:
        with TestClient(create_app(settings, ctx)) as client:
            ready = client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"]["redis"] == "ok"
            cluster.stop()
            assert wait_until(lambda: client.get("/readyz").status_code == 503, 20)
            ready = client.get("/readyz")
            assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "unavailable"}
            assert ready.json()["degraded"] == ["redis"]
            assert "127.0.0.1" not in ready.text and "cluster" not in ready.text
    finally:
        ctx.bus.close()
        ctx.db.dispose()


# --- without a cluster: the URL form, and a cluster that cannot be reached ------------------------


def test_cluster_urls_name_seed_nodes_and_keep_credentials_and_options_for_each_node() -> None:
    parsed = parse_cluster_url("redis+cluster://h1:7000,h2/")
    assert parsed.nodes == (("h1", 7000), ("h2", 6379))
    assert parsed.node_url("h2", 6379) == "redis://h2:6379/0"
    tls = parse_cluster_url("rediss+cluster://kizuna:p%40ss@[::1]:7000,10.0.0.2:7001/0?ssl_cert_reqs=none")
    assert tls.nodes == (("::1", 7000), ("10.0.0.2", 7001))
    assert tls.node_url("::1", 7000) == "rediss://kizuna:p%40ss@[::1]:7000/0?ssl_cert_reqs=none"
    assert is_cluster_url("REDIS+CLUSTER://h:1/") and is_cluster_url("rediss+cluster://h:1")
    assert not is_cluster_url("redis://h:1/0") and not is_cluster_url("")


@pytest.mark.parametrize(
    "url",
    [
        "redis+cluster://kizuna:secret@h1:7000/3",
        "redis+cluster://kizuna:secret@/",
        "redis+cluster://kizuna:secret@h1:port/",
        "redis://kizuna:secret@h1:7000/0",
    ],
)
def test_a_cluster_url_kizuna_cannot_use_is_refused_at_start_without_echoing_it(url: str) -> None:
    for build in (parse_cluster_url, RedisCounter, RedisBus):
        if build is not parse_cluster_url and not is_cluster_url(url):
            continue
        with pytest.raises(ValueError) as caught:
            build(url)
        assert "secret" not in str(caught.value)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_cluster_that_cannot_be_reached_falls_back_as_a_single_redis_does(ctx: Context) -> None:
    url = f"redis+cluster://127.0.0.1:{_closed_port()},127.0.0.1:{_closed_port()}/"
    started = time.monotonic()
    gate = Throttle(ctx, RedisCounter(url))  # no connection yet: the client is built on first use
    limit = throttle.Limit("test:cluster:down", 2, 60, LOGIN_PER_ACCOUNT.error)
    assert [gate.take(limit, "s").backend for _ in range(2)] == ["table", "table"]
    with pytest.raises(Throttled):
        gate.take(limit, "s")
    bus = RedisBus(url)
    try:
        heard: list[dict[str, Any]] = []
        bus.subscribe(heard.append)
        bus.publish({"type": "scoreboard", "data": {}})
        assert heard == [{"type": "scoreboard", "data": {}}] and bus.ping() is False
    finally:
        bus.close()
    assert time.monotonic() - started < 20  # refused connections fail at once, not after retries
