"""A locked or unreachable database gives 503 + Retry-After with a message in the caller's language
(never "incorrect", never a plain-text 500), /healthz and /readyz say what is degraded, and service
resumes by itself when the database is back."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from kizuna.services.context import Context
from kizuna.storage import db as db_module
from kizuna.storage import tables as t
from kizuna.storage.db import Database
from kizuna.web.app import build_context, create_app
from kizuna.web.failures import UnavailableMiddleware
from tests.conftest import Factory, _settings, _truncate_pg, auth, login, no_two_factor_requirement

JA_MESSAGE = "サービスが混み合っているか、一時的に利用できません。5秒後にもう一度お試しください。"
EN_MESSAGE = "The service is busy or briefly unavailable. Please try again in 5 seconds."


@pytest.fixture
def quick(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, sqlite_template: Path, monkeypatch: Any
) -> Iterator[tuple[Any, Context]]:
    """The app on a database whose lock waits end after about a second (the defaults are 10-15 s)."""
    monkeypatch.setattr(db_module, "SQLITE_BUSY_SECONDS", 1)
    monkeypatch.setattr(db_module, "PG_LOCK_TIMEOUT_MS", 1000)
    if backend == "postgresql":
        shared: Database = request.getfixturevalue("pg_database")
        _truncate_pg(shared)
        url = shared.url
    else:
        path = tmp_path / "kizuna.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    settings = _settings(tmp_path, url)
    ctx = build_context(settings, db=Database(url))
    yield settings, ctx
    ctx.db.dispose()


class Lock:
    """Another connection holding the lock a flag attempt needs (SQLite's write lock; on PostgreSQL
    the submissions table)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Any = None

    def __enter__(self) -> Lock:
        if self.url.startswith("sqlite"):
            self.conn = sqlite3.connect(self.url.split("///", 1)[1], isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
            self.conn = psycopg.connect(dsn)
            self.conn.execute("LOCK TABLE submissions IN ACCESS EXCLUSIVE MODE")
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.rollback() if not self.url.startswith("sqlite") else self.conn.execute("ROLLBACK")
        self.conn.close()


def _attempts(ctx: Context) -> int:
    with ctx.db.read() as s:
        return s.query(t.Submission).count()


def test_a_flag_attempt_on_a_locked_database_is_503_never_incorrect(
    backend: str, quick: tuple[Any, Context]
) -> None:
    settings, ctx = quick
    no_two_factor_requirement(ctx.db)
    make = Factory(ctx)
    player, _team = make.player_in_team()
    ch = make.challenge()
    headers = auth(make.token(player))
    body = {"challenge_id": ch.id, "submission": "wrong"}
    with TestClient(create_app(settings, ctx)) as client, Lock(ctx.db.url):
        r = client.post("/api/v1/challenges/attempt", json=body, headers={**headers, "Accept-Language": "ja"})
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] == "5"
        assert r.json() == {"success": False, "errors": {"": [JA_MESSAGE]}, "message": JA_MESSAGE}
        assert "incorrect" not in r.text
        r = client.post(
            "/api/v1/challenges/attempt", json={**body, "submission": "flag{test}"}, headers=headers
        )
        assert r.status_code == 503 and r.json()["message"] == EN_MESSAGE
    assert _attempts(ctx) == 0
    # The lock is gone: the next attempt is answered and recorded, with nothing restarted.
    with TestClient(create_app(settings, ctx)) as client:
        r = client.post("/api/v1/challenges/attempt", json=body, headers=headers)
        assert r.status_code == 200 and r.json()["data"]["status"] == "incorrect"
    assert _attempts(ctx) == 1


def test_a_flag_form_on_a_locked_database_is_a_503_page_in_the_readers_language(
    backend: str, quick: tuple[Any, Context]
) -> None:
    settings, ctx = quick
    no_two_factor_requirement(ctx.db)
    make = Factory(ctx)
    player, _team = make.player_in_team()
    ch = make.challenge()
    with TestClient(create_app(settings, ctx)) as client:
        login(client, player.name)
        page = client.get(f"/challenges/{ch.id}")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        with Lock(ctx.db.url):
            r = client.post(
                f"/challenges/{ch.id}/attempt?lang=ja",
                data={"submission": "flag{test}", "csrf_token": csrf.group(1)},
                follow_redirects=False,
            )
        assert r.status_code == 503
        assert r.headers["retry-after"] == "5"
        assert r.headers["content-type"].startswith("text/html")
        assert JA_MESSAGE in r.text
    assert _attempts(ctx) == 0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_database_gives_503_json_and_pages_and_readyz_says_so(tmp_path: Path) -> None:
    port = _closed_port()
    url = f"postgresql+psycopg://kizuna:secret-password@127.0.0.1:{port}/kizuna"
    settings = _settings(tmp_path, url)
    app = create_app(settings, build_context(settings))
    client = TestClient(app)  # no lifespan: nothing at start-up may need the database
    try:
        r = client.get("/api/v1/scoreboard", headers={"Accept-Language": "ja"})
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        assert r.json()["message"] == JA_MESSAGE
        page = client.get("/", headers={"Accept-Language": "ja"})
        assert page.status_code == 503 and JA_MESSAGE in page.text
        assert page.headers["content-type"].startswith("text/html")
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json() == {
            "status": "degraded",
            "checks": {"database": "unavailable", "migrations": "unknown"},
            "degraded": ["database", "migrations"],
        }
        for answer in (r, page, ready):
            assert str(port) not in answer.text and "secret-password" not in answer.text
    finally:
        app.state.ctx.db.dispose()


def test_readyz_is_200_with_each_check_when_all_is_well(backend: str, client: TestClient) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
    assert r.headers["cache-control"] == "no-store"


def test_readyz_reports_an_outdated_schema(ctx: Context, client: TestClient) -> None:
    with ctx.db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0006'"))
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"] == {"database": "ok", "migrations": "outdated"}


def test_a_database_failure_raised_by_a_middleware_is_a_503_too() -> None:
    async def failing(scope: Any, receive: Any, send: Any) -> None:
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/v1/challenges",
        "headers": [],
        "query_string": b"",
    }
    asyncio.run(UnavailableMiddleware(failing)(scope, receive, send))
    assert sent[0]["status"] == 503
    assert (b"retry-after", b"5") in sent[0]["headers"]


@pytest.mark.parametrize("step", ["facts", "lock_account", "limits", "insert_submission"])
def test_a_database_error_at_any_step_of_an_attempt_is_503(
    step: str, ctx: Context, make: Factory, client: TestClient, monkeypatch: Any
) -> None:
    """Read, evaluation and write phases alike: a failing query is never answered "incorrect"."""
    from kizuna.storage import attempt_queries

    player, _team = make.player_in_team()
    # A maximum of attempts, so every count the write makes matters.
    ch = make.challenge(max_attempts=3)
    headers = auth(make.token(player))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(attempt_queries, step, broken)
    for guess in ("wrong", "flag{test}"):
        r = client.post(
            "/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": guess}, headers=headers
        )
        assert r.status_code == 503, (step, r.text)
        assert r.json()["message"] == EN_MESSAGE
        assert "server closed" not in r.text
    monkeypatch.undo()
    assert _attempts(ctx) == 0


class Proxy:
    """A TCP relay on loopback in front of PostgreSQL that the test can cut and restore, as a
    database server going away and coming back would."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = _closed_port()
        self.listener: socket.socket | None = None
        self.sockets: list[socket.socket] = []

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target, timeout=5)
            upstream.settimeout(None)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self.listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would leave it listening.
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        self.sockets = []


@pytest.mark.postgres
def test_service_resumes_by_itself_when_postgresql_returns(pg_database: Database, tmp_path: Path) -> None:
    _truncate_pg(pg_database)
    real = make_url(pg_database.url)
    proxy = Proxy((real.host or "127.0.0.1", real.port or 5432))
    proxy.start()
    url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = _settings(tmp_path, url)
    ctx = build_context(settings, db=Database(url))
    try:
        client = TestClient(create_app(settings, ctx))
        assert client.get("/api/v1/scoreboard").status_code == 200
        assert client.get("/readyz").status_code == 200
        proxy.stop()  # the database goes away, pooled connections included
        started = time.monotonic()
        down = client.get("/api/v1/scoreboard", headers={"Accept-Language": "ja"})
        assert down.status_code == 503 and down.json()["message"] == JA_MESSAGE
        assert client.get("/readyz").json()["checks"]["database"] == "unavailable"
        assert time.monotonic() - started < 20  # failing fast, not hanging a worker
        proxy.start()  # it is back: the very next requests are served, nothing restarted
        assert client.get("/api/v1/scoreboard").status_code == 200
        assert client.get("/readyz").status_code == 200
    finally:
        proxy.stop()
        ctx.db.dispose()
