"""Searching the team and user lists with what Japanese players type: a katakana name is found by a
half-width katakana or a hiragana query, on the pages (``?q=``) and through CTFd's
``?field=name&q=`` on the API; lists sort by ``names.sort_key``; hidden and banned accounts are never
listed to players."""

from __future__ import annotations

import re

import pytest

from kizuna.services import accounts, event, teams
from kizuna.web.api.v1 import accounts_common
from tests.conftest import auth, login
from tests.web.test_pages_admin import text_of

PAGINATION_KEYS = {"page", "next", "prev", "pages", "per_page", "total"}


def _teams(make, ctx):
    """Three ranked teams, one hidden and one banned (both with サイバー in the name)."""
    admin = make.admin()
    shown = {name: make.team(name) for name in ("チーム・サイバー広島", "Cyber Wales", "あおぞら")}
    hidden = make.team("サイバー秘密")
    banned = make.team("ｻｲﾊﾞｰ禁止")
    teams.update_team(ctx, hidden.id, {"hidden": True}, admin.id, True)
    teams.update_team(ctx, banned.id, {"banned": True}, admin.id, True)
    return admin, shown, hidden, banned


def _names(response):
    body = response.json()
    assert body["success"] is True and set(body["meta"]["pagination"]) == PAGINATION_KEYS
    return [row["name"] for row in body["data"]]


@pytest.mark.parametrize("query", ["ｻｲﾊﾞｰ", "さいばー", "サイバー広島", "広島"])
def test_api_team_search_finds_katakana_by_half_width_or_hiragana(backend, client, make, ctx, query):
    admin, _shown, _hidden, _banned = _teams(make, ctx)
    player = auth(make.token(make.user()))
    r = client.get("/api/v1/teams", params={"field": "name", "q": query}, headers=player)
    assert _names(r) == ["チーム・サイバー広島"]
    assert r.json()["meta"]["pagination"]["total"] == 1
    # Admins see hidden and banned teams too (names are stored in NFKC, so サイバー禁止).
    a = auth(make.token(admin))
    everyone = set(_names(client.get("/api/v1/teams", params={"field": "name", "q": query}, headers=a)))
    assert "チーム・サイバー広島" in everyone
    if query in ("ｻｲﾊﾞｰ", "さいばー"):
        assert everyone == {"チーム・サイバー広島", "サイバー秘密", "サイバー禁止"}


def test_api_team_search_is_public_and_never_lists_hidden_or_banned(client, make, ctx):
    _teams(make, ctx)
    half_width_sai = "%EF%BD%BB%EF%BD%B2"  # ｻｲ, percent-encoded as a browser sends it
    assert _names(client.get(f"/api/v1/teams?field=name&q={half_width_sai}")) == ["チーム・サイバー広島"]
    assert _names(client.get("/api/v1/teams?q=cyber")) == ["Cyber Wales"]  # field defaults to name
    assert _names(client.get("/api/v1/teams?q=%25")) == []  # % is a character, not a wildcard
    r = client.get("/api/v1/teams?field=email&q=x")
    assert r.status_code == 400 and "field" in r.json()["errors"]


def test_api_user_search_by_name_affiliation_and_email(backend, client, make, ctx):
    admin = make.admin()
    make.user("やまだ たろう", affiliation="ヒロシマ大学")
    make.user("Dewi Jones", affiliation="Cardiff", email="dewi@example.org")
    hidden = make.user("ヤマダ ハナコ")
    accounts.update_user(ctx, hidden.id, {"hidden": True})
    player = auth(make.token(make.user()))
    assert _names(client.get("/api/v1/users", params={"field": "name", "q": "ﾔﾏﾀﾞ"}, headers=player)) == [
        "やまだ たろう"
    ]
    affiliation = {"field": "affiliation", "q": "ひろしま"}
    assert _names(client.get("/api/v1/users", params=affiliation, headers=player)) == ["やまだ たろう"]
    email = client.get("/api/v1/users", params={"field": "email", "q": "dewi"}, headers=player)
    assert email.status_code == 400
    a = auth(make.token(admin))
    assert _names(client.get("/api/v1/users", params={"field": "email", "q": "ＤＥＷＩ"}, headers=a)) == [
        "Dewi Jones"
    ]
    assert set(_names(client.get("/api/v1/users", params={"q": "やまだ"}, headers=a))) == {
        "やまだ たろう",
        "ヤマダ ハナコ",
    }


def test_api_search_keeps_ctfds_pagination(client, make, monkeypatch):
    monkeypatch.setattr(accounts_common, "PER_PAGE", 2)
    made = [make.user(name) for name in ("カナ1", "かな2", "ｶﾅ3", "other", "カナ4", "かな5")]
    ids = [u.id for u in made if u.name != "other"]
    pages = [client.get("/api/v1/users", params={"q": "かな", "page": n}).json() for n in (1, 2, 3)]
    assert [row["id"] for p in pages for row in p["data"]] == ids  # id order, as on CTFd
    assert pages[1]["meta"]["pagination"] == {
        "page": 2,
        "next": 3,
        "prev": 1,
        "pages": 3,
        "per_page": 2,
        "total": 5,
    }
    past_the_end = client.get("/api/v1/users", params={"q": "かな", "page": 9}).json()
    assert past_the_end["meta"]["pagination"]["page"] == 3 and len(past_the_end["data"]) == 1


def test_team_list_page_sorts_and_searches(backend, client, make, ctx):
    _teams(make, ctx)
    page = client.get("/teams")
    assert page.status_code == 200
    listed = re.findall(r'<a href="/teams/\d+">([^<]+)</a>', page.text)
    # Latin, then kana; never the hidden or the banned team
    assert listed == ["Cyber Wales", "あおぞら", "チーム・サイバー広島"]
    form = re.search(r'<form method="get" action="/teams" role="search".*?</form>', page.text, re.S)
    assert form and '<label for="f-q">Search by name</label>' in form.group(0)
    assert 'id="f-q" name="q" type="search"' in form.group(0)
    for query in ("ｻｲﾊﾞｰ", "さいばー"):
        found = client.get("/teams", params={"q": query})
        assert re.findall(r'<a href="/teams/\d+">([^<]+)</a>', found.text) == ["チーム・サイバー広島"]
        assert f'value="{query}"' in found.text  # the query stays in the box
        assert "1 team found." in text_of(found.text)
        assert '<a href="/teams">Show all teams</a>' in found.text


def test_no_match_message_is_escaped_and_translated(client, make, ctx):
    _teams(make, ctx)
    r = client.get("/teams", params={"q": "<b>zzz</b>"})
    assert r.status_code == 200
    assert '<p role="status">No team name contains “&lt;b&gt;zzz&lt;/b&gt;”.</p>' in r.text
    assert "<b>zzz</b>" not in r.text
    ja = client.get("/teams", params={"q": "ぞぞ", "lang": "ja"})
    assert "「ぞぞ」を含む名前のチームはありません。" in text_of(ja.text)


def test_user_list_page_in_individual_mode(backend, client, make, ctx):
    event.update_event(ctx, {"mode": "users"})
    for name in ("たなか", "Alice", "ﾀﾅｶﾀﾞ"):
        make.user(name)
    banned = make.user("タナカ禁止")
    accounts.update_user(ctx, banned.id, {"banned": True})
    assert '<a href="/users">See the players</a>' in client.get("/teams").text
    page = client.get("/users")
    listed = re.findall(r'<a href="/users/\d+">([^<]+)</a>', page.text)
    assert listed == ["Alice", "たなか", "タナカダ"]  # stored names are cleaned (NFKC), sorted by sort_key
    found = client.get("/users", params={"q": "ﾀﾅｶ"})
    assert re.findall(r'<a href="/users/\d+">([^<]+)</a>', found.text) == ["たなか", "タナカダ"]
    assert "2 players found." in text_of(found.text)
    none = client.get("/users", params={"q": "禁止"})
    assert re.findall(r'<a href="/users/\d+">', none.text) == []
    assert "No player name contains “禁止”." in text_of(none.text)


def test_admin_account_search_folds_kana(client, make):
    make.admin("root")
    make.user("かたかな")
    make.user("Bob")
    login(client, "root")
    page = client.get("/admin/accounts", params={"q": "ｶﾀｶﾅ"})
    assert re.findall(r'<a href="/admin/accounts/\d+">([^<]+)</a>', page.text) == ["かたかな"]
    teams_page = client.get("/admin/teams", params={"q": "x"})
    assert teams_page.status_code == 200
