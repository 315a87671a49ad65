"""Announcements (``/notifications``) and custom pages (``/pages``) through the API: CTFd's shapes,
who may do what, translations in and out, and refused input that changes nothing."""

from __future__ import annotations

import pytest

from kizuna.domain.errors import ErrorCode
from kizuna.i18n import gettext_in
from kizuna.storage import tables as t
from kizuna.web.messages import MESSAGES
from tests.conftest import auth

JA = {"Accept-Language": "ja"}
PAGE_KEYS = {
    "id",
    "title",
    "route",
    "content",
    "draft",
    "hidden",
    "auth_required",
    "format",
    "locale",
    "translations",
}


def _admin(make):
    return auth(make.token(make.admin()))


def _player(make):
    player, _team = make.player_in_team()
    return auth(make.token(player))


# --- announcements --------------------------------------------------------------------------------


def test_announcement_in_ctfd_shape_with_translations_for_every_reader(backend, client, make, ctx):
    a = _admin(make)
    heard: list[dict] = []
    ctx.bus.subscribe(heard.append)
    r = client.post(
        "/api/v1/notifications",
        json={
            "title": "Break",
            "content": "Lunch is **served**.",
            "type": "toast",
            "sound": True,
            "translations": {"ja": {"title": "休憩", "content": "昼食を**どうぞ**。"}},
        },
        headers=a,
    )
    assert r.status_code == 200, r.text
    made = r.json()["data"]
    assert made["title"] == "Break" and made["locale"] == "en"
    assert made["translations"] == {
        "en": {"title": "Break", "content": "Lunch is **served**."},
        "ja": {"title": "休憩", "content": "昼食を**どうぞ**。"},
    }
    assert [(e["type"], e["data"], e["audience"]) for e in heard] == [
        ("announcement", {"notification_id": made["id"]}, "public")
    ]

    listed = client.get("/api/v1/notifications", headers=JA).json()["data"]  # public, no login
    assert [n["id"] for n in listed] == [made["id"]]
    assert listed[0]["title"] == "休憩"
    assert listed[0]["html"].startswith("<p>昼食を<strong>どうぞ</strong>")
    assert listed[0]["translations"] == made["translations"] and listed[0]["locale"] == "en"
    one = client.get(f"/api/v1/notifications/{made['id']}", headers={"Accept-Language": "en"}).json()["data"]
    assert set(one) == {"id", "title", "content", "html", "date", "locale", "translations"}
    assert (one["title"], one["content"]) == ("Break", "Lunch is **served**.")
    assert one["date"].endswith("Z")


def test_announcement_written_in_japanese_falls_back_for_english_readers(client, make):
    a = _admin(make)
    made = client.post(
        "/api/v1/notifications",
        json={"title": "開始", "content": "始めてください。", "locale": "ja"},
        headers=a,
    ).json()["data"]
    assert made["locale"] == "ja"
    seen = client.get(f"/api/v1/notifications/{made['id']}", headers={"Accept-Language": "en"}).json()["data"]
    assert seen["title"] == "開始"  # the only text there is, rather than nothing
    assert seen["translations"] == {"ja": {"title": "開始", "content": "始めてください。"}}
    first = client.post("/api/v1/notifications", json={"title": "Later", "content": "x"}, headers=a)
    assert [n["id"] for n in client.get("/api/v1/notifications").json()["data"]] == [
        first.json()["data"]["id"],
        made["id"],
    ]  # newest first
    r = client.head(f"/api/v1/notifications?since_id={made['id']}")
    assert r.headers["Result-Count"] == "1"


def test_only_admins_announce_and_bad_input_stores_nothing(client, make, ctx):
    body = {"title": "Hi", "content": "There"}
    assert client.post("/api/v1/notifications", json=body, headers=_player(make)).status_code == 403
    assert client.post("/api/v1/notifications", json=body).status_code == 401
    a = _admin(make)
    r = client.post("/api/v1/notifications", json={"title": "", "content": "x"}, headers={**a, **JA})
    assert r.status_code == 400
    assert r.json()["errors"] == {"title": [gettext_in("ja", MESSAGES[ErrorCode.FIELD_REQUIRED])]}
    r = client.post("/api/v1/notifications", json={**body, "locale": "not a locale"}, headers=a)
    assert r.status_code == 400 and "locale" in r.json()["errors"]
    r = client.post("/api/v1/notifications", json={**body, "translations": {"ja": {"body": "x"}}}, headers=a)
    assert r.status_code == 400 and "translations.ja.body" in r.json()["errors"]
    with ctx.db.read() as s:
        assert s.query(t.Notification).count() == 0
    assert client.delete("/api/v1/notifications/1", headers=a).status_code == 404


# --- pages ----------------------------------------------------------------------------------------


def _page(client, a, **fields):
    body = {"title": "Rules", "route": "rules", "content": "Be **nice**.", **fields}
    r = client.post("/api/v1/pages", json=body, headers=a)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_pages_crud_in_ctfd_shape_with_translations(backend, client, make):
    a = _admin(make)
    page = _page(
        client,
        a,
        draft=True,
        hidden=False,
        auth_required=True,
        format="markdown",
        translations={"ja": {"title": "ルール", "content": "**親切**に。"}},
    )
    assert set(page) == PAGE_KEYS
    assert {
        k: page[k] for k in ("title", "route", "draft", "hidden", "auth_required", "format", "locale")
    } == {
        "title": "Rules",
        "route": "rules",
        "draft": True,
        "hidden": False,
        "auth_required": True,
        "format": "markdown",
        "locale": "en",
    }
    assert page["translations"] == {
        "en": {"title": "Rules", "content": "Be **nice**."},
        "ja": {"title": "ルール", "content": "**親切**に。"},
    }
    assert client.get("/api/v1/pages", headers=a).json()["data"] == [page]
    assert client.get(f"/api/v1/pages/{page['id']}", headers=a).json()["data"] == page

    r = client.patch(
        f"/api/v1/pages/{page['id']}",
        json={"draft": False, "route": "event/rules", "translations": {"ja": {"content": "やさしく。"}}},
        headers=a,
    )
    changed = r.json()["data"]
    assert (changed["draft"], changed["route"], changed["title"]) == (False, "event/rules", "Rules")
    assert changed["translations"]["ja"] == {"title": "ルール", "content": "やさしく。"}

    # Relabelling the page as Japanese keeps the English text as a translation.
    relabelled = client.patch(f"/api/v1/pages/{page['id']}", json={"locale": "ja"}, headers=a).json()["data"]
    assert (relabelled["locale"], relabelled["title"], relabelled["content"]) == (
        "ja",
        "ルール",
        "やさしく。",
    )
    assert relabelled["translations"]["en"] == {"title": "Rules", "content": "Be **nice**."}

    assert client.delete(f"/api/v1/pages/{page['id']}", headers=a).json() == {"success": True}
    assert client.get(f"/api/v1/pages/{page['id']}", headers=a).status_code == 404


def test_pages_api_is_for_admins_only(client, make):
    a = _admin(make)
    page = _page(client, a)
    p = _player(make)
    assert client.get("/api/v1/pages", headers=p).status_code == 403
    assert client.get(f"/api/v1/pages/{page['id']}", headers=p).status_code == 403
    assert client.post("/api/v1/pages", json={"route": "x", "title": "x"}, headers=p).status_code == 403
    assert client.patch(f"/api/v1/pages/{page['id']}", json={"draft": True}, headers=p).status_code == 403
    assert client.delete(f"/api/v1/pages/{page['id']}", headers=p).status_code == 403
    assert client.get("/api/v1/pages").status_code == 401


@pytest.mark.parametrize(
    "route",
    [
        "/rules",
        "rules/",
        "Rules",
        "a b",
        "a//b",
        "-rules",
        "ルール",
        "admin",
        "api/x",
        "pages",
        "static/x",
        "x" * 129,
    ],
)
def test_bad_routes_are_refused_in_the_readers_language(client, make, ctx, route):
    a = _admin(make)
    r = client.post("/api/v1/pages", json={"title": "T", "route": route}, headers={**a, **JA})
    assert r.status_code == 400
    assert r.json() == {
        "success": False,
        "errors": {"route": [gettext_in("ja", MESSAGES[ErrorCode.ROUTE_INVALID])]},
    }
    with ctx.db.read() as s:
        assert s.query(t.Page).count() == 0


def test_a_route_is_used_once_and_is_required(client, make):
    a = _admin(make)
    _page(client, a)
    r = client.post("/api/v1/pages", json={"title": "Again", "route": "rules"}, headers=a)
    assert r.status_code == 400
    assert r.json()["errors"] == {"route": [gettext_in("en", MESSAGES[ErrorCode.ROUTE_TAKEN])]}
    r = client.post("/api/v1/pages", json={"title": "No address"}, headers=a)
    assert r.status_code == 400 and "route" in r.json()["errors"]


@pytest.mark.parametrize(
    "change",
    [
        {"title": "New", "route": "admin"},
        {"content": "New", "draft": "maybe"},
        {"format": "pdf", "title": "New"},
        {"title": "New", "translations": {"ja": {"title": 5}}},
        {"title": "New", "locale": "日本語"},
        {"route": "faq"},  # taken by the other page
    ],
)
def test_a_refused_update_changes_nothing(backend, client, make, change):
    a = _admin(make)
    page = _page(client, a, translations={"ja": {"title": "ルール", "content": "親切に。"}})
    _page(client, a, route="faq", title="FAQ")
    r = client.patch(f"/api/v1/pages/{page['id']}", json=change, headers=a)
    assert r.status_code == 400
    assert client.get(f"/api/v1/pages/{page['id']}", headers=a).json()["data"] == page


def test_every_top_level_path_of_the_app_is_reserved(app):
    """A page route may never be mistaken for one of the app's own screens, present or future."""
    from fastapi.routing import iter_route_contexts

    from kizuna.services.pages import RESERVED

    tops = set()
    for route in iter_route_contexts(app.routes):
        first = route.path.lstrip("/").split("/")[0]
        if first and "{" not in first:
            tops.add(first.split(".")[0])
    assert {"api", "admin", "events", "venue"} <= tops  # the walk sees the app's routes
    assert tops - RESERVED == set()
