"""Our own script in a real browser: it tells the server the browser's time zone (the ``tz`` cookie),
so the next page shows times there too, and it makes the home page's countdown tick. A phone-sized
window shows the zones side by side without scrolling sideways. Needs Debian's chromium (see conftest).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from kizuna.bootstrap import prepare_database
from kizuna.services import event
from kizuna.settings import load_settings
from kizuna.web.app import build_context
from tests.live_server import running_server, server_env

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    env = server_env(tmp_path)
    ctx = build_context(load_settings(environ=env))
    try:
        prepare_database(ctx.db)
        start = ctx.now() + timedelta(days=2, hours=5)
        event.update_event(ctx, {"start_at": start, "end_at": start + timedelta(days=1)})
    finally:
        ctx.db.dispose()
    with running_server(env, tmp_path / "server.log") as url:
        yield url


def test_the_browser_zone_is_remembered_and_the_countdown_ticks(
    server: str, browser: Browser, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(
        locale="en-GB",
        timezone_id="America/New_York",
        base_url=server,
        viewport={"width": 390, "height": 844},
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/")
    # The first page is in the event's zones only; the script has now told the server ours.
    assert page.locator('.zone[title="America/New_York"]').count() == 0
    assert {"name": "tz", "value": "America/New_York"}.items() <= next(
        c for c in context.cookies() if c["name"] == "tz"
    ).items()
    page.reload()
    expect(page.locator('.zone[title="America/New_York"]').first).to_have_text("New York")
    expect(page.locator('.zone[title="Europe/London"]').first).to_be_visible()

    timer = page.get_by_role("timer")
    first = timer.inner_text()
    assert re.fullmatch(r"The event starts in 2 days and \d\d:\d\d:\d\d\.", first), first
    expect(timer).not_to_have_text(first, timeout=5_000)  # it ticks
    assert re.fullmatch(r"The event starts in 2 days and \d\d:\d\d:\d\d\.", timer.inner_text())
    page.screenshot(path=str(tmp_path / "home-phone.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "the home page scrolls sideways on a phone"
