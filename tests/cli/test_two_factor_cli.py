"""The demo keeps the default two-factor setting (its admin is asked to set it up at the first staff
page, and the command says so), and ``kizuna admin reset-two-factor`` turns it off for an account
that lost its phone."""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

from fastapi.testclient import TestClient

from kizuna.domain import totp
from kizuna.services import event, two_factor
from kizuna.services.accounts import Principal
from kizuna.settings import load_settings
from kizuna.storage import tables as t
from kizuna.web.app import build_context, create_app
from tests.conftest import PASSWORD

LOGIN = re.compile(r"Admin login: name '(?P<name>[^']+)', password '(?P<password>[^']+)'")


def test_the_demo_admin_is_asked_to_set_up_two_factor(run: Any, env: dict[str, str]) -> None:
    loaded = run("demo")
    assert loaded.exit_code == 0, loaded.output
    assert "two-factor authentication" in loaded.stdout and "first staff page" in loaded.stdout
    again = run("demo", "--if-empty")
    assert "first staff page" in again.stdout  # `make run` prints it every time
    login = LOGIN.search(loaded.stdout)
    assert login
    settings = load_settings(environ=env)
    ctx = build_context(settings)
    try:
        assert event.get_event(ctx).two_factor_roles is None  # the default: admins
        with TestClient(create_app(settings, ctx)) as client:
            page = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            r = client.post(
                "/login",
                data={"name": login["name"], "password": login["password"], "csrf_token": token},
                follow_redirects=False,
            )
            assert r.status_code == 303
            first = client.get("/admin", follow_redirects=False)
            assert first.status_code == 303
            assert first.headers["location"] == "/account/two-factor?next=/admin"
    finally:
        ctx.db.dispose()


def _code_now(ctx: Any, secret: str) -> str:
    return totp.totp(totp.secret_key(secret), ctx.now().replace(tzinfo=UTC).timestamp())


def test_reset_two_factor(run: Any, env: dict[str, str]) -> None:
    assert run("admin", "create", "organiser", "--password", PASSWORD).exit_code == 0
    ctx = build_context(load_settings(environ=env))
    try:
        with ctx.db.read() as s:
            user = s.query(t.User).filter(t.User.name == "organiser").one()
        who = Principal.of(user)
        setup = two_factor.begin_setup(ctx, who)
        two_factor.confirm_setup(ctx, who, _code_now(ctx, setup.secret))
    finally:
        ctx.db.dispose()
    result = run("admin", "reset-two-factor", "ORGANISER")
    assert result.exit_code == 0, result.output
    assert "now off for organiser" in result.stdout
    ctx = build_context(load_settings(environ=env))
    try:
        assert not two_factor.is_enabled(ctx, user.id)
        with ctx.db.read() as s:
            assert s.query(t.AuditEntry).filter(t.AuditEntry.action == "two_factor.reset").count() == 1
    finally:
        ctx.db.dispose()
    assert "nothing changed" in run("admin", "reset-two-factor", "organiser").stdout
    missing = run("admin", "reset-two-factor", "nobody")
    assert missing.exit_code == 1 and "no account named 'nobody'" in missing.output
