"""An admin turns off an account's two-factor authentication from its admin page (a lost device):
the account's sessions end, the change is audited, and only admins may do it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from kizuna.services.context import Context
from kizuna.storage import tables as t
from tests.conftest import Factory, _csrf_from, login


def turn_on(ctx: Context, user_id: int) -> int:
    """Two-factor authentication on, as a confirmed setup leaves it; returns the session version."""
    with ctx.db.write() as s:
        user = s.get(t.User, user_id)
        assert user is not None
        user.totp_secret = "JBSWY3DPEHPK3PXP"
        user.totp_recovery = ["not-a-real-hash"]
        return user.session_version


def post(client: TestClient, path: str) -> Any:
    token = _csrf_from(client.get("/login").text)
    return client.post(path, data={"csrf_token": token}, follow_redirects=False)


def test_an_admin_turns_it_off_and_the_accounts_sessions_end(
    client: TestClient, ctx: Context, make: Factory
) -> None:
    make.admin("chief")
    judge = make.user("judy", role="judge")
    version = turn_on(ctx, judge.id)
    login(client, "chief")
    page = client.get(f"/admin/accounts/{judge.id}?lang=ja")
    assert "二要素認証はオンです。" in page.text
    assert "このアカウントの二要素認証をオフにする" in page.text

    r = post(client, f"/admin/accounts/{judge.id}/two-factor/reset")
    assert r.status_code == 303 and r.headers["location"] == f"/admin/accounts/{judge.id}"
    shown = client.get(r.headers["location"] + "?lang=en").text
    assert "Two-factor authentication is off for this account. Its sessions have ended." in shown
    assert "Two-factor authentication is off." in shown
    with ctx.db.read() as s:
        user = s.get(t.User, judge.id)
        assert user is not None
        assert user.totp_secret is None and user.totp_recovery is None
        assert user.session_version == version + 1
        entry = s.scalars(select(t.AuditEntry).where(t.AuditEntry.action == "two_factor.reset")).one()
    assert (entry.actor_name, entry.actor_role, entry.target_id) == ("chief", "admin", str(judge.id))
    assert "JBSWY3DPEHPK3PXP" not in str(entry.before) + str(entry.after)


def test_only_admins_may_and_a_missing_account_is_404(
    client: TestClient, ctx: Context, make: Factory
) -> None:
    make.user("mar", role="marshal")
    player = make.user("pat")
    turn_on(ctx, player.id)
    login(client, "mar")
    assert post(client, f"/admin/accounts/{player.id}/two-factor/reset").status_code == 403
    with ctx.db.read() as s:
        user = s.get(t.User, player.id)
        assert user is not None and user.totp_secret is not None
    make.admin("chief")
    login(client, "chief")
    assert post(client, "/admin/accounts/99999/two-factor/reset").status_code == 404
