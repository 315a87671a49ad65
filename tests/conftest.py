"""Shared fixtures: an isolated database per test, the app, clients and small factories.

Backends: every test using ``ctx``/``client`` runs on SQLite; tests marked ``postgres`` (or using the
``pg_ctx``/``pg_client`` fixtures) run on PostgreSQL too. Under ``CI=true`` PostgreSQL and Redis must
be reachable — a test that needs them fails instead of skipping. Elsewhere it skips with the reason.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.bootstrap import prepare_database
from kizuna.services import accounts, challenges, content, teams
from kizuna.services.context import Context
from kizuna.settings import Settings, load_settings
from kizuna.storage import tables as t
from kizuna.storage.db import Database
from kizuna.web.app import build_context, create_app

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = os.environ.get("KIZUNA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("KIZUNA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "correct-horse-battery"


def unavailable(what: str, why: str) -> None:
    """Fail under CI (the service must be there), skip with a visible reason elsewhere."""
    message = f"{what} is not reachable ({why})"
    if IN_CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


# --- databases -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (much faster than migrating every time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    prepare_database(db)
    no_two_factor_requirement(db)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[Database]:
    """A fresh PostgreSQL database for this test session, created next to the configured one and
    dropped at the end, so concurrent test runs never see each other's rows."""
    import uuid

    from sqlalchemy.engine import make_url

    base = make_url(PG_URL)
    name = f"kizuna_test_{uuid.uuid4().hex[:12]}"
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        import psycopg

        with psycopg.connect(admin_dsn, connect_timeout=3, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        unavailable("PostgreSQL", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    db = Database(base.set(database=name).render_as_string(hide_password=False))
    try:
        prepare_database(db)
        yield db
    finally:
        db.dispose()
        with psycopg.connect(admin_dsn, connect_timeout=3, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate_pg(db: Database) -> None:
    from kizuna.storage.tables import Base

    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    with db.write() as s:
        from kizuna.storage import repo
        from kizuna.storage.db import CHALLENGES, SCOREBOARD, bump

        repo.event(s)
        bump(s, SCOREBOARD, CHALLENGES)
    no_two_factor_requirement(db)


def no_two_factor_requirement(db: Database) -> None:
    """Tests sign staff in with a password only: the event requires two-factor authentication of no
    role (the default requires it of admins; tests/web/test_two_factor.py covers that default by
    setting ``two_factor_roles`` back to None)."""
    from kizuna.storage import repo

    with db.write() as s:
        repo.event(s).two_factor_roles = []


def _settings(tmp_path: Path, url: str, **extra: Any) -> Settings:
    return load_settings(
        environ={},
        data_dir=tmp_path / "data",
        database_url=url,
        secret_key="test-secret-key-not-for-production",
        environment="test",
        **extra,
    )


def make_sqlite_ctx(tmp_path: Path, template: Path, **extra: Any) -> tuple[Settings, Context]:
    path = tmp_path / "kizuna.db"
    shutil.copy(template, path)
    settings = _settings(tmp_path, f"sqlite:///{path}", **extra)
    return settings, build_context(settings)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """Parametrise a test over both databases: ``def test_x(backend, ctx)``."""
    return str(request.param)


@pytest.fixture
def settings_and_ctx(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[tuple[Settings, Context]]:
    which = request.getfixturevalue("backend") if "backend" in request.fixturenames else "sqlite"
    if which == "postgresql":
        db: Database = request.getfixturevalue("pg_database")
        _truncate_pg(db)
        settings = _settings(tmp_path, db.url)
        ctx = build_context(settings, db=db)
        yield settings, ctx
        return
    settings, ctx = make_sqlite_ctx(tmp_path, sqlite_template)
    yield settings, ctx
    ctx.db.dispose()


@pytest.fixture
def ctx(settings_and_ctx: tuple[Settings, Context]) -> Context:
    return settings_and_ctx[1]


@pytest.fixture
def app(settings_and_ctx: tuple[Settings, Context]) -> Any:
    settings, context = settings_and_ctx
    return create_app(settings, context)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def redis_url() -> str:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        unavailable("Redis", str(exc) or type(exc).__name__)
    return REDIS_URL


# --- factories -------------------------------------------------------------------------------------


class Factory:
    """Small builders for test data; each returns the created row."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def user(self, name: str | None = None, role: str = "player", **kw: Any) -> Any:
        return accounts.register_user(
            self.ctx, name or f"player{self._next()}", PASSWORD, role=role, by_admin=True, **kw
        )

    def admin(self, name: str | None = None) -> Any:
        return self.user(name or f"admin{self._next()}", role="admin")

    def team(self, name: str | None = None, captain: Any = None) -> Any:
        captain = captain or self.user()
        return teams.create_team(self.ctx, name or f"team{self._next()}", captain.id)

    def player_in_team(self, name: str | None = None, team_name: str | None = None) -> tuple[Any, Any]:
        user = self.user(name)
        team = teams.create_team(self.ctx, team_name or f"team{self._next()}", user.id)
        return user, team

    def join(self, user: Any, team: Any) -> Any:
        return teams.join_team(self.ctx, user.id, team.invite_code)

    def challenge(self, flag: str | None = "flag{test}", **fields: Any) -> Any:
        fields.setdefault("name", f"challenge{self._next()}")
        fields.setdefault("category", "misc")
        fields.setdefault("value", 100)
        ch = challenges.create_challenge(self.ctx, fields)
        if flag is not None:
            content.create_flag(self.ctx, ch.id, "static", flag, "")
        return ch

    def token(self, user: Any) -> str:
        return accounts.create_token(self.ctx, user.id).value


@pytest.fixture
def make(ctx: Context) -> Factory:
    return Factory(ctx)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}", "Content-Type": "application/json"}


def login(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log the client in through the page and return the CSRF token for API calls."""
    page = client.get("/login")
    assert page.status_code == 200, page.text
    csrf = _csrf_from(page.text)
    r = client.post(
        "/login", data={"name": name, "password": password, "csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code in (302, 303), r.text
    return _csrf_from(client.get("/login").text)


def _csrf_from(html: str) -> str:
    import re

    m = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert m, "no CSRF token in page"
    return m.group(1)


def record_solve(
    uow: Any, challenge_id: int, user: Any, team_id: int | None, when: Any, blood: int | None = None
) -> None:
    """Insert a correct submission and its solve directly (a fixture of a board, without the attempt
    path's rules); with ``blood``, also the ``solve`` event the attempt path would append."""
    s = uow.session
    acct = team_id if team_id is not None else user.id
    sub = t.Submission(
        challenge_id=challenge_id,
        user_id=user.id,
        team_id=team_id,
        account_id=acct,
        provided="flag{x}",
        type="correct",
        date=when,
    )
    s.add(sub)
    s.flush()
    s.add(
        t.Solve(
            submission_id=sub.id,
            challenge_id=challenge_id,
            user_id=user.id,
            team_id=team_id,
            account_id=acct,
            date=when,
        )
    )
    if blood is not None:
        payload = {"challenge_id": challenge_id, "account_id": acct, "user_id": user.id}
        uow.emit("solve", {**payload, "first_blood": blood, "value": 100})
