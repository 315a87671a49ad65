"""A real browser against a real server: register, join a team, solve a challenge, see the score move.

Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright through ``executable_path``; no
browser is ever downloaded. Without it the test skips, except under ``CI=true`` where it fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from kizuna.bootstrap import prepare_database
from kizuna.services import accounts, challenges, content, teams
from kizuna.settings import load_settings
from kizuna.web.app import build_context
from tests.conftest import PASSWORD, unavailable
from tests.live_server import running_server, server_env

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TEAM = "E2E Crew"
CHALLENGE = "Browser warm-up"
FLAG = "flag{browser}"
VALUE = 175


@dataclass(frozen=True)
class Server:
    url: str
    invite_code: str
    challenge_id: int


def _seed(env: dict[str, str]) -> tuple[str, int]:
    """One challenge with its flag, and a team (with a captain) whose invite code the player uses."""
    ctx = build_context(load_settings(environ=env))
    try:
        prepare_database(ctx.db)
        ch = challenges.create_challenge(ctx, {"name": CHALLENGE, "category": "web", "value": VALUE})
        content.create_flag(ctx, ch.id, "static", FLAG, "")
        captain = accounts.register_user(ctx, "captain", PASSWORD, by_admin=True)
        team = teams.create_team(ctx, TEAM, captain.id)
        return team.invite_code, ch.id
    finally:
        ctx.db.dispose()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    env = server_env(tmp_path)
    invite_code, challenge_id = _seed(env)
    with running_server(env, tmp_path / "server.log") as url:
        yield Server(url, invite_code, challenge_id)


def _team_score(page: Page) -> int:
    """The team's score in the scoreboard table, as the reader sees it."""
    row = page.locator("table.scoreboard tbody tr", has=page.get_by_role("link", name=TEAM, exact=True))
    return int(re.sub(r"\D", "", row.locator("td.num").inner_text()))


def test_register_join_solve_and_see_the_score(server: Server, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        unavailable("Chromium", f"{CHROMIUM} is missing; run `make system-packages`")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError as exc:
        unavailable("Playwright", str(exc))
    shots = tmp_path / "screenshots"
    shots.mkdir()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="en-GB", base_url=server.url)
            page = context.new_page()
            page.set_default_timeout(15_000)

            page.goto("/register")
            page.get_by_label(re.compile(r"^Name")).fill("browser-player")
            page.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
            page.get_by_label(re.compile(r"^Confirm password")).fill(PASSWORD)
            page.screenshot(path=str(shots / "01-register.png"), full_page=True)
            page.get_by_role("button", name="Register").click()
            expect(page).to_have_url(re.compile(r"/team$"))

            page.goto("/scoreboard")
            before = _team_score(page)
            page.screenshot(path=str(shots / "02-scoreboard-before.png"), full_page=True)

            page.goto("/teams/join")
            page.get_by_label(re.compile(r"^Invite code")).fill(server.invite_code)
            page.get_by_role("button", name="Join team").click()
            expect(page).to_have_url(re.compile(r"/team$"))
            expect(page.get_by_role("heading", name=TEAM)).to_be_visible()
            page.screenshot(path=str(shots / "03-team.png"), full_page=True)

            page.get_by_role("navigation", name="Main").get_by_role("link", name="Challenges").click()
            page.get_by_role("link", name=CHALLENGE).click()
            expect(page.get_by_role("heading", level=1)).to_contain_text(CHALLENGE)
            page.screenshot(path=str(shots / "04-challenge.png"), full_page=True)

            flag = page.get_by_role("textbox", name="Flag")
            flag.fill("flag{wrong}")
            page.get_by_role("button", name="Submit").click()
            result = page.locator("#attempt-result")
            expect(result).to_contain_text("Incorrect")
            flag = page.get_by_role("textbox", name="Flag")
            flag.fill(FLAG)
            page.get_by_role("button", name="Submit").click()
            expect(page.locator("#attempt-result")).to_contain_text("Correct")
            page.screenshot(path=str(shots / "05-correct.png"), full_page=True)

            page.goto("/scoreboard")
            after = _team_score(page)
            page.screenshot(path=str(shots / "06-scoreboard-after.png"), full_page=True)
            assert (before, after) == (0, VALUE)
            expect(page.locator("svg[role=img] polyline").first).to_be_attached()
            context.close()
        finally:
            browser.close()
    assert len(list(shots.glob("*.png"))) == 6
