"""The ``kizuna`` command, run in-process with Typer's CliRunner against a temporary data directory
(playing the demo event: ``test_demo.py``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.demo import CHALLENGES as DEMO
from kizuna.services import accounts
from kizuna.settings import load_settings
from kizuna.storage import repo
from kizuna.web.app import build_context, create_app
from tests.conftest import PASSWORD, auth

LOGIN = re.compile(r"Admin login: name '(?P<name>[^']+)', password '(?P<password>[^']+)'")
STAFF = re.compile(r"Staff logins: names 'judge', 'marshal', 'author', password '(?P<password>[^']+)'")


def counts(env: dict[str, str]) -> tuple[int, int]:
    ctx = build_context(load_settings(environ=env))
    try:
        with ctx.db.read() as s:
            return repo.count_users(s), repo.count_challenges(s)
    finally:
        ctx.db.dispose()


def test_db_upgrade(run: Any, env: dict[str, str]) -> None:
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "newest schema" in result.stdout
    assert Path(env["KIZUNA_DATA_DIR"], "kizuna.db").is_file()
    again = run("db", "upgrade")  # idempotent
    assert again.exit_code == 0, again.output


def test_demo_prints_an_admin_login_and_loads_challenges(run: Any, env: dict[str, str]) -> None:
    result = run("demo")
    assert result.exit_code == 0, result.output
    login = LOGIN.search(result.stdout)
    assert login, result.stdout
    assert f"{len(DEMO)} challenges" in result.stdout
    assert counts(env) == (9, len(DEMO))  # the admin, a judge, a marshal, an author and five players
    staff = STAFF.search(result.stdout)
    assert staff, result.stdout
    ctx = build_context(load_settings(environ=env))
    try:
        admin = accounts.authenticate(ctx, login["name"], login["password"])
        assert admin.role == "admin"
        for role in ("judge", "marshal", "author"):
            assert accounts.authenticate(ctx, role, staff["password"]).role == role
    finally:
        ctx.db.dispose()
    # The login is kept, owner-readable only, so `make run` can show it again.
    kept = Path(env["KIZUNA_DATA_DIR"], "demo-admin.txt")
    assert kept.stat().st_mode & 0o077 == 0
    refused = run("demo")
    assert refused.exit_code == 1
    assert "not empty" in refused.output


def test_demo_if_empty_is_idempotent(run: Any, env: dict[str, str]) -> None:
    first = run("demo", "--if-empty")
    assert first.exit_code == 0, first.output
    before = counts(env)
    second = run("demo", "--if-empty")
    assert second.exit_code == 0, second.output
    assert "was not loaded again" in second.stdout
    assert counts(env) == before
    # The same login is printed again.
    first_login, second_login = LOGIN.search(first.stdout), LOGIN.search(second.stdout)
    assert first_login and second_login
    assert first_login.group(0) == second_login.group(0)


def test_admin_create_and_duplicate_name(run: Any, env: dict[str, str]) -> None:
    result = run("admin", "create", "Organiser", "--password", PASSWORD, "--email", "org@example.org")
    assert result.exit_code == 0, result.output
    assert "Admin Organiser created" in result.stdout
    # The same name in full width is the same name.
    dup = run("admin", "create", "ＯＲＧＡＮＩＳＥＲ", "--password", PASSWORD)
    assert dup.exit_code == 1
    assert "That name is already taken." in dup.output
    short = run("admin", "create", "Other", "--password", "short")
    assert short.exit_code == 1
    assert "at least 8 characters" in short.output
    assert counts(env) == (1, 0)


def test_token_create_prints_a_working_token(run: Any, env: dict[str, str]) -> None:
    assert run("admin", "create", "organiser", "--password", PASSWORD).exit_code == 0
    result = run("token", "create", "Organiser")  # names match regardless of case
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert re.fullmatch(r"kzn_[0-9a-f]{64}", token)
    settings = load_settings(environ=env)
    with TestClient(create_app(settings)) as client:
        ok = client.get("/api/v1/challenges?view=admin", headers=auth(token))
        assert ok.status_code == 200, ok.text
        bad = client.get(
            "/api/v1/challenges?view=admin", headers=auth(token[:-1] + ("1" if token.endswith("0") else "0"))
        )
        assert bad.status_code == 401
    expiring = run("token", "create", "organiser", "--expires", "30")
    assert expiring.exit_code == 0
    assert expiring.stdout.strip() != token


@pytest.mark.parametrize("days", ["0", "-3"])
def test_token_create_refuses_a_non_positive_expiry(run: Any, days: str) -> None:
    assert run("admin", "create", "organiser", "--password", PASSWORD).exit_code == 0
    result = run("token", "create", "organiser", "--expires", days)
    assert result.exit_code != 0
    assert "positive number of days" in result.output
    assert result.stdout.strip() == ""


def test_token_create_for_an_unknown_name(run: Any) -> None:
    assert run("db", "upgrade").exit_code == 0
    result = run("token", "create", "nobody")
    assert result.exit_code == 1
    assert "no account named 'nobody'" in result.output
    assert result.stdout.strip() == ""
