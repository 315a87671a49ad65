"""The challenge board and the challenge page in a real browser (issue 10).

A player answers two challenges through htmx — one first blood, one solved before by another team —
and the page says so and shows its new solved state and solve count without reloading. On the board
the filters then apply at once with the script (the address follows, nothing is reloaded) and as an
ordinary form without it. The board is checked at a phone's, a laptop's and a projector's size in
English and Japanese: no sideways scrolling, no card cut off. Screenshots go to
``$KIZUNA_SCREENSHOTS`` when set. Needs Debian's chromium (skips without it, except under ``CI=true``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.test_browser_bilingual import (
    CHALLENGES,
    LONG_JA,
    LONG_TEAM,
    Server,
    _assert_not_clipped,
    _log_in,
    _seed,
    _shots,
)
from tests.live_server import running_server, server_env

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

VIEWPORTS = {"phone": (390, 844), "laptop": (1366, 768), "projector": (1920, 1080)}
COOKIE, CAESAR, LONG = 0, 1, 2  # indexes into CHALLENGES; the rival team solved CAESAR first


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Server]:
    """The bilingual tests' event: three challenges in three categories, the player's team (with a
    long Japanese name) and a rival team that solved the second challenge."""
    env = server_env(tmp_path)
    ids = _seed(env)
    with running_server(env, tmp_path / "server.log") as url:
        yield Server(url, ids)


def _mark_page(page: Page) -> None:
    """A value that lives only as long as this document: still there means nothing reloaded."""
    page.evaluate("window.kzStillHere = true")


def _still_here(page: Page) -> bool:
    return bool(page.evaluate("window.kzStillHere === true"))


def _answer(page: Page, challenge_id: int, flag: str) -> None:
    page.goto(f"/challenges/{challenge_id}")
    _mark_page(page)
    page.get_by_role("textbox", name="Flag").fill(flag)
    page.get_by_role("button", name="Submit").click()


def _visible_cards(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("li.card:visible .card-name .lt").all_inner_texts()]


def test_a_correct_answer_updates_the_page_and_the_board_filters_at_once(
    site: Server, browser: Browser, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    shots = _shots(tmp_path)
    context = browser.new_context(base_url=site.url, viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        _log_in(page)
        cookie, caesar, long_ = site.challenge_ids

        # First blood, through htmx: the result, the solved state and the count change in place.
        _answer(page, cookie, CHALLENGES[COOKIE][4])
        result = page.locator("#attempt-result")
        expect(result).to_have_text(f"Correct! +100 points for {LONG_TEAM} — first blood!")
        expect(page.locator("#challenge-head")).to_have_class(re.compile(r"\bsolved\b"))
        expect(page.locator("#challenge-head .solve-count")).to_have_text("1")
        expect(page.locator("#challenge-head")).to_contain_text("Your team has solved this challenge.")
        expect(page.locator("#challenge-head .chip-blood")).to_have_text("First blood")
        expect(page.locator("#challenge-solvers")).to_contain_text(LONG_TEAM)
        expect(page.locator("#f-submission")).to_have_value("")  # emptied for the next flag
        assert _still_here(page), "the page was reloaded"
        page.screenshot(path=str(shots / "challenge-correct-first-blood.png"), full_page=True)

        # Another team solved this one first: no "first blood", and the count goes from 1 to 2.
        _answer(page, caesar, CHALLENGES[CAESAR][4])
        expect(result).to_have_text(f"Correct! +100 points for {LONG_TEAM}.")
        expect(page.locator("#challenge-head .solve-count")).to_have_text("2")
        expect(page.locator("#challenge-head")).to_contain_text("Your team has solved this challenge.")
        expect(page.locator("#challenge-head .chip-blood")).to_have_count(0)
        assert _still_here(page)

        # The board: the standing, the chips, then the filters without a reload.
        page.goto("/challenges")
        bar = page.locator(".standing-bar")
        expect(bar).to_contain_text(LONG_TEAM)
        expect(bar.locator(".standing-rank")).to_have_text("1")
        expect(bar.locator(".standing-score")).to_have_text("200 points")
        cookie_card = page.locator(f'li.card:has(a[href="/challenges/{cookie}"])')
        expect(cookie_card.locator(".chip-blood")).to_have_text("First blood")
        caesar_card = page.locator(f'li.card:has(a[href="/challenges/{caesar}"])')
        expect(caesar_card.locator(".chip-solved")).to_be_visible()
        expect(caesar_card.locator(".chip-blood")).to_have_count(0)
        expect(page.locator("[data-filters-apply]")).to_be_hidden()  # the script applies as you go
        _mark_page(page)

        page.get_by_label("Unsolved only").check()
        expect(page).to_have_url(re.compile(r"/challenges\?show=unsolved$"))
        expect(page.locator("li.card:visible")).to_have_count(1)
        expect(page.locator(f'li.card:has(a[href="/challenges/{long_}"])')).to_be_visible()

        page.get_by_label("Unsolved only").uncheck()
        page.get_by_label("Category").select_option("web")
        expect(page).to_have_url(re.compile(r"/challenges\?category=web$"))
        assert _visible_cards(page) == [CHALLENGES[COOKIE][0]]
        expect(page.locator("section.category:visible")).to_have_count(1)

        page.get_by_label("Unsolved only").check()  # web and unsolved: nothing left
        expect(page.locator("li.card:visible")).to_have_count(0)
        expect(page.locator("[data-board-empty]")).to_be_visible()
        page.screenshot(path=str(shots / "board-filtered-empty.png"), full_page=True)

        page.get_by_role("link", name="Show every challenge").click()
        expect(page).to_have_url(re.compile(r"/challenges$"))
        expect(page.locator("li.card:visible")).to_have_count(len(CHALLENGES))
        expect(page.locator("[data-board-empty]")).to_be_hidden()
        assert _still_here(page), "filtering reloaded the page"

        # A reload keeps the filters the address holds (the server applies the same ones).
        page.get_by_label("Category").select_option("forensics")
        page.reload()
        expect(page.get_by_label("Category")).to_have_value("forensics")
        expect(page.locator("li.card:visible")).to_have_count(1)
    finally:
        context.close()


def test_without_the_script_the_filters_are_a_form(site: Server, browser: Browser) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(
        base_url=site.url, viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        _log_in(page)
        page.goto("/challenges")
        page.get_by_label("Category").select_option("crypto")
        page.get_by_role("button", name="Apply filters").click()
        expect(page).to_have_url(re.compile(r"/challenges\?category=crypto$"))
        assert _visible_cards(page) == [CHALLENGES[CAESAR][0]]
        page.get_by_role("link", name="Show every challenge").click()
        expect(page.locator("li.card:visible")).to_have_count(len(CHALLENGES))
    finally:
        context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_board_fits_every_screen_in_both_languages(
    site: Server, browser: Browser, tmp_path: Path, viewport: str
) -> None:
    from playwright.sync_api import expect

    width, height = VIEWPORTS[viewport]
    shots = _shots(tmp_path)
    context = browser.new_context(base_url=site.url, viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        _log_in(page)
        cookie = site.challenge_ids[COOKIE]
        _answer(page, cookie, CHALLENGES[COOKIE][4])  # so the cards show the solved and first-blood chips
        expect(page.locator("#attempt-result")).to_contain_text("first blood")
        for mode in ("en", "ja", "both"):
            page.goto(f"/lang/{mode}?next=/challenges")
            expect(page.locator(".standing-bar")).to_be_visible()
            if mode != "en":
                expect(page.locator("main").get_by_text(LONG_JA).first).to_be_visible()
            for selector in (
                ".card",
                ".card-name",
                ".card-stats",
                ".chip",
                ".standing-bar",
                ".board-filters",
            ):
                _assert_not_clipped(page, selector)
            page.screenshot(path=str(shots / f"board-chips-{mode}-{viewport}.png"), full_page=True)
        page.goto("/theme/dark?next=/challenges")
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        _assert_not_clipped(page, ".card")
        _assert_not_clipped(page, ".chip")
        page.screenshot(path=str(shots / f"board-chips-dark-{viewport}.png"), full_page=True)
    finally:
        context.close()
