"""The staff forms' script in a real browser (static/kizuna-admin.js): the event settings' times are
previewed in UTC and the event's zones as they are typed (and a time London's clocks skip is
flagged with the page's own sentence), the zone beside a time changes the preview, and the
challenge form shows its decay fields only for a dynamic challenge. Needs Debian's chromium; without
it the test skips, except under ``CI=true``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from kizuna.bootstrap import prepare_database
from kizuna.services import accounts, event
from kizuna.settings import load_settings
from kizuna.web.app import build_context
from kizuna.web.zones import current_clock, format_in_zone
from tests.conftest import PASSWORD
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
        event.update_event(ctx, {"two_factor_roles": [], "time_zones": ["Europe/London", "Asia/Tokyo"]})
        accounts.register_user(ctx, "boss", PASSWORD, role="admin", by_admin=True)
    finally:
        ctx.db.dispose()
    with running_server(env, tmp_path / "server.log") as url:
        yield url


def test_the_time_preview_and_the_decay_fields_follow_the_form(server: str, browser: Browser) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(locale="en-GB", timezone_id="America/New_York", base_url=server)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login")
    page.fill("input[name=name]", "boss")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()

    page.goto("/admin/event")
    preview = page.locator("#p-start_at")
    expect(preview).to_be_hidden()  # no start yet
    page.select_option("#f-start_at_zone", "Asia/Tokyo")
    page.fill("#f-start_at", "2026-11-28T18:00")
    expect(preview).to_be_visible()
    expect(preview.locator("li[data-zone='UTC'] time")).to_have_text("28 Nov 2026, 09:00 UTC")
    expect(preview.locator("li[data-zone='UTC'] time")).to_have_attribute("datetime", "2026-11-28T09:00:00Z")
    expect(preview.locator("li[data-zone='Europe/London'] time")).to_have_text("28 Nov 2026, 09:00 GMT")
    expect(preview.locator("li[data-zone='Asia/Tokyo'] time")).to_have_text("28 Nov 2026, 18:00 JST")
    # The same clock time in London in summer is an hour before UTC.
    page.select_option("#f-start_at_zone", "Europe/London")
    page.fill("#f-start_at", "2026-07-01T10:00")
    expect(preview.locator("li[data-zone='UTC'] time")).to_have_text("1 Jul 2026, 09:00 UTC")
    # A time the clocks skip: the page's own sentence instead of the times.
    page.fill("#f-start_at", "2026-03-29T01:30")
    problem = preview.locator(".zoned-preview-problem")
    expect(problem).to_have_text(
        "2026-03-29 01:30 does not exist in Europe/London: the clocks go forward then. "
        "Type another time, or the time in another zone such as UTC."
    )
    expect(preview.locator("ul")).to_be_hidden()
    page.select_option("#f-start_at_zone", "UTC")
    expect(problem).to_be_hidden()
    expect(preview.locator("li[data-zone='Europe/London'] time")).to_have_text("29 Mar 2026, 02:30 BST")

    # Saved, the page shows the moment in every zone again, in the zone chosen.
    page.fill("#f-start_at", "2026-11-28T09:00")
    page.click("form[action='/admin/event'] button[type=submit]")
    expect(page.locator("p.notice").first).to_have_text("The event settings have been saved.")
    expect(page.locator("#f-start_at_zone")).to_have_value("UTC")
    # The script rewrites the server's preview on load, in the same words as the server's: in each
    # language, on a 12-hour clock too, and in both languages at once (日英併記).
    saved = datetime(2026, 11, 28, 9, 0)
    for clock in ("24", "12"):
        page.goto(f"/clock/{clock}?next=/admin/event")
        token = current_clock.set(clock)
        try:
            for locale in ("en", "ja"):
                page.goto(f"/lang/{locale}?next=/admin/event")
                for zone in ("UTC", "Europe/London", "Asia/Tokyo"):
                    line = page.locator(f"#p-start_at li[data-zone='{zone}'] time")
                    expect(line).to_have_text(format_in_zone(saved, zone, locale=locale))
            page.goto("/lang/both?next=/admin/event")
            # The reader's language (Japanese, chosen last) first.
            both = " / ".join(format_in_zone(saved, "Asia/Tokyo", locale=code) for code in ("ja", "en"))
            expect(page.locator("#p-start_at li[data-zone='Asia/Tokyo'] time")).to_have_text(both)
        finally:
            current_clock.reset(token)
    page.goto("/clock/auto?next=/admin/event")
    page.goto("/lang/en?next=/admin/event")

    page.goto("/admin/challenges/new")
    group = page.locator("[data-dynamic-only]")
    expect(group).to_be_hidden()  # a new challenge is standard
    page.select_option("#f-type", "dynamic")
    expect(group).to_be_visible()
    expect(page.locator("#f-initial")).to_be_visible()
    page.select_option("#f-type", "standard")
    expect(group).to_be_hidden()
    context.close()
