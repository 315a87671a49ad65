"""The Content-Security-Policy in a real browser: a player and an admin go through the main pages —
home, the challenges with a wrong and a right flag and a hint (htmx), the scoreboard, the venue screen
with its live stream, the announcements, the two-factor set-up with its QR code, every admin section
and the live feed — and the browser reports no policy violation at all.

Every page gets a ``securitypolicyviolation`` listener before its own scripts run; each violation
is written to the console, and the console of every page is read, so a violation on a page left a
moment later still counts. The test first proves its detector: an inline script added without the
nonce must be reported.

Debian's chromium through Playwright's ``executable_path`` (as tests/e2e does); no browser is ever
downloaded. Without it the test skips, except under ``CI=true`` where it fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kizuna.bootstrap import prepare_database
from kizuna.services import accounts, challenges, content, event, notifications, pages, submissions, teams
from kizuna.services.accounts import Principal
from kizuna.settings import load_settings
from kizuna.web.app import build_context
from tests.conftest import PASSWORD
from tests.live_server import running_server, server_env

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

pytestmark = pytest.mark.e2e

FLAG = "flag{strict-policy}"
LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP-VIOLATION ' + e.effectiveDirective + ' ' + (e.blockedURI || 'inline') + ' at '
    + e.sourceFile + ':' + e.lineNumber + ' sample=' + (e.sample || ''));
});
"""
# Chromium also logs its own sentence for each refusal ("Refused to … Content Security Policy …").
REFUSAL = re.compile(r"CSP-VIOLATION|Content Security Policy|Refused to", re.IGNORECASE)
ADMIN_SECTIONS = (
    "/admin",
    "/admin/event",
    "/admin/event/control",
    "/admin/feed",
    "/admin/rosters",
    "/admin/challenges",
    "/admin/accounts",
    "/admin/teams",
    "/admin/awards",
    "/admin/submissions",
    "/admin/translations",
    "/admin/announcements",
    "/admin/pages",
    "/admin/audit",
    "/admin/exports",
    "/admin/writeups",
)


@dataclass(frozen=True)
class Seeded:
    url: str
    challenge_id: int
    team_id: int


def _env(folder: Path) -> dict[str, str]:
    return server_env(folder)


def _seed(env: dict[str, str]) -> tuple[int, int]:
    """A running event with a challenge (flag, free hint, file), a second solved one, a team with a
    player, a rival team on the board, an announcement, a custom page and an admin."""
    ctx = build_context(load_settings(environ=env))
    try:
        prepare_database(ctx.db)
        now = ctx.now()
        event.update_event(ctx, {"start_at": now.replace(year=now.year - 1), "two_factor_roles": []})
        ch = challenges.create_challenge(
            ctx,
            {
                "name": "Policy warm-up",
                "category": "web",
                "value": 100,
                "description": "Read **carefully**. [A link](https://example.org/) and `code`.",
            },
        )
        content.create_flag(ctx, ch.id, "static", FLAG, "")
        content.create_hint(ctx, ch.id, "Look at the headers.", cost=0, title="Free nudge")
        content.save_file(ctx, ch.id, "notes.txt", b"notes")
        other = challenges.create_challenge(
            ctx, {"name": "Solved elsewhere", "category": "misc", "value": 50}
        )
        content.create_flag(ctx, other.id, "static", "flag{rival}", "")
        player = accounts.register_user(ctx, "policy-player", PASSWORD, by_admin=True)
        team = teams.create_team(ctx, "Strict Crew", player.id)
        rival = accounts.register_user(ctx, "rival", PASSWORD, by_admin=True)
        rivals = teams.create_team(ctx, "Rivals", rival.id)
        who = Principal(rival.id, rival.name, "player", rivals.id)
        assert submissions.submit_flag(ctx, who, other.id, "flag{rival}").status == "correct"
        accounts.register_user(ctx, "policy-admin", PASSWORD, role="admin", by_admin=True)
        notifications.announce(ctx, "Welcome", "Have **fun**.")
        pages.create_page(ctx, {"route": "rules", "title": "Rules", "content": "Be kind."})
        return ch.id, team.id
    finally:
        ctx.db.dispose()


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Seeded]:
    env = _env(tmp_path)
    challenge_id, team_id = _seed(env)
    with running_server(env, tmp_path / "server.log") as url:
        yield Seeded(url, challenge_id, team_id)


class Watch:
    """Every policy refusal any page of a browser context reports, with the page it happened on."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def attach(self, context: BrowserContext) -> None:
        context.add_init_script(LISTENER)
        context.on("page", self._page)

    def _page(self, page: Page) -> None:
        def _console(message: ConsoleMessage) -> None:
            if REFUSAL.search(message.text):
                self.seen.append(f"{page.url}: {message.text}")

        page.on("console", _console)


def _context(browser: Browser, url: str, watch: Watch) -> BrowserContext:
    context = browser.new_context(locale="en-GB", base_url=url)
    context.set_default_timeout(15_000)
    watch.attach(context)
    return context


def _log_in(page: Page, name: str) -> None:
    page.goto("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()


def _visit(page: Page, path: str) -> Any:
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: {response and response.status}"
    page.wait_for_load_state("load")
    return response


def _settle(page: Page) -> None:
    """Let the page's deferred scripts and stream start, so their refusals (if any) are reported."""
    page.wait_for_function("() => document.readyState === 'complete'")
    page.wait_for_timeout(300)


def test_the_detector_reports_an_inline_script_without_the_nonce(seeded: Seeded, browser: Browser) -> None:
    watch = Watch()
    context = _context(browser, seeded.url, watch)
    try:
        page = context.new_page()
        _visit(page, "/")
        ran = page.evaluate(
            """() => { window.__ran = false; const s = document.createElement('script');
              s.textContent = 'window.__ran = true'; document.body.appendChild(s); return window.__ran; }"""
        )
        page.wait_for_timeout(300)
        assert ran is False
        assert any("script-src" in seen for seen in watch.seen), watch.seen
    finally:
        context.close()


def test_main_pages_raise_no_policy_violation(seeded: Seeded, browser: Browser) -> None:
    from playwright.sync_api import expect

    watch = Watch()
    player = _context(browser, seeded.url, watch)
    try:
        page = player.new_page()
        _log_in(page, "policy-player")
        for path in ("/", "/challenges", "/scoreboard", "/announcements", "/team", "/teams", "/pages/rules"):
            _visit(page, path)
            _settle(page)

        # A challenge: a wrong flag, the free hint and the right flag, all swapped in by htmx.
        _visit(page, f"/challenges/{seeded.challenge_id}")
        _settle(page)
        assert page.evaluate("typeof window.htmx") == "object"  # htmx really runs under the policy
        page.fill("#f-submission", "flag{wrong}")
        page.click("form.flag-form button[type=submit]")
        expect(page.locator("#attempt-result")).to_contain_text("Incorrect")
        assert page.url.endswith(f"/challenges/{seeded.challenge_id}")  # swapped in place, no navigation
        page.get_by_role("button", name="Unlock this hint").click()
        expect(page.locator(".hint-content")).to_contain_text("Look at the headers.")
        page.fill("#f-submission", FLAG)
        page.click("form.flag-form button[type=submit]")
        expect(page.locator("#attempt-result")).to_contain_text("Correct")

        # The venue screen and its live stream (connect-src 'self').
        _visit(page, "/venue")
        # A function, not an expression: polling an expression needs eval, which the policy refuses.
        live = "() => document.body.getAttribute('data-live-state') === 'open'"
        page.wait_for_function(live, timeout=15_000)
        assert page.locator(".venue-table tbody tr").count() >= 2
        colour = page.evaluate(
            "getComputedStyle(document.querySelector('.venue-table tbody tr'))"
            ".getPropertyValue('--team').trim()"
        )
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", colour), colour  # the class gave the team its colour
        _settle(page)

        # The two-factor set-up and its QR code.
        _visit(page, "/account")
        _visit(page, "/account/two-factor")
        page.get_by_role("button", name="Set up two-factor authentication").click()
        page.wait_for_load_state()
        qr = page.locator("svg.qr")
        expect(qr).to_be_visible()
        assert qr.bounding_box()["width"] > 50  # type: ignore[index]
        _settle(page)
    finally:
        player.close()

    admin = _context(browser, seeded.url, watch)
    try:
        page = admin.new_page()
        _log_in(page, "policy-admin")
        for path in ADMIN_SECTIONS:
            _visit(page, path)
            _settle(page)
        _visit(page, f"/admin/challenges/{seeded.challenge_id}")
        _visit(page, f"/admin/teams/{seeded.team_id}")
        _visit(page, "/admin/feed")
        page.wait_for_timeout(1000)  # the feed's stream opens
        _visit(page, "/scoreboard")
        _settle(page)
    finally:
        admin.close()

    assert not watch.seen, "\n".join(watch.seen)
