"""The announcements page and custom pages as players read them: each reader's language with
visible fallback notes, both languages side by side, the home page and the navigation, and who may
see what."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kizuna.services import notifications, pages
from tests.conftest import login
from tests.web.test_pages_admin import as_admin

JA_NOTE = "原文（英語）"
EN_NOTE = "Japanese original"


def _announce(ctx, title, content, ja=None):
    text = {"translations": {"ja": ja}} if ja else None
    return notifications.announce(ctx, title, content, text)


def _rules(ctx, **fields):
    data = {
        "route": "rules",
        "title": "Rules",
        "content": "Be **nice**.",
        "translations": {"ja": {"title": "ルール"}},
        **fields,
    }
    return pages.create_page(ctx, data)


# --- the announcements page -----------------------------------------------------------------------


def test_announcements_newest_first_in_the_readers_language_with_fallback_notes(client, ctx):
    _announce(ctx, "Welcome", "Good luck.", {"title": "ようこそ", "content": "頑張って。"})
    _announce(ctx, "Lunch", "Lunch is **served**.", {"title": "昼食"})
    page = client.get("/announcements", headers={"Accept-Language": "ja"}).text
    assert page.index("昼食") < page.index("ようこそ")  # newest first
    assert "頑張って。" in page and "Good luck." not in page
    assert "Lunch is <strong>served</strong>." in page  # no Japanese text: the English original ...
    assert page.count(JA_NOTE) == 1  # ... marked as such, once
    english = client.get("/announcements", headers={"Accept-Language": "en"}).text
    assert "Lunch" in english and "昼食" not in english and JA_NOTE not in english
    assert '<time datetime="' in english


def test_announcements_in_both_languages_side_by_side(client, ctx):
    _announce(ctx, "Welcome", "Good luck.", {"title": "ようこそ", "content": "頑張って。"})
    page = client.get("/announcements?display=both").text
    assert "Good luck." in page and "頑張って。" in page
    assert 'class="lt-blocks pair"' in page
    assert "Welcome" in page and "ようこそ" in page
    assert "Announcements / お知らせ" in page


def test_home_shows_the_latest_three_and_the_nav_links_the_page(client, ctx):
    assert "h-announcements" not in client.get("/").text  # nothing to show yet
    for n in range(1, 5):
        _announce(ctx, f"Notice {n}", f"Body {n}.")
    home = client.get("/").text
    assert all(f"Notice {n}" in home for n in (2, 3, 4)) and "Notice 1" not in home
    assert 'href="/announcements"' in home
    assert "Notice 1" in client.get("/announcements").text


# --- custom pages ---------------------------------------------------------------------------------


def test_a_page_in_japanese_with_the_english_content_marked(client, ctx):
    _rules(ctx, content="Be **nice**.\n\n<script>alert(1)</script>")
    page = client.get("/pages/rules", headers={"Accept-Language": "ja"}).text
    assert "ルール" in page and JA_NOTE in page
    assert "Be <strong>nice</strong>." in page
    assert "<script>alert" not in page
    english = client.get("/pages/rules", headers={"Accept-Language": "en"}).text
    assert "<h1" in english and "Rules" in english and JA_NOTE not in english and "ルール" not in english


def test_a_japanese_page_is_marked_for_english_readers_and_shown_once_in_both_mode(client, ctx):
    pages.create_page(
        ctx,
        {
            "route": "info/access",
            "locale": "ja",
            "title": "会場",
            "content": "広島駅から徒歩5分。",
            "translations": {"en": {"title": "Venue"}},
        },
    )
    english = client.get("/pages/info/access", headers={"Accept-Language": "en"}).text
    assert "Venue" in english and "広島駅から徒歩5分。" in english and EN_NOTE in english
    both = client.get("/pages/info/access?display=both&lang=en").text
    assert "Venue" in both and "会場" in both
    assert both.count("広島駅から徒歩5分。") == 1  # one text, shown once, still marked
    assert EN_NOTE in both


def test_both_mode_shows_a_translated_page_side_by_side(client, ctx):
    _rules(ctx, translations={"ja": {"title": "ルール", "content": "**親切**に。"}})
    page = client.get("/pages/rules?display=both").text
    assert 'class="lt-blocks pair"' in page
    assert "Be <strong>nice</strong>." in page and "<strong>親切</strong>に。" in page
    assert JA_NOTE not in page and "original" not in page


def test_html_pages_are_sanitised(client, ctx):
    _rules(
        ctx,
        format="html",
        content='<h2 onclick="x()">Hi</h2><script>alert(1)</script><a href="javascript:x">l</a>',
    )
    page = client.get("/pages/rules").text
    assert "<h2>Hi</h2>" in page
    assert "onclick" not in page and "<script>alert" not in page and "javascript:" not in page


def test_drafts_are_for_admins_and_login_required_pages_ask_for_a_login(app, make, ctx):
    _rules(ctx, draft=True)
    pages.create_page(ctx, {"route": "members", "title": "Members", "content": "x", "auth_required": True})
    make.player_in_team("ken")
    with TestClient(app) as c:
        assert c.get("/pages/rules").status_code == 404
        assert c.get("/pages/nothing-here").status_code == 404
        r = c.get("/pages/members", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/pages/members"
        login(c, "ken")
        assert c.get("/pages/rules").status_code == 404
        assert c.get("/pages/members").status_code == 200
    with TestClient(app) as c:
        as_admin(c, make)
        page = c.get("/pages/rules")
        assert page.status_code == 200 and "This page is a draft" in page.text


def test_the_nav_lists_published_pages_that_are_not_hidden(client, ctx):
    _rules(ctx)
    pages.create_page(ctx, {"route": "secret", "title": "Secret", "content": "x", "hidden": True})
    pages.create_page(ctx, {"route": "soon", "title": "Soon", "content": "x", "draft": True})
    home = client.get("/", headers={"Accept-Language": "ja"}).text
    assert '<a href="/pages/rules">ルール</a>' in home
    assert "/pages/secret" not in home and "/pages/soon" not in home
    assert 'href="/announcements"' in home
    assert client.get("/pages/secret").status_code == 200  # hidden from the nav, not from its address
    page = client.get("/pages/rules").text
    assert '<a href="/pages/rules" aria-current="page">Rules</a>' in page
