"""Every page, as a visitor, a player, a newcomer without a team and an organiser, in English,
Japanese and both languages, at a phone's (390×844), a laptop's (1366×768) and a projector's
(1920×1080) size: a screenshot of each (kept in ``$KIZUNA_SCREENSHOTS`` when set), and what a reader
would notice asserted on each —

* the page does not scroll sideways, and nothing sticks out of the window (outside a box that
  scrolls on its own);
* no element's content overflows its box (text cut off or spilling over a neighbour): a box that
  scrolls on its own, or ends its text with an ellipsis, is the only exception;
* no word in a table is broken over two lines ("Ra/nk", 「順/位」);
* code, flags, tokens and invite codes are monospace in every language;
* the venue screen fits 1920×1080 without scrolling, during the event and before its start.

The axe-core walk and the contrast of the theme tokens are in test_browser_bilingual.py and
tests/unit/test_colour_contrast.py. Needs Debian's chromium and fonts-noto-cjk; without chromium the
test skips, except under ``CI=true``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kizuna.services import (
    awards,
    challenges,
    content,
    event,
    learning_stats,
    notifications,
    pages,
    reviews,
    sponsors,
    submissions,
    tracks,
)
from kizuna.services.accounts import Principal
from kizuna.settings import load_settings
from kizuna.web.app import build_context
from tests.e2e.test_browser_bilingual import MODES, MONOSPACED, _log_in, _seed, _shots
from tests.live_server import running_server, server_env

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

VIEWPORTS = {"phone": (390, 844), "laptop": (1366, 768), "projector": (1920, 1080)}


@dataclass(frozen=True)
class Site:
    url: str
    env: dict[str, str]
    ids: dict[str, int]


def _more(env: dict[str, str], challenge_ids: list[int]) -> dict[str, int]:
    """What the pages show beyond the board: a hint, an announcement, a page, an award, a host."""
    ctx = build_context(load_settings(environ=env))
    try:
        hint = content.create_hint(
            ctx,
            challenge_ids[0],
            "Look at the cookies.",
            10,
            "Where to look",
            text={"translations": {"ja": {"title": "どこを見るか", "content": "クッキーを見てください。"}}},
        )
        notifications.announce(
            ctx,
            "Welcome to the joint CTF",
            "Flags look like `flag{...}`. Good luck!",
            {
                "translations": {
                    "ja": {"title": "合同CTFへようこそ", "content": "フラグの形式は `flag{...}` です。"}
                }
            },
        )
        page = pages.create_page(
            ctx,
            {
                "route": "rules",
                "title": "Rules",
                "content": "Be kind. Do not attack the platform.",
                "translations": {
                    "ja": {"title": "ルール", "content": "親切に。基盤を攻撃しないでください。"}
                },
            },
        )
        with ctx.db.read() as s:
            from kizuna.storage import tables as t

            rival = s.query(t.User).filter_by(name="rival").one()
            player = s.query(t.User).filter_by(name="player").one()
            ids = {"rival": rival.id, "rival_team": rival.team_id or 0, "player_team": player.team_id or 0}
            admin = s.query(t.User).filter_by(role="admin").first()
            assert admin is not None
        awards.grant_award(ctx, "Best write-up", 50, team_id=ids["rival_team"])
        # A judged challenge: the player's answer was rejected with a comment in Japanese only (the
        # English page shows it with its note); the rival's answer waits in the queue.
        essay = challenges.create_challenge(
            ctx,
            {
                "name": "A haiku for the joint CTF",
                "category": "misc",
                "value": 100,
                "type": "manual",
                "description": "Write a haiku about two clusters working together.",
                "translations": {
                    "ja": {"name": "合同CTFの俳句", "description": "二つのクラスターの協力を俳句に。"}
                },
            },
        )
        answering = Principal(player.id, player.name, "player", player.team_id)
        submissions.submit_flag(
            ctx, answering, essay.id, "Two clusters, one bond; London rain, Hiroshima sun"
        )
        judge = Principal(admin.id, admin.name, "admin", None)
        first = reviews.queue(ctx, judge)[0].review_id
        reviews.decide(ctx, judge, first, "reject", comment={"ja": "季語を入れてください。"})
        submissions.submit_flag(
            ctx,
            Principal(rival.id, rival.name, "player", rival.team_id),
            essay.id,
            "Spring rain on two shores / one flag found together",
        )
        ids["essay"] = essay.id
        # A practice challenge with a long bilingual text: /practice and its page, for visitors too.
        drill = challenges.create_challenge(
            ctx,
            {
                "name": "Practice: reading a packet capture without any special tools at all",
                "category": "forensics",
                "value": 0,
                "state": "visible",
                "practice": True,
                "description": "Open `capture.pcap` and follow the TCP stream: `tcp.stream eq 0`.",
                "translations": {
                    "ja": {
                        "name": "練習：特別なツールを使わずにパケットキャプチャを読み解く",
                        "description": "`capture.pcap` を開き、TCP ストリームを追ってください。",
                    }
                },
            },
        )
        ids["practice"] = drill.id
        host = sponsors.create_sponsor(
            ctx,
            {
                "name": "The British Embassy Tokyo, host of the first joint CTF between the two clusters",
                "locale": "en",
                "translations": {"ja": {"name": "駐日英国大使館（両クラスターによる初の合同CTFの会場）"}},
                "group": "hosts",
                "url": "https://example.org/a/rather/long/address/for/the/host/of/the/event",
            },
        )
        # Integrity signals with long evidence: a long wrong answer, and an address shared by two teams.
        with ctx.write() as uow:
            now = datetime.now(UTC).replace(tzinfo=None)
            for kind, evidence in (
                (
                    "shared_guess",
                    {
                        "mode": "teams",
                        "challenge_id": challenge_ids[0],
                        "guess": "flag{" + "a-rather-long-wrong-answer-without-spaces-" * 3 + "}",
                        "accounts": [
                            {"account_id": ids["rival_team"], "date": now.isoformat()},
                            {"account_id": ids["player_team"], "date": now.isoformat()},
                        ],
                    },
                ),
                (
                    "shared_address",
                    {
                        "mode": "teams",
                        "address": "2001:db8:85a3:8d3:1319:8a2e:370:7348",
                        "total": 2,
                        "accounts": [
                            {
                                "account_id": team,
                                "user_ids": [user],
                                "kinds": ["login", "register"],
                                "last_seen": now.isoformat(),
                            }
                            for team, user in (
                                (ids["rival_team"], ids["rival"]),
                                (ids["player_team"], player.id),
                            )
                        ],
                    },
                ),
            ):
                uow.session.add(
                    t.IntegritySignal(
                        kind=kind,
                        subject=kind,
                        key=kind,
                        evidence=evidence,
                        created_at=now,
                        updated_at=now,
                        note="",
                    )
                )
        # Badges for the rival (their page's section, and counts on /badges): five lessons and a
        # first blood, awarded by the badge job as the server would.
        from kizuna.services import badges

        rival_id, rival_team = ids["rival"], ids["rival_team"]
        with ctx.write() as uow:
            for n in range(5):
                lesson = {"track_key": "web", "module_key": "m1", "lesson_key": f"l{n}", "user_id": rival_id}
                uow.emit("lesson_completed", lesson, audience="account", account_id=rival_team)
            first = {"challenge_id": challenge_ids[0], "account_id": rival_team, "user_id": rival_id}
            uow.emit("solve", {**first, "first_blood": 1, "value": 100}, account_id=rival_team)
        badges.catch_up(ctx)
        # The learning statistics of the seeded solves: the player pages' calendars and the learning
        # leaderboard have something in them.
        learning_stats.catch_up(ctx)
        tracks.import_tracks(ctx, Path(__file__).resolve().parents[1] / "fixtures" / "tracks")
        # Recognition: the player's certificate of a track (titles in both languages, the code on
        # the pages), and the rival's consent to the recruiter view.
        from kizuna.domain.certificates import show_code
        from kizuna.domain.consent import RECRUITING_CONSENT_VERSION

        with ctx.write() as uow:
            code = "7K2M9QXA4HZD"
            from kizuna.domain.certificates import check_symbol

            code += check_symbol(code)
            uow.session.add(
                t.Certificate(
                    code=code,
                    user_id=player.id,
                    kind="track",
                    subject="web-basics",
                    titles={
                        "en": "Web basics: requests, cookies and sessions",
                        "ja": "ウェブの基礎：リクエスト、クッキー、セッション",
                    },
                    name=player.name,
                    name_other="プレイヤー・ウォークスルー",
                    issued_at=datetime.now(UTC).replace(tzinfo=None),
                )
            )
            # A completed track without its certificate yet: the page offers it, with the name form.
            completed = {"track_key": "sample-track", "user_id": player.id}
            uow.emit("track_completed", completed, audience="account", account_id=player.team_id)
            uow.session.add(
                t.RecruitingConsent(
                    user_id=ids["rival"],
                    version=RECRUITING_CONSENT_VERSION,
                    text_digest="0" * 64,
                    locale="en",
                    given_at=datetime.now(UTC).replace(tzinfo=None),
                )
            )
        ids["cert"] = show_code(code)  # type: ignore[assignment]
        return {**ids, "challenge": challenge_ids[0], "hint": hint.id, "page": page.id, "sponsor": host.id}
    finally:
        ctx.db.dispose()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    env = server_env(tmp_path)
    ids = _more(env, _seed(env))
    with running_server(env, tmp_path / "server.log") as url:
        yield Site(url, env, ids)


VISITOR = [
    *(
        "/",
        "/login",
        "/register",
        "/password/forgot",
        "/scoreboard",
        "/scoreboard/matrix",
        "/teams",
        "/users",
        "/badges",
        "/learn/leaderboard",
    ),
    *("/teams/{rival_team}", "/users/{rival}", "/announcements", "/pages/rules", "/no-such-page", "/venue"),
    *("/practice", "/practice/{practice}"),
    *("/tracks", "/tracks/sample-track", "/tracks/sample-track/lessons/encodings"),
    *("/verify", "/verify/{cert}"),
]
PLAYER = [
    *("/", "/challenges", "/challenges/{challenge}", "/challenges/{challenge}/hints/{hint}/unlock"),
    *("/scoreboard", "/team", "/account", "/account/two-factor", "/challenges/{essay}"),
    *("/practice", "/practice/{practice}", "/challenges/{practice}"),
    *("/tracks", "/tracks/sample-track", "/tracks/sample-track/lessons/encodings"),
    "/tracks/sample-track/lessons/first-flag",
    "/account/certificates",
]
NEWCOMER = ["/challenges", "/teams/new", "/teams/join"]
ORGANISER = [
    *("/admin", "/admin/event", "/admin/event/control", "/admin/feed", "/admin/rosters", "/admin/audit"),
    "/admin/integrity",
    *("/admin/challenges", "/admin/challenges/new", "/admin/challenges/{challenge}", "/admin/translations"),
    *("/admin/accounts", "/admin/accounts/{rival}", "/admin/teams", "/admin/teams/{rival_team}"),
    *("/admin/awards", "/admin/submissions", "/admin/announcements", "/admin/pages", "/admin/pages/{page}"),
    *("/admin/pages/new", "/admin/sponsors", "/admin/sponsors/new", "/admin/sponsors/{sponsor}"),
    *("/admin/exports", "/admin/writeups"),
    "/admin/reviews",
    "/admin/tracks",
    *("/admin/certificates", "/admin/recruiting"),
]
WHO = {"visitor": VISITOR, "player": PLAYER, "newcomer": NEWCOMER, "organiser": ORGANISER}

# What a reader would see as broken, found in one pass over the page.
#  sideways: how far the page scrolls sideways;
#  outside: elements whose right edge lies beyond the window (not inside a box that scrolls);
#  overflowing: elements whose content is wider or taller than their box and spills out of it (a box
#    that scrolls on its own or ends its text with an ellipsis is fine; so is a visually hidden one);
#  proportional: code, flag, token and invite-code elements whose font is not monospace.
INSPECT = """(monospaced) => {
  const isMono = eval(monospaced);
  const doc = document.documentElement;
  const limit = doc.clientWidth + 1;
  const describe = (el) => {
    const cls = typeof el.className === 'string' && el.className
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    const text = el.textContent.trim().slice(0, 30);
    return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls} "${text}"`;
  };
  const scrolls = (style) => ['auto', 'scroll'].includes(style.overflowX);
  const out = {sideways: doc.scrollWidth - doc.clientWidth, outside: [], overflowing: [], proportional: []};
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.visually-hidden, svg, script, style, template, [hidden], noscript, option')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    let inScroller = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (scrolls(getComputedStyle(up))) { inScroller = true; break; }
    }
    if (!inScroller && r.right > limit && style.position !== 'fixed') {
      out.outside.push(`${describe(el)} right=${Math.round(r.right)}`);
    }
    if (el.clientWidth > 0 && !scrolls(style) && style.textOverflow !== 'ellipsis'
        && !['INPUT', 'SELECT', 'OPTION', 'TEXTAREA', 'IMG', 'BUTTON'].includes(el.tagName)
        && (el.scrollWidth > el.clientWidth + 1)) {
      out.overflowing.push(`${describe(el)} ${el.scrollWidth}>${el.clientWidth}`);
    }
  }
  const code = 'code, kbd, samp, pre, .mono, input.mono, #f-submission, #invite-code, #f-code';
  for (const el of document.querySelectorAll(code)) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || el.closest('[hidden]')) continue;
    const [mono, family] = isMono(el);
    if (!mono) out.proportional.push(`${describe(el)} (${family})`);
  }
  // Words split over two lines in any table: each Latin word, and each cell of at most five Japanese
  // characters (a heading such as 順位), must sit on one line (not inside <code>: what a player typed
  // breaks anywhere on purpose).
  out.broken = [];
  const lines = (range) => new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
  for (const cell of document.querySelectorAll('table th, table td')) {
    if (cell.closest('.visually-hidden, [hidden]')) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('code, .visually-hidden')) continue;
      const text = node.textContent;
      const words = [...text.matchAll(/[A-Za-z]{2,}/g)];
      const trimmed = text.trim();
      if (/^[\u3040-\u30ff\u4e00-\u9fff]{2,5}$/.test(trimmed)) {
        words.push({0: trimmed, index: text.indexOf(trimmed)});
      }
      for (const w of words) {
        const range = document.createRange();
        range.setStart(node, w.index);
        range.setEnd(node, w.index + w[0].length);
        if (lines(range) > 1) out.broken.push(w[0]);
      }
    }
  }
  out.broken = out.broken.slice(0, 6);
  out.outside = out.outside.slice(0, 6);
  out.overflowing = out.overflowing.slice(0, 6);
  out.proportional = out.proportional.slice(0, 6);
  return out;
}"""

# The venue must fit the projector: nothing scrolls, nothing below the fold.
FITS = """() => {
  const doc = document.documentElement;
  return [doc.scrollWidth - doc.clientWidth, doc.scrollHeight - doc.clientHeight];
}"""


def _inspect(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(INSPECT, MONOSPACED)
    return found


def _walk(site: Site, browser: Browser, shots: Path, viewport: str) -> dict[str, Any]:
    width, height = VIEWPORTS[viewport]
    problems: dict[str, Any] = {}
    for who, paths in WHO.items():
        context = browser.new_context(base_url=site.url, viewport={"width": width, "height": height})
        try:
            page = context.new_page()
            page.set_default_timeout(15_000)
            if who != "visitor":
                _log_in(page, who)
            for mode, (switch, _present, _absent) in MODES.items():
                page.goto(f"{switch}?next=/")
                for path in paths:
                    wanted = path.format(**site.ids)
                    answer = page.goto(wanted)
                    expected = 404 if path == "/no-such-page" else 200
                    assert answer is not None and answer.status == expected, (who, mode, path, answer)
                    assert page.url.split("?")[0].endswith(wanted), (who, path, page.url)  # not redirected
                    page.wait_for_load_state("load")
                    slug = path.strip("/").replace("/", "-").replace("{", "").replace("}", "") or "home"
                    page.screenshot(
                        path=str(shots / f"{viewport}-{mode}-{who}-{slug}.jpeg"), full_page=True, quality=70
                    )
                    found = _inspect(page)
                    bad = {k: v for k, v in found.items() if v and not (k == "sideways" and v <= 1)}
                    if bad:
                        problems[f"{viewport} {mode} {who} {wanted}"] = bad
        finally:
            context.close()
    return problems


def _venue_fits(site: Site, browser: Browser, shots: Path, label: str) -> dict[str, Any]:
    width, height = VIEWPORTS["projector"]
    problems: dict[str, Any] = {}
    context = browser.new_context(base_url=site.url, viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        for mode, query in (("en", "display=single&lang=en"), ("ja", "display=single&lang=ja"), ("both", "")):
            page.goto(f"/venue?{query}")
            page.wait_for_load_state("load")
            page.screenshot(path=str(shots / f"projector-{mode}-venue-{label}.png"))
            sideways, below = page.evaluate(FITS)
            found = _inspect(page)
            bad = {k: v for k, v in found.items() if v and k != "sideways"}
            if sideways > 1 or below > 1 or bad:
                problems[f"venue {label} {mode}"] = {"sideways": sideways, "below the fold": below, **bad}
    finally:
        context.close()
    return problems


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_page_in_every_mode_and_size_fits_and_keeps_code_monospace(
    site: Site, browser: Browser, tmp_path: Path, viewport: str
) -> None:
    shots = _shots(tmp_path)
    problems = _walk(site, browser, shots, viewport)
    if viewport == "projector":
        problems.update(_venue_fits(site, browser, shots, "running"))
        # Before the start the venue shows the countdown and the site's QR code where the graph goes.
        ctx = build_context(load_settings(environ=site.env))
        try:
            event.update_event(ctx, {"start_at": datetime.now(UTC) + timedelta(hours=2)})
        finally:
            ctx.db.dispose()
        problems.update(_venue_fits(site, browser, shots, "before-start"))
    assert problems == {}, "\n".join(f"{where}: {what}" for where, what in problems.items())
    taken = list(shots.glob(f"{viewport}-*.jpeg"))
    assert len(taken) >= sum(len(paths) for paths in WHO.values()) * len(MODES), len(taken)
