"""The live activity feed in a real browser: a marshal keeps /admin/feed open, a player submits
through the API, and the row appears on top without a reload (static/kizuna-feed.js, fed by the
event stream), in the reader's language; a team hidden by another marshal shows up in the hidden
accounts list. Needs Debian's chromium; without it the test skips, except under ``CI=true``."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kizuna.bootstrap import prepare_database
from kizuna.services import accounts, challenges, content, event, teams
from kizuna.settings import load_settings
from kizuna.web.app import build_context
from tests.conftest import PASSWORD
from tests.live_server import running_server, server_env

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e


def _env(folder: Path) -> dict[str, str]:
    return server_env(folder)


def _seed(env: dict[str, str]) -> dict[str, Any]:
    ctx = build_context(load_settings(environ=env))
    try:
        prepare_database(ctx.db)
        now = ctx.now()
        event.update_event(ctx, {"start_at": now.replace(year=now.year - 1), "two_factor_roles": []})
        ch = challenges.create_challenge(ctx, {"name": "Feed Me", "category": "misc", "value": 100})
        content.create_flag(ctx, ch.id, "static", "flag{fed}", "")
        for role in ("marshal", "admin"):
            accounts.register_user(ctx, f"the-{role}", PASSWORD, role=role, by_admin=True)
        player = accounts.register_user(ctx, "alice", PASSWORD, by_admin=True)
        red = teams.create_team(ctx, "Red Team", player.id)
        admin = accounts.register_user(ctx, "boss", PASSWORD, role="admin", by_admin=True)
        return {
            "challenge": ch.id,
            "player": accounts.create_token(ctx, player.id).value,
            "admin": accounts.create_token(ctx, admin.id).value,
            "red": red.id,
        }
    finally:
        ctx.db.dispose()


def _api(url: str, method: str, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - the test's own server on 127.0.0.1
        f"{url}{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        out: dict[str, Any] = json.loads(response.read())
        return out


def _log_in(page: Page, url: str, name: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()


def _until(check: Any, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_new_submissions_appear_on_the_open_feed(browser: Browser, tmp_path: Path) -> None:
    env = _env(tmp_path)
    seeded = _seed(env)
    with running_server(env, tmp_path / "server.log") as url:
        page = browser.new_page()
        _log_in(page, url, "the-marshal")
        page.goto(f"{url}/lang/ja?next=/admin/feed")  # the session keeps the reader's language
        assert page.locator("h1").inner_text() == "リアルタイム提出状況"
        assert page.locator("#kz-feed-rows tr").count() == 0
        # Let the stream open before anything happens (the server resumes from its log anyway).
        page.wait_for_timeout(500)

        wrong = {"challenge_id": seeded["challenge"], "submission": "not it"}
        _api(url, "POST", "/api/v1/challenges/attempt", seeded["player"], wrong)
        assert _until(lambda: page.locator("#kz-feed-rows tr").count() == 1), page.content()
        right = {"challenge_id": seeded["challenge"], "submission": "flag{fed}"}
        _api(url, "POST", "/api/v1/challenges/attempt", seeded["player"], right)
        assert _until(lambda: page.locator("#kz-feed-rows tr").count() == 2), page.content()
        top = page.locator("#kz-feed-rows tr").first.inner_text()
        assert "Red Team" in top and "alice" in top and "正解" in top and "ファーストブラッド" in top
        assert "flag{fed}" not in page.content()  # what was typed never reaches the feed
        assert page.locator("#kz-feed-empty").count() == 0 or page.locator("#kz-feed-empty").is_hidden()

        _api(url, "PATCH", f"/api/v1/teams/{seeded['red']}", seeded["admin"], {"hidden": True})
        # An admin's edit through the API hides the team too; the feed hears of it from the stream.
        assert _until(lambda: "Red Team" in page.locator("#kz-feed-notices").inner_text()), page.content()
        page.close()
