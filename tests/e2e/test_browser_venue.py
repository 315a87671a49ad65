"""The venue screen on a 1920×1080 projector and pages that update themselves, in a real browser.

- ``/venue`` in English, Japanese and both languages (and with 20 rows): nothing scrolls, the top N
  rows are all inside the window, their type is at least 32 px, the graph's labels are large too.
- A solve made through the API (a player's token, the right flag) reaches the venue screen through
  the live stream within 2 seconds, measured from the API's answer to the change in the page.
- A first blood is toasted on the challenge board in the reader's language, the board's solve count
  follows, and an announcement lights the unread marker until the announcements page is read.

Screenshots are kept in ``$KIZUNA_SCREENSHOTS`` when set, else in the test's temporary directory.
Needs Debian's chromium and fonts-noto-cjk (the test command installs both); without chromium the
test skips, except under ``CI=true``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kizuna.bootstrap import prepare_database
from kizuna.services import accounts, challenges, content, event, notifications, submissions, teams
from kizuna.services.accounts import Principal
from kizuna.settings import load_settings
from kizuna.storage import tables as t
from kizuna.storage.db import Database
from kizuna.web.app import build_context
from tests.conftest import PASSWORD
from tests.live_server import running_server, server_env

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

SCREEN = {"width": 1920, "height": 1080}
TEAMS = 22  # more than the most rows the screen shows
LONG_JA_TEAM = "広島サイバーセキュリティ研究会・ウェールズ合同チームの非常に長いチーム名"
# (English name, Japanese name, value, flag); the last three are left for the tests to solve.
CHALLENGES = [
    ("Cookie Jar", "クッキー瓶", 100, "flag{cookie}"),
    ("Caesar's Salad", "シーザーサラダ", 150, "flag{caesar}"),
    ("Packet Picnic", "パケットのピクニック", 200, "flag{packet}"),
    ("Strings Attached", "ひも付き文字列", 250, "flag{strings}"),
    ("Late Night Login", "深夜のログイン", 300, "flag{login}"),
    ("English Fresh One", "日本語の新問題その一", 50, "flag{fresh-one}"),
    ("English Fresh Two", "日本語の新問題その二", 50, "flag{fresh-two}"),
    ("Board Blood", "ボードの一番乗り", 50, "flag{board}"),
]
FRESH = {"en": 5, "ja": 6}  # the index of the challenge each language's solve test solves


@dataclass(frozen=True)
class Server:
    url: str
    challenge_ids: list[int]
    admin_token: str
    # (team id, team name, a member's API token), strongest first
    teams: list[tuple[int, str, str]]
    database_url: str


def _seed(env: dict[str, str]) -> tuple[list[int], str, list[tuple[int, str, str]]]:
    """An event that started three hours ago, with 22 teams that scored over those hours."""
    ctx = build_context(load_settings(environ=env))
    real_now = ctx.now
    try:
        prepare_database(ctx.db)
        start = real_now() - timedelta(hours=3)
        event.update_event(
            ctx,
            {
                "start_at": start,
                "end_at": real_now() + timedelta(hours=5),
                "name": "Kizuna Joint CTF",
                "locale": "en",
                "translations": {"ja": {"name": "絆 合同CTF"}},
            },
        )
        ids = []
        for en, ja, value, flag in CHALLENGES:
            ch = challenges.create_challenge(
                ctx,
                {
                    "name": en,
                    "category": "misc",
                    "value": value,
                    "locale": "en",
                    "translations": {"ja": {"name": ja}},
                },
            )
            content.create_flag(ctx, ch.id, "static", flag, "")
            ids.append(ch.id)
        admin = accounts.register_user(ctx, "venue-admin", PASSWORD, role="admin", by_admin=True)
        admin_token = accounts.create_token(ctx, admin.id).value
        made: list[tuple[int, str, str, Principal]] = []
        for n in range(TEAMS):
            name = LONG_JA_TEAM if n == 1 else f"Team {n + 1:02d}"
            user = accounts.register_user(ctx, f"captain{n + 1:02d}", PASSWORD, by_admin=True)
            team = teams.create_team(ctx, name, user.id)
            token = accounts.create_token(ctx, user.id).value
            made.append((team.id, name, token, Principal(user.id, user.name, "player", team.id)))
        # Stronger teams solve more, earlier: a graph with steps over the three hours.
        for k in range(5):
            for n, (_tid, _name, _token, who) in enumerate(made):
                if k >= 5 - n // 3:  # teams 1–3 solve all five, 4–6 four, … 16 on none
                    continue
                ctx.now = lambda k=k, n=n: start + timedelta(minutes=20 + 30 * k + 3 * n)
                assert submissions.submit_flag(ctx, who, ids[k], CHALLENGES[k][3]).status == "correct"
        ctx.now = real_now
        notifications.announce(
            ctx,
            "Welcome to the joint event",
            "Flags look like flag{...}.",
            {
                "locale": "en",
                "translations": {
                    "ja": {"title": "合同イベントへようこそ", "content": "フラグは flag{...} の形です。"}
                },
            },
        )
        notifications.announce(
            ctx,
            "Lunch is served",
            "In the hall.",
            {
                "locale": "en",
                "translations": {"ja": {"title": "昼食の用意ができました", "content": "ホールにて。"}},
            },
        )
        return ids, admin_token, [(tid, name, token) for tid, name, token, _who in made]
    finally:
        ctx.now = real_now
        ctx.db.dispose()


def _env(folder: Path) -> dict[str, str]:
    return server_env(folder)


@pytest.fixture(scope="module")
def seeded(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[int], str, list[tuple[int, str, str]]]:
    """The event, seeded once (22 accounts take a while); each test serves its own copy."""
    folder = tmp_path_factory.mktemp("venue-seed")
    ids, admin_token, made = _seed(_env(folder))
    db = Database(_env(folder)["KIZUNA_DATABASE_URL"])
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return folder / "kizuna.db", ids, admin_token, made


@pytest.fixture
def server(
    tmp_path: Path, seeded: tuple[Path, list[int], str, list[tuple[int, str, str]]]
) -> Iterator[Server]:
    template, ids, admin_token, made = seeded
    shutil.copy(template, tmp_path / "kizuna.db")
    env = _env(tmp_path)
    with running_server(env, tmp_path / "server.log") as url:
        yield Server(url, ids, admin_token, made, env["KIZUNA_DATABASE_URL"])


def _shots(tmp_path: Path) -> Path:
    kept = os.environ.get("KIZUNA_SCREENSHOTS")
    folder = Path(kept) if kept else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _api(server: Server, method: str, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - the test's own server on 127.0.0.1
        f"{server.url}{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        out: dict[str, Any] = json.loads(response.read())
        return out


def _wait_live(page: Page) -> None:
    """Until the page's stream is open, so what happens next reaches it."""
    # A function, not an expression: Playwright evaluates it once, so polling needs no eval, which the
    # page's Content-Security-Policy refuses (kizuna.web.headers).
    page.wait_for_function("() => document.body.getAttribute('data-live-state') === 'open'", timeout=15_000)


# What a projector shows: the measures the assertions below need, taken in the page.
MEASURE = """() => {
  const root = document.documentElement;
  const table = document.querySelector('.venue-table');
  const box = table.getBoundingClientRect();
  const rows = [...document.querySelectorAll('.venue-table tbody tr')].map((tr) => {
    const r = tr.getBoundingClientRect();
    const name = tr.querySelector('th.name');
    return {
      top: r.top, bottom: r.bottom,
      // The smallest text in the row, the rank's chip included.
      font: Math.min(...[...tr.cells, ...tr.querySelectorAll('.chip')]
        .map((c) => parseFloat(getComputedStyle(c).fontSize))),
      name: name.textContent.trim(),
      colour: getComputedStyle(tr).getPropertyValue('--team').trim(),
      account: tr.dataset.account,
      ink: getComputedStyle(name).color,
    };
  });
  const lines = [...document.querySelectorAll('.venue-graph .series')].map((g) => ({
    account: g.dataset.account,
    stroke: getComputedStyle(g.querySelector('polyline')).stroke,
  }));
  const labels = [...document.querySelectorAll('.venue-graph text')]
    .map((t) => t.getBoundingClientRect().height);
  const inside = (sel) => [...document.querySelectorAll(sel)].every((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth;
  });
  return {
    scrollHeight: Math.max(root.scrollHeight, document.body.scrollHeight),
    scrollWidth: Math.max(root.scrollWidth, document.body.scrollWidth),
    innerHeight, innerWidth, rows, labels, lines,
    background: getComputedStyle(document.body).backgroundColor,
    tableBottom: box.bottom,
    headVisible: inside('.venue-name') && inside('.venue-clock .countdown') && inside('.venue-state'),
    tickersVisible: inside('.ticker h2') && inside('.venue-foot .lang a'),
  };
}"""

MODES = {
    # mode: (address, heading of the bloods ticker, a team name in the table)
    "en": ("/venue?display=single&lang=en", "First bloods", "Team 01"),
    "ja": ("/venue?display=single&lang=ja", "ファーストブラッド", "Team 01"),
    "both": ("/venue?display=both&lang=en", "First bloods", "Team 01"),
}


def _pause_and_freeze(server: Server) -> None:
    """The longest header: paused with a long reason in each language, and the scoreboard frozen."""
    db = Database(server.database_url)
    try:
        with db.write() as s:
            ev = s.get(t.Event, 1)
            ev.paused = True
            ev.pause_reason = {
                "en": "The network is being repaired; flags are not accepted until it is back. " * 3,
                "ja": "ネットワークを修理中です。復旧するまでフラグは受け付けません。" * 3,
            }
            ev.freeze_at = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
    finally:
        db.dispose()


def _rgb(colour: str) -> str:
    """A #rrggbb colour as the browser computes it (rgb(r, g, b))."""
    hex_ = colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(hex_[i : i + 2], 16) for i in (0, 2, 4)))


@pytest.mark.parametrize(
    ("mode", "rows", "states", "theme"),
    [
        ("en", 10, False, "light"),
        ("ja", 10, False, "light"),
        ("both", 10, False, "light"),
        ("both", 20, False, "light"),
        ("ja", 20, True, "light"),
        ("both", 20, True, "light"),
        ("en", 10, False, "dark"),
        ("both", 20, True, "dark"),
    ],
)
def test_venue_fits_a_1080p_projector(
    server: Server, browser: Browser, tmp_path: Path, mode: str, rows: int, states: bool, theme: str
) -> None:
    from playwright.sync_api import expect

    from kizuna.web.pages.scoreboard import COLOURS, COLOURS_DARK

    if rows != 10:
        _api(server, "PATCH", "/api/v1/event", server.admin_token, {"venue_rows": rows})
    if theme != "light":
        _api(server, "PATCH", "/api/v1/event", server.admin_token, {"venue_theme": theme})
    if states:
        _pause_and_freeze(server)
    address, bloods, team = MODES[mode]
    context = browser.new_context(base_url=server.url, viewport=SCREEN)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(address)
        expect(page.locator(".venue-table tbody tr").first).to_be_visible()
        expect(page.get_by_role("heading", name=re.compile(re.escape(bloods)))).to_be_visible()
        if states:
            expect(page.locator(".venue-paused")).to_be_visible()
            expect(page.locator(".venue-frozen")).to_be_visible()
        m: Any = page.evaluate(MEASURE)
        shot = f"venue-{mode}-{rows}{'-paused' if states else ''}{'-dark' if theme == 'dark' else ''}.png"
        page.screenshot(path=str(_shots(tmp_path) / shot))
    finally:
        context.close()
    assert m["scrollHeight"] <= m["innerHeight"], m
    assert m["scrollWidth"] <= m["innerWidth"], m
    assert len(m["rows"]) == rows  # the top N, no more
    assert m["rows"][0]["name"] == team
    assert any(r["name"] == LONG_JA_TEAM for r in m["rows"])  # long names are cut, not wrapped
    for r in m["rows"]:
        assert r["top"] >= 0 and r["bottom"] <= m["innerHeight"] and r["bottom"] <= m["tableBottom"] + 0.5, r
        assert r["font"] >= 32, r
        assert r["colour"].startswith("#"), r
    assert m["labels"] and min(m["labels"]) >= 22, m["labels"]  # graph labels read from the room
    assert m["headVisible"] and m["tickersVisible"], m
    if mode == "both":
        assert m["rows"][0]["font"] >= 32
    # The theme the organisers chose, and each team in one colour of that theme's palette, the same
    # in the table and on the graph.
    palette = COLOURS_DARK if theme == "dark" else COLOURS
    assert m["background"] == ("rgb(0, 0, 0)" if theme == "dark" else "rgb(255, 255, 255)"), m["background"]
    if theme == "dark":
        assert all(r["ink"] == "rgb(255, 255, 255)" for r in m["rows"]), m["rows"]
    colour_of = {r["account"]: r["colour"] for r in m["rows"]}
    assert all(c.upper() in palette for c in colour_of.values()), colour_of
    drawn = [line for line in m["lines"] if line["account"] in colour_of]
    assert drawn, m["lines"]
    for line in drawn:
        assert line["stroke"] == _rgb(colour_of[line["account"]]), (line, colour_of)


def _score(page: Page, team_id: int) -> str:
    return page.locator(f'.venue-table tr[data-account="{team_id}"] td.num').inner_text()


# Records (in the page, with the page's clock, the same as the test's) when the team's score in the
# table first differs from ``before``: the board part is swapped in by the live script.
WATCH = """([teamId, before]) => {
  window.__changedAt = null;
  const check = () => {
    const cell = document.querySelector(`.venue-table tr[data-account="${teamId}"] td.num`);
    if (window.__changedAt === null && cell && cell.textContent.trim() !== before) {
      window.__changedAt = Date.now();
    }
  };
  new MutationObserver(check).observe(document.body, { childList: true, subtree: true, characterData: true });
}"""


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_solve_through_the_api_reaches_the_venue_within_two_seconds(
    server: Server, browser: Browser, tmp_path: Path, lang: str
) -> None:
    from playwright.sync_api import expect

    index = FRESH[lang]
    leader_id, _name, leader_token = server.teams[0]
    context = browser.new_context(base_url=server.url, viewport=SCREEN)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"/venue?display=single&lang={lang}")
        _wait_live(page)
        before = _score(page, leader_id)
        # The leader solves: its row's score changes in place.
        page.evaluate(WATCH, [leader_id, before])
        answer = _api(
            server,
            "POST",
            "/api/v1/challenges/attempt",
            leader_token,
            {"challenge_id": server.challenge_ids[index], "submission": CHALLENGES[index][3]},
        )
        answered = time.time() * 1000
        assert answer["data"]["status"] == "correct"
        page.wait_for_function("() => window.__changedAt !== null", timeout=10_000)
        delay = page.evaluate("window.__changedAt") - answered
        assert _score(page, leader_id) != before
        # It was the challenge's first solve: the ticker says so, in the screen's language.
        ticker = page.locator(".ticker-bloods .ticker-item").first
        expect(ticker).to_contain_text(CHALLENGES[index][0 if lang == "en" else 1])
        expect(ticker.locator("p").first).to_have_attribute("lang", lang)
        page.screenshot(path=str(_shots(tmp_path) / f"venue-live-{lang}.png"))
    finally:
        context.close()
    print(f"venue screen ({lang}): the solve appeared {delay:.0f} ms after the API answered")
    assert delay <= 2000, f"the solve reached the venue screen after {delay:.0f} ms"


def _log_in(page: Page, name: str, lang: str) -> None:
    page.goto(f"/login?lang={lang}")
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_first_blood_toast_solve_count_and_unread_marker(
    server: Server, browser: Browser, tmp_path: Path, lang: str
) -> None:
    from playwright.sync_api import expect

    board_blood = server.challenge_ids[7]
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        _log_in(page, "captain03", lang)
        page.goto(f"/lang/{lang}?next=/challenges")
        count = page.locator(f'[data-solves-for="{board_blood}"]')
        expect(count).to_have_attribute("data-count", "0")
        _wait_live(page)
        # Other scripts of the page may follow the same stream through "kizuna:event".
        page.evaluate(
            "window.__heard = [];"
            "document.addEventListener('kizuna:event', (e) => window.__heard.push(e.detail.type))"
        )
        # Another team takes the first blood of a challenge on the board.
        _api(
            server,
            "POST",
            "/api/v1/challenges/attempt",
            server.teams[5][2],
            {"challenge_id": board_blood, "submission": CHALLENGES[7][3]},
        )
        toast = page.locator("#kz-toasts .kz-toast-solve")
        expect(toast).to_be_visible(timeout=10_000)
        expect(toast).to_contain_text(CHALLENGES[7][0 if lang == "en" else 1])
        expect(toast.locator("[lang]").first).to_have_attribute("lang", lang)
        if lang == "ja":
            expect(toast).not_to_contain_text("Board Blood")
        expect(count).to_have_attribute("data-count", "1")
        assert "solve" in page.evaluate("window.__heard")
        page.screenshot(path=str(_shots(tmp_path) / f"board-toast-{lang}.png"))

        # An announcement: a toast, and the marker counts it until the announcements page is read.
        unread = page.locator("#kz-unread")
        expect(unread).to_be_hidden()
        _api(
            server,
            "POST",
            "/api/v1/notifications",
            server.admin_token,
            {
                "title": "Hint time",
                "content": "Read the hints.",
                "locale": "en",
                "translations": {"ja": {"title": "ヒントの時間", "content": "ヒントを読んでください。"}},
            },
        )
        expect(page.locator("#kz-toasts .kz-toast-announcement")).to_contain_text(
            "Hint time" if lang == "en" else "ヒントの時間"
        )
        expect(unread).to_be_visible()
        expect(unread).to_contain_text("1")
        page.goto("/scoreboard")
        expect(page.locator("#kz-unread")).to_be_visible()  # kept across pages
        page.goto("/announcements")
        expect(page.locator("#kz-unread")).to_be_hidden()
        page.goto("/challenges")
        expect(page.locator("#kz-unread")).to_be_hidden()
    finally:
        context.close()
