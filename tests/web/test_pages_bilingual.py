"""Pages in the reader's language: negotiation order, content with visible fallback notes, and the
both-languages mode (日英併記) for content and interface text alike."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from kizuna.services import content, event
from kizuna.storage import tables as t
from tests.conftest import login


def _bilingual_challenge(make, **extra):
    return make.challenge(
        name="Cookie Jar",
        category="web",
        description="Find the cookie.",
        translations={"ja": {"name": "クッキー瓶", "description": "クッキーを探せ。", "category": "ウェブ"}},
        **extra,
    )


def test_negotiation_order_account_then_cookie_then_header_then_event(app, make, ctx):
    make.user("aki")
    event.update_event(ctx, {"default_locale": "ja"})
    with TestClient(app) as c:
        assert '<html lang="ja">' in c.get("/").text  # the event's default
        assert '<html lang="en">' in c.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
        c.cookies.set("lang", "ja")
        assert '<html lang="ja">' in c.get("/", headers={"Accept-Language": "en"}).text  # cookie > header
        assert '<html lang="en">' in c.get("/?lang=en").text  # an explicit ?lang= wins for one request
    with TestClient(app) as c:
        csrf = login(c, "aki")
        # the account's choice, saved on the account page ...
        c.post("/account/language", data={"locale": "en", "csrf_token": csrf})
    with TestClient(app) as c:
        c.cookies.set("lang", "ja")
        login(c, "aki")  # ... wins over the cookie and the header on a new device
        assert '<html lang="en">' in c.get("/challenges", headers={"Accept-Language": "ja"}).text


def test_board_and_challenge_in_japanese_with_a_marked_fallback(client, make):
    ch = make.challenge(
        name="Cookie Jar", category="web", description="Find the cookie.", translations={"ja": {"name": "瓶"}}
    )
    make.player_in_team("ken")
    login(client, "ken")
    client.get("/lang/ja?next=/")
    board = client.get("/challenges").text
    assert "瓶" in board and "Cookie Jar" not in board
    page = client.get(f"/challenges/{ch.id}").text
    assert "Find the cookie." in page  # the description has no Japanese text yet: the original ...
    assert "原文（英語）" in page  # ... marked as such, in the reader's language
    assert 'lang="en"' in page
    client.get("/lang/en?next=/")
    page = client.get(f"/challenges/{ch.id}").text
    assert "原文" not in page and "English original" not in page


def test_both_languages_mode_shows_content_and_labels_side_by_side(client, make, ctx):
    ch = _bilingual_challenge(make)
    content.create_hint(
        ctx, ch.id, "Look", 0, "Where", text={"translations": {"ja": {"title": "場所", "content": "見て"}}}
    )
    user, _team = make.player_in_team("yui")
    login(client, "yui")
    r = client.get("/lang/both?next=/challenges", follow_redirects=False)
    assert r.headers["location"] == "/challenges"
    board = client.get("/challenges").text
    assert "Cookie Jar" in board and "クッキー瓶" in board
    assert "web" in board and "ウェブ" in board
    # Interface text too, reader's language first; the second half in its own language, so screen
    # readers switch voice (kizuna.web.bilingual).
    assert '<h1>Challenges / <span lang="ja">問題</span></h1>' in board
    assert '<body class="both" ' in board
    page = client.get(f"/challenges/{ch.id}").text
    assert "Find the cookie." in page and "クッキーを探せ。" in page
    assert 'class="lt-blocks pair"' in page
    assert "Where" in page and "場所" in page
    assert "原文" not in page and "original" not in page  # nothing is a fallback here
    with ctx.db.read() as s:
        assert s.get(t.User, user.id).display == ""  # a GET changes this browser only ...
    csrf = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/account/language", data={"locale": "both", "csrf_token": csrf})
    with ctx.db.read() as s:
        assert s.get(t.User, user.id).display == "both"  # ... the account page keeps it with the account
    client.get("/lang/ja?next=/")  # choosing one language leaves both-languages mode
    board = client.get("/challenges").text
    assert "クッキー瓶" in board and "Cookie Jar" not in board


def test_both_languages_mode_by_query_for_the_venue_screen(client, make):
    make.challenge()
    page = client.get("/scoreboard?display=both").text
    assert 'Scoreboard / <span lang="ja">スコアボード</span>' in page
    assert "スコアボード" not in client.get("/scoreboard").text


def test_the_second_languages_half_has_its_own_lang_where_markup_may_go(client, make):
    """In 日英併記 the second half of interface text is wrapped in an element with its own lang; in
    attributes, <title> and <option> (which cannot hold an element) it is plain text. The marks that
    carry it never leave the server, not in pages nor in the API."""
    make.challenge()
    make.player_in_team("rin")
    login(client, "rin")
    client.get("/lang/ja")
    client.get("/lang/both")
    pages = {path: client.get(path).text for path in ("/", "/challenges", "/scoreboard", "/account", "/team")}
    for path, page in pages.items():
        assert "\ue000" not in page and "\ue001" not in page, path
        assert '<html lang="ja">' in page, path
        title = page.split("<title>", 1)[1].split("</title>", 1)[0]
        assert "<" not in title and (path == "/" or " / " in title), path  # "/": the event's name
    board = pages["/challenges"]
    assert '<h1>問題 / <span lang="en">Challenges</span></h1>' in board
    assert re.search(r'aria-label="[^"<]*/ [^"<]*"', board)  # attributes keep both, unmarked
    # The mode's own name is in both languages on every page, each half in its own.
    assert '<span lang="en">Both languages</span> / <span lang="ja">日英併記</span>' in board
    account = pages["/account"]
    assert re.search(r"<option[^>]*>[^<]*</option>", account)
    assert not re.search(r"<option[^>]*>[^<]*<span", account)
    api = client.get("/api/v1/challenges/999999")
    assert "\ue000" not in api.text and api.status_code == 404
    from kizuna.i18n import current_display, mark_second
    from kizuna.web.bilingual import lang_spans

    assert not mark_second.get() and current_display.get() == ""  # nothing left set after a page
    raw = (
        "<p>a / \ue000b\ue001</p><textarea>c / \ue000d\ue001</textarea><svg><text>\ue000e\ue001</text></svg>"
    )
    assert (
        lang_spans(raw, "en")
        == '<p>a / <span lang="en">b</span></p><textarea>c / d</textarea><svg><text>e</text></svg>'
    )
    script = '<script nonce="n">if (a<b) { s = "\ue000x\ue001"; }</script><b>\ue000y\ue001</b>'
    assert (
        lang_spans(script, "ja")
        == '<script nonce="n">if (a<b) { s = "x"; }</script><b><span lang="ja">y</span></b>'
    )
    assert lang_spans("<p>plain</p>", "ja") == "<p>plain</p>"
