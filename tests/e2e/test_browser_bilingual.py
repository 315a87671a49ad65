"""The challenge board and scoreboard in English, Japanese and both languages, in a real browser.

Screenshots are taken of each (kept in ``$KIZUNA_SCREENSHOTS`` when set, else in the test's temporary
directory), and the test asserts what a reader would notice: the key elements are visible, long
Japanese names wrap inside their cards and table cells instead of being cut off, and no page scrolls
sideways — on a desktop window and on a phone-sized one. Then a player switches language in the
middle of a session and keeps their place. Needs Debian's chromium and fonts-noto-cjk (the test
command installs both); without chromium the test skips, except under ``CI=true``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kizuna.bootstrap import prepare_database
from kizuna.services import accounts, challenges, content, sponsors, submissions, teams
from kizuna.services.accounts import Principal
from kizuna.settings import load_settings
from kizuna.web.app import build_context
from tests.conftest import PASSWORD, no_two_factor_requirement, unavailable
from tests.live_server import running_server, server_env

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

LONG_JA = "とても長い日本語の問題名はカードの幅を越えずに折り返されなければならない（長文テスト）"
LONG_TEAM = "広島サイバーセキュリティ研究会・ウェールズ合同チームの非常に長いチーム名"
CHALLENGES = [
    # (English name, Japanese name, category, Japanese category, flag)
    ("Cookie Jar", "クッキー瓶", "web", "ウェブ", "flag{cookie}"),
    ("Caesar's Salad", "シーザーサラダ", "crypto", "暗号", "flag{caesar}"),
    (
        "A very long English challenge name that must wrap",
        LONG_JA,
        "forensics",
        "フォレンジック",
        "flag{long}",
    ),
]
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}


@dataclass(frozen=True)
class Server:
    url: str
    challenge_ids: list[int]


def _png() -> bytes:
    from tests.web.test_sponsors import _png as png

    return png()


def _seed(env: dict[str, str]) -> list[int]:
    ctx = build_context(load_settings(environ=env))
    try:
        prepare_database(ctx.db)
        # The home page's organisers and sponsors block, with and without a link and a translation.
        for name, ja_name, group, url, logo in (
            ("Cyber Wales", "", "organisers", "https://example.org/wales", None),
            ("British Embassy Tokyo", "駐日英国大使館", "hosts", "", _png()),
        ):
            translations = {"ja": {"name": ja_name}} if ja_name else None
            sponsors.create_sponsor(
                ctx,
                {
                    "name": name,
                    "locale": "en",
                    "translations": translations,
                    "group": group,
                    "url": url,
                    "logo": logo,
                },
            )
        ids = []
        for en, ja, category, category_ja, flag in CHALLENGES:
            ch = challenges.create_challenge(
                ctx,
                {
                    "name": en,
                    "category": category,
                    "value": 100,
                    "description": f"The English description of {en}. Flags look like `flag{{l1I_O0}}`.",
                    "locale": "en",
                    "translations": {
                        "ja": {
                            "name": ja,
                            "description": f"{ja}の説明文。フラグの形式は `flag{{l1I_O0}}` です。",
                            "category": category_ja,
                        }
                    },
                },
            )
            content.create_flag(ctx, ch.id, "static", flag, "")
            ids.append(ch.id)
        player = accounts.register_user(ctx, "player", PASSWORD, by_admin=True)
        teams.create_team(ctx, LONG_TEAM, player.id)
        rival = accounts.register_user(ctx, "rival", PASSWORD, by_admin=True)
        wales = teams.create_team(ctx, "Cyber Wales", rival.id)
        as_rival = Principal(rival.id, rival.name, "player", wales.id)
        assert submissions.submit_flag(ctx, as_rival, ids[1], CHALLENGES[1][4]).status == "correct"
        accounts.register_user(ctx, "newcomer", PASSWORD, by_admin=True)  # in no team yet
        accounts.register_user(ctx, "organiser", PASSWORD, role="admin", by_admin=True)
        no_two_factor_requirement(ctx.db)  # the staff pages open without setting up a second factor
        return ids
    finally:
        ctx.db.dispose()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    env = server_env(tmp_path)
    ids = _seed(env)
    with running_server(env, tmp_path / "server.log") as url:
        yield Server(url, ids)


def _shots(tmp_path: Path) -> Path:
    kept = os.environ.get("KIZUNA_SCREENSHOTS")
    folder = Path(kept) if kept else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _log_in(page: Page, name: str = "player") -> None:
    page.goto("/login?lang=en")
    page.get_by_label(re.compile(r"^Name")).fill(name)
    page.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


# Elements that must not be cut off: their content fits (no hidden overflow) and they lie inside
# the window horizontally. Returns the offenders, described, so a failure says what was clipped.
CLIPPED = """(selector) => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    const text = el.textContent.trim().slice(0, 40);
    if (r.width === 0 && r.height === 0) { out.push(['hidden', text]); continue; }
    if (el.scrollWidth > el.clientWidth + 1) out.push(['overflows', text]);
    if (r.left < -1 || r.right > width + 1) out.push(['outside', text]);
  }
  return out;
}"""


def _assert_not_clipped(page: Page, selector: str) -> None:
    assert page.locator(selector).count() > 0, selector
    offenders: Any = page.evaluate(CLIPPED, selector)
    assert offenders == [], f"{selector}: {offenders}"
    sideways = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert sideways <= 1, f"the page scrolls sideways by {sideways}px"


MODES = {
    # mode: (switch path, texts that must be visible on the board, texts that must not be)
    "en": ("/lang/en", ["Cookie Jar", "crypto", "Challenges"], ["クッキー瓶"]),
    "ja": ("/lang/ja", ["クッキー瓶", "暗号", LONG_JA, "問題"], ["Cookie Jar"]),
    "both": ("/lang/both", ["Cookie Jar", "クッキー瓶", "暗号", "crypto", LONG_JA], []),
}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_board_and_scoreboard_in_every_language_mode(
    server: Server, browser: Browser, tmp_path: Path, viewport: str
) -> None:
    from playwright.sync_api import expect

    width, height = VIEWPORTS[viewport]
    shots = _shots(tmp_path)
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        _log_in(page)
        for mode, (switch, present, absent) in MODES.items():
            page.goto(f"{switch}?next=/challenges")
            expect(page).to_have_url(re.compile(r"/challenges$"))
            expect(page.locator("html")).to_have_attribute("lang", "en" if mode == "en" else "ja")
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            main = page.locator("main")
            for text in present:
                # The first shown match: a category's name is also an option of the board's filter.
                expect(main.get_by_text(text, exact=False).locator("visible=true").first).to_be_visible()
            for text in absent:
                expect(main.get_by_text(text, exact=False)).to_have_count(0)
            _assert_not_clipped(page, ".card")
            _assert_not_clipped(page, ".card-name")
            _assert_not_clipped(page, "section.category h2")
            page.screenshot(path=str(shots / f"board-{mode}-{viewport}.png"), full_page=True)

            page.goto("/scoreboard")
            expect(page.locator("table.scoreboard")).to_be_visible()
            table = page.locator("table.scoreboard")
            expect(table.get_by_role("link", name=LONG_TEAM)).to_be_visible()
            expect(table.get_by_role("link", name="Cyber Wales")).to_be_visible()
            # On a phone the members column is left out (each team's page lists them).
            members = page.locator("table.scoreboard td.members-col").first
            assert members.is_visible() == (viewport != "phone"), viewport
            _assert_not_clipped(page, "table.scoreboard td:not(.members-col)")
            _assert_not_clipped(page, "table.scoreboard th:not(.members-col)")
            if mode == "both":
                expect(page.get_by_role("heading", level=1)).to_contain_text("Scoreboard")
                expect(page.get_by_role("heading", level=1)).to_contain_text("スコアボード")
            page.screenshot(path=str(shots / f"scoreboard-{mode}-{viewport}.png"), full_page=True)

            # The landing page: the hero and the organisers and sponsors block fit the window.
            page.goto("/")
            expect(page.locator(".hero h1")).to_be_visible()
            sponsors_block = page.locator("section.sponsors")
            expect(sponsors_block.get_by_role("link", name=re.compile("Cyber Wales"))).to_be_visible()
            host = {"en": ["British Embassy Tokyo"], "ja": ["駐日英国大使館"]}.get(
                mode, ["British Embassy Tokyo", "駐日英国大使館"]
            )
            for name in host:
                expect(sponsors_block.get_by_text(name)).to_be_visible()
            _assert_not_clipped(page, ".hero")
            _assert_not_clipped(page, ".hero-actions .button")
            _assert_not_clipped(page, ".sponsor")
            # The logo loads under the page's Content-Security-Policy.
            logo = sponsors_block.locator("img.sponsor-logo")
            expect(logo).to_have_count(1)
            page.wait_for_function(
                "() => [...document.querySelectorAll('img.sponsor-logo')].every((i) => i.complete)"
            )
            assert logo.evaluate("(img) => img.naturalWidth") == 1
            page.screenshot(path=str(shots / f"home-{mode}-{viewport}.png"), full_page=True)
    finally:
        context.close()
    assert len(list(shots.glob(f"*-{viewport}.png"))) >= 2 * len(MODES)


def test_switching_language_mid_session_keeps_the_page(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    shots = _shots(tmp_path)
    context = browser.new_context(base_url=server.url, locale="en-GB")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        _log_in(page)
        cookie_jar = server.challenge_ids[0]
        page.goto(f"/challenges/{cookie_jar}")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Cookie Jar")
        page.get_by_role("textbox", name="Flag").fill("flag{nope}")
        page.get_by_role("button", name="Submit").click()
        expect(page.locator("#attempt-result")).to_contain_text("Incorrect")

        page.get_by_role("navigation", name="Language").get_by_role("link", name="日本語").click()
        expect(page).to_have_url(re.compile(rf"/challenges/{cookie_jar}$"))
        expect(page.locator("html")).to_have_attribute("lang", "ja")
        expect(page.get_by_role("heading", level=1)).to_contain_text("クッキー瓶")
        expect(page.locator("main")).to_contain_text("クッキー瓶の説明文。")
        # A flag typed with a Japanese IME (full-width letters, ideographic space) still matches.
        page.get_by_role("textbox", name="フラグ").fill("\u3000ｆｌａｇ｛ｃｏｏｋｉｅ｝")
        page.get_by_role("button", name="提出する").click()
        expect(page.locator("#attempt-result")).to_contain_text("正解")
        page.screenshot(path=str(shots / "switch-ja.png"), full_page=True)

        page.get_by_role("navigation", name="言語").get_by_role("link", name=re.compile("日英併記")).click()
        expect(page).to_have_url(re.compile(rf"/challenges/{cookie_jar}$"))
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_contain_text("クッキー瓶")
        expect(heading).to_contain_text("Cookie Jar")
        expect(page.locator(".lt-blocks.pair")).to_be_visible()
        page.screenshot(path=str(shots / "switch-both.png"), full_page=True)

        page.get_by_role("navigation", name=re.compile("Language")).get_by_role(
            "link", name="English"
        ).click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).not_to_contain_text("クッキー瓶")
        page.goto("/challenges")  # the choice is kept for the rest of the session
        expect(page.locator("main")).to_contain_text("Cookie Jar")
        expect(page.locator("main")).not_to_contain_text("クッキー瓶")
    finally:
        context.close()


# Whether an element's own font, as the browser renders it, is monospace: "iiii" and "MMMM" are
# equally wide only in a monospace face. The computed family is returned too, for the message.
MONOSPACED = """(el) => {
  const style = getComputedStyle(el);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = `${style.fontSize} ${style.fontFamily}`;
  const narrow = ctx.measureText('iiiillll1111').width;
  const wide = ctx.measureText('MMMMWWWW0000').width;
  return [Math.abs(narrow - wide) < 0.5, style.fontFamily];
}"""


def test_flags_and_invite_codes_are_monospace_in_every_language(server: Server, browser: Browser) -> None:
    """Code, flags, tokens and invite codes stay monospace on Japanese pages too, where the
    language's own font rule applies to every element (l/1/I and O/0 must stay apart)."""
    from playwright.sync_api import expect

    context = browser.new_context(base_url=server.url)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        _log_in(page)
        for mode, (switch, _present, _absent) in MODES.items():
            page.goto(f"{switch}?next=/challenges/{server.challenge_ids[0]}")
            expect(page.locator("html")).to_have_attribute("lang", "en" if mode == "en" else "ja")
            flag = page.locator("#f-submission")
            mono, family = flag.evaluate(MONOSPACED)
            assert mono, f"{mode}: the flag field's font is not monospace ({family})"
            # Code in the description too (in Japanese, a language rule applies to every element).
            for code in page.locator(".description code").all():
                mono, family = code.evaluate(MONOSPACED)
                assert mono, f"{mode}: code in the description is not monospace ({family})"
            assert page.locator(".description code").count() >= 1
            # The prose around it keeps the language's face.
            prose, _ = page.locator("h1").evaluate(MONOSPACED)
            assert not prose, mode
            page.goto("/team")
            code = page.locator("#invite-code")
            expect(code).to_be_visible()
            mono, family = code.evaluate(MONOSPACED)
            assert mono, f"{mode}: the invite code's font is not monospace ({family})"
            page.goto("/teams/join")
            mono, family = page.locator("#f-code").evaluate(MONOSPACED)
            assert mono, f"{mode}: the invite code field's font is not monospace ({family})"
    finally:
        context.close()


def test_an_invite_is_copied_and_its_link_fills_in_the_join_form(server: Server, browser: Browser) -> None:
    from playwright.sync_api import expect

    captain = browser.new_context(base_url=server.url, permissions=["clipboard-read", "clipboard-write"])
    try:
        page = captain.new_page()
        page.set_default_timeout(15_000)
        _log_in(page)
        page.goto("/team")
        shown = page.locator("#invite-code").input_value()
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", shown), shown
        copy = page.locator('button[data-copy="invite-code"]')
        expect(copy).to_be_visible()  # shown by the script: the clipboard is there
        copy.click()
        expect(page.locator("#invite-code ~ .copy-status")).to_have_text("Copied.")
        assert page.evaluate("navigator.clipboard.readText()") == shown
        link = page.locator("#join-link").input_value()
        assert link.endswith(f"/teams/join#code={shown}")
        expect(page.locator("figure.qr-code svg")).to_be_visible()
    finally:
        captain.close()

    newcomer = browser.new_context(base_url=server.url)
    try:
        page = newcomer.new_page()
        page.set_default_timeout(15_000)
        _log_in(page, "newcomer")
        page.goto(link)
        expect(page.locator("#f-code")).to_have_value(shown)  # from the fragment, by the script
        page.get_by_role("button", name="Join team").click()
        expect(page).to_have_url(re.compile(r"/team$"))
        expect(page.locator("main")).to_contain_text(LONG_TEAM)
    finally:
        newcomer.close()


@pytest.mark.parametrize("mode", list(MODES))
def test_the_phone_header_is_one_line_with_a_menu_and_a_segmented_language_switch(
    server: Server, browser: Browser, tmp_path: Path, mode: str
) -> None:
    from playwright.sync_api import expect

    switch = MODES[mode][0]
    phone = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 844})
    try:
        page = phone.new_page()
        page.set_default_timeout(15_000)
        _log_in(page)
        page.goto(f"{switch}?next=/challenges")
        page.screenshot(path=str(_shots(tmp_path) / f"header-{mode}-phone.png"))
        header = page.locator("header.site")
        height = header.bounding_box()["height"]
        assert height <= 0.1 * 844, f"{mode}: the header takes {height}px of a phone's 844"
        nav = page.locator("#main-nav")
        menu = page.locator("header.site .menu-button")
        expect(nav).to_be_hidden()
        expect(menu).to_have_attribute("aria-expanded", "false")
        languages = page.locator("header.site nav.lang")
        expect(languages.get_by_text("EN", exact=True)).to_be_visible()
        expect(languages.get_by_text("併記", exact=True)).to_be_visible()
        width = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        assert page.evaluate(width) <= 1  # nothing scrolls sideways
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(nav).to_be_visible()
        nav.get_by_role("link", name=re.compile("Scoreboard|スコアボード")).first.click()
        expect(page).to_have_url(re.compile(r"/scoreboard$"))
    finally:
        phone.close()


def test_without_the_script_the_phone_navigation_stays_open(server: Server, browser: Browser) -> None:
    from playwright.sync_api import expect

    phone = browser.new_context(
        base_url=server.url, viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    try:
        page = phone.new_page()
        page.goto("/scoreboard?lang=en")
        expect(page.locator("#main-nav")).to_be_visible()
        expect(page.locator("header.site .menu-button")).to_be_hidden()
        expect(page.locator("#main-nav").get_by_role("link", name="Challenges")).to_be_visible()
    finally:
        phone.close()


def test_on_a_desktop_there_is_no_menu_button(server: Server, browser: Browser) -> None:
    from playwright.sync_api import expect

    desktop = browser.new_context(base_url=server.url, viewport={"width": 1366, "height": 768})
    try:
        page = desktop.new_page()
        page.goto("/scoreboard?lang=en")
        expect(page.locator("header.site .menu-button")).to_be_hidden()
        expect(page.locator("#main-nav").get_by_role("link", name="Challenges")).to_be_visible()
        expect(page.locator("header.site nav.lang").get_by_text("English", exact=True)).to_be_visible()
    finally:
        desktop.close()


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PLAYER_PAGES = [
    *("/", "/challenges", "/challenges/{id}", "/scoreboard", "/announcements", "/teams", "/team", "/account")
]
ADMIN_PAGES = [
    *("/admin", "/admin/challenges", "/admin/challenges/{id}", "/admin/accounts", "/admin/submissions"),
    *("/admin/awards", "/admin/translations", "/admin/event", "/admin/sponsors", "/admin/sponsors/new"),
]
VISITOR_PAGES = ["/login", "/register", "/venue"]


def _axe(page: Page) -> list[tuple[str, str, int]]:
    """axe-core's serious and critical violations on the page: (rule, impact, how many elements)."""
    page.add_script_tag(path=str(AXE))
    found: Any = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => [v.id, v.impact, v.nodes.length, v.nodes.slice(0, 3).map(n => n.target.join(' '))])"
    )
    return [tuple(v) for v in found]


@pytest.mark.parametrize(
    ("mode", "scheme"), [("en", "light"), ("ja", "light"), ("both", "light"), ("both", "dark")]
)
def test_axe_finds_no_serious_violation_on_the_main_pages(
    server: Server, browser: Browser, tmp_path: Path, mode: str, scheme: str
) -> None:
    """In each language mode, and in the dark theme the system asks for (axe computes the real
    contrast of every text it sees). A screenshot of each page is kept (``$KIZUNA_SCREENSHOTS``)."""
    shots = _shots(tmp_path)
    if not AXE.exists():
        unavailable("axe-core", f"{AXE} is missing; run `make install` (npm)")
    switch = MODES[mode][0]
    problems: dict[str, Any] = {}
    for who, pages in (("", VISITOR_PAGES), ("player", PLAYER_PAGES), ("organiser", ADMIN_PAGES)):
        # Our Content-Security-Policy refuses injected scripts, axe's too: bypassed for this check only.
        context = browser.new_context(base_url=server.url, bypass_csp=True, color_scheme=scheme)
        try:
            page = context.new_page()
            page.set_default_timeout(15_000)
            if who:
                _log_in(page, who)
            page.goto(f"{switch}?next=/")
            for path in pages:
                wanted = path.format(id=server.challenge_ids[0])
                answer = page.goto(wanted)
                assert answer is not None and answer.status == 200, (who, path)
                assert page.url.split("?")[0].endswith(wanted), (who, path, page.url)  # not redirected
                slug = path.strip("/").replace("/", "-").replace("{id}", "id") or "home"
                name = f"{who or 'visitor'}-{slug}-{mode}-{scheme}.png"
                page.screenshot(path=str(shots / name), full_page=True)
                found = _axe(page)
                if found:
                    problems[f"{who or 'visitor'} {path}"] = found
        finally:
            context.close()
    assert problems == {}, problems


# Words split over two lines in the staff tables: each Latin word, and each cell of at most five
# Japanese characters (a status such as 不正解), must sit on one line. (Not inside <code>: what a
# player typed may be any length, and breaks anywhere on purpose.)
BROKEN_WORDS = """() => {
  const out = [];
  const lines = (range) => new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
  for (const cell of document.querySelectorAll('.admin-body table th, .admin-body table td')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('code')) continue;
      const text = node.textContent;
      const words = [...text.matchAll(/[A-Za-z]{2,}/g)];
      const trimmed = text.trim();
      if (/^[\\u3040-\\u30ff\\u4e00-\\u9fff]{2,5}$/.test(trimmed)) {
        words.push({0: trimmed, index: text.indexOf(trimmed)});
      }
      for (const w of words) {
        const range = document.createRange();
        range.setStart(node, w.index);
        range.setEnd(node, w.index + w[0].length);
        if (lines(range) > 1) out.push(w[0]);
      }
    }
  }
  return out;
}"""


# What sticks out of the window on the right (outside any box that scrolls): tag, class and width.
WIDE = """() => {
  const limit = document.documentElement.clientWidth + 1;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.table-scroll')) continue;
    const r = el.getBoundingClientRect();
    if (r.right > limit) out.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.right)}`);
  }
  return out.slice(0, 8);
}"""


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_staff_tables_keep_words_whole_and_scroll_in_their_own_box(
    server: Server, browser: Browser, tmp_path: Path, viewport: str
) -> None:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        _log_in(page, "organiser")
        for mode in ("en", "ja"):
            page.goto(f"/lang/{mode}?next=/")
            for path in ("/admin/challenges", "/admin/accounts", "/admin/submissions", "/admin/translations"):
                page.goto(path)
                page.screenshot(
                    path=str(_shots(tmp_path) / f"staff{path.replace('/', '-')}-{mode}-{viewport}.png")
                )
                assert page.locator(".admin-body table").count() >= 1, path
                broken = page.evaluate(BROKEN_WORDS)
                assert broken == [], f"{mode} {path}: words broken over two lines: {broken}"
                sideways = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                wide = page.evaluate(WIDE)
                assert sideways <= 1, f"{mode} {path}: the page scrolls sideways by {sideways}px: {wide}"
                if viewport == "desktop":  # the staff pages use the whole window
                    main = page.locator("main").bounding_box()
                    assert main["width"] > 0.9 * width, (path, main)
    finally:
        context.close()


FONTS = Path(__file__).resolve().parents[2] / "src" / "kizuna" / "web" / "static" / "vendor" / "fonts"
# Which faces the browser loaded for the page, once its fonts are ready.
LOADED_FACES = """async () => {
  await document.fonts.ready;
  return [...document.fonts].filter((f) => f.status === 'loaded').map((f) => f.family.replace(/"/g, ''));
}"""


def test_pages_are_set_in_inter_noto_sans_jp_and_jetbrains_mono(server: Server, browser: Browser) -> None:
    """The type faces come from npm at install time and are served by Kizuna itself: a Japanese page
    loads Noto Sans JP for its Japanese, Inter for its Latin letters, JetBrains Mono for its code."""
    if not (FONTS / "inter" / "index.css").exists():
        unavailable("the type faces", f"{FONTS} is missing; run `make install` (npm)")
    context = browser.new_context(base_url=server.url)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        _log_in(page)
        page.goto(f"/lang/ja?next=/challenges/{server.challenge_ids[0]}")
        faces = set(page.evaluate(LOADED_FACES))
        assert {"Inter Variable", "Noto Sans JP Variable", "JetBrains Mono Variable"} <= faces, faces
        family = page.locator("h1").evaluate("(el) => getComputedStyle(el).fontFamily")
        assert family.startswith('"Inter Variable", "Noto Sans JP Variable"'), family
    finally:
        context.close()
