"""The event's time zones and text per language through the API, and times on the pages: the home
page's side-by-side zones and countdown, and the reader's own zone (account, then browser cookie,
then the event's first zone)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from kizuna.services import event
from tests.conftest import _csrf_from, auth, login

JA = {"Accept-Language": "ja"}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    token = _csrf_from(client.get("/login").text)
    return client.post(path, data={**data, "csrf_token": token})


# --- API ------------------------------------------------------------------------------------------


def test_event_time_zones_and_content_order_default_then_change(backend, client, make):
    admin = auth(make.token(make.admin()))
    data = client.get("/api/v1/event").json()["data"]
    assert data["time_zones"] == ["Europe/London", "Asia/Tokyo"]
    assert data["content_locales"] == ["en", "ja"]
    r = client.patch(
        "/api/v1/event",
        json={"time_zones": ["Asia/Tokyo", "America/New_York"], "content_locales": ["ja", "en"]},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["time_zones"] == ["Asia/Tokyo", "America/New_York"]
    data = client.get("/api/v1/event").json()["data"]
    assert (data["time_zones"], data["content_locales"]) == (["Asia/Tokyo", "America/New_York"], ["ja", "en"])
    # null (or an empty order) goes back to the defaults
    r = client.patch("/api/v1/event", json={"time_zones": None, "content_locales": []}, headers=admin)
    assert r.json()["data"]["time_zones"] == ["Europe/London", "Asia/Tokyo"]
    assert r.json()["data"]["content_locales"] == ["en", "ja"]


def test_invalid_zones_and_locales_are_refused_in_the_readers_language(client, make):
    admin = auth(make.token(make.admin()))
    r = client.patch("/api/v1/event", json={"time_zones": ["Mars/Olympus"]}, headers=admin)
    assert r.status_code == 400
    assert r.json() == {
        "success": False,
        "errors": {"time_zones": ["“Mars/Olympus” is not a time zone such as Europe/London or Asia/Tokyo."]},
    }
    r = client.patch("/api/v1/event", json={"time_zones": ["Mars/Olympus"]}, headers={**admin, **JA})
    message = r.json()["errors"]["time_zones"][0]
    assert "Mars/Olympus" in message and "タイムゾーン" in message
    r = client.patch("/api/v1/event", json={"content_locales": ["en", "日本"]}, headers={**admin, **JA})
    assert r.status_code == 400 and "content_locales" in r.json()["errors"]
    assert "言語コード" in r.json()["errors"]["content_locales"][0]
    five = ["UTC", "Asia/Tokyo", "Europe/Paris", "Europe/Berlin", "Asia/Seoul"]
    for bad in ([], five, "UTC"):
        r = client.patch("/api/v1/event", json={"time_zones": bad}, headers=admin)
        assert r.status_code == 400 and "time_zones" in r.json()["errors"], bad
    assert client.get("/api/v1/event").json()["data"]["time_zones"] == ["Europe/London", "Asia/Tokyo"]


def test_event_name_and_description_per_language(backend, client, make):
    admin = auth(make.token(make.admin()))
    r = client.patch(
        "/api/v1/event",
        json={
            "name": "Kizuna CTF",
            "description": "Welcome!",
            "locale": "en",
            "translations": {"ja": {"name": "絆CTF", "description": "ようこそ！"}},
        },
        headers=admin,
    )
    assert r.status_code == 200, r.text
    en = client.get("/api/v1/event").json()["data"]
    ja = client.get("/api/v1/event", headers=JA).json()["data"]
    assert (en["name"], en["description"], en["locale"]) == ("Kizuna CTF", "Welcome!", "en")
    assert (ja["name"], ja["description"], ja["locale"]) == ("絆CTF", "ようこそ！", "en")
    assert ja["translations"] == {
        "en": {"name": "Kizuna CTF", "description": "Welcome!"},
        "ja": {"name": "絆CTF", "description": "ようこそ！"},
    }
    # An empty text removes that language's translation; the reader then gets the original.
    client.patch("/api/v1/event", json={"translations": {"ja": {"description": ""}}}, headers=admin)
    ja = client.get("/api/v1/event", headers=JA).json()["data"]
    assert (ja["name"], ja["description"]) == ("絆CTF", "Welcome!")
    # The name in the event's own language may not be emptied.
    r = client.patch("/api/v1/event", json={"translations": {"en": {"name": " "}}}, headers=admin)
    assert r.status_code == 400 and "translations.en.name" in r.json()["errors"]
    r = client.patch("/api/v1/event", json={"translations": {"xx_YY": {"name": "?"}}}, headers=admin)
    assert r.status_code == 400
    assert client.get("/api/v1/event").json()["data"]["name"] == "Kizuna CTF"


def test_a_player_cannot_change_the_time_zones(client, make):
    player = auth(make.token(make.user()))
    r = client.patch("/api/v1/event", json={"time_zones": ["UTC"]}, headers=player)
    assert r.status_code == 403


# --- home page -----------------------------------------------------------------------------------


def test_home_shows_every_event_zone_side_by_side_and_a_countdown(client, ctx):
    start = datetime(ctx.now().year + 1, 7, 1, 8, 0)  # summer: British Summer Time
    event.update_event(
        ctx,
        {"start_at": start, "end_at": start + timedelta(days=1), "freeze_at": start + timedelta(hours=20)},
    )
    html = client.get("/").text
    text = text_of(html)
    assert "London" in text and "Tokyo" in text
    assert "09:00 BST" in text and "17:00 JST" in text  # summer time in London; British style
    assert "Scoreboard freeze" in text
    assert 'title="Europe/London"' in html and 'title="Asia/Tokyo"' in html
    assert f'datetime="{start.strftime("%Y-%m-%dT%H:%M:%SZ")}"' in html
    timer = re.search(r'<p class="countdown countdown-start" role="timer"[^>]*>([^<]*)</p>', html)
    assert timer, html
    assert re.fullmatch(r"The event starts in \d+ days and \d\d:\d\d:\d\d\.", timer.group(1))
    assert 'data-one="The event starts in {days} day and {clock}."' in timer.group(0)
    assert 'data-short="The event starts in {clock}."' in timer.group(0)
    assert 'data-done="The event is running."' in timer.group(0)
    assert '<script src="/static/kizuna.js" defer></script>' in html
    assert client.get("/static/kizuna.js").status_code == 200

    ja = client.get("/?lang=ja").text
    assert "ロンドン" in ja and "東京" in ja and "17:00 JST" in ja
    assert re.search(r"大会開始まで あと\d+日 \d\d:\d\d:\d\d", text_of(ja))


def test_home_counts_down_to_the_end_while_running(client, ctx):
    event.update_event(
        ctx, {"start_at": ctx.now() - timedelta(hours=1), "end_at": ctx.now() + timedelta(hours=5)}
    )
    html = client.get("/").text
    timer = re.search(r'<p class="countdown countdown-end"[^>]*>([^<]*)</p>', html)
    assert timer and re.fullmatch(r"The event ends in 0[45]:\d\d:\d\d\.", timer.group(1))
    event.update_event(ctx, {"end_at": ctx.now() - timedelta(minutes=1)})
    assert 'role="timer"' not in client.get("/").text  # nothing left to count


def test_home_shows_the_event_text_in_the_readers_language_with_fallback_notes(client, ctx):
    event.update_event(
        ctx,
        {
            "name": "Kizuna CTF",
            "description": "Welcome, *players*!",
            "translations": {"ja": {"name": "絆CTF"}},
        },
    )
    en = client.get("/").text
    hero = '<h1 id="h-event" class="hero-title">'
    assert hero in en and "<em>players</em>" in en and "絆CTF" not in en
    ja = client.get("/?lang=ja").text
    h1 = text_of(ja.split(hero)[1].split("</h1>")[0])
    assert "絆CTF" in h1 and "原文" not in h1
    description = text_of(
        ja.split('<div class="description hero-description">')[1].split('<div class="hero-clock">')[0]
    )
    assert "原文（英語）" in description and "players" in description
    both = client.get("/?lang=ja&display=both").text
    assert "lt-blocks" in both and "絆CTF" in both and "Kizuna CTF" in both


def test_home_adds_the_readers_own_zone_when_it_is_another(client, ctx):
    event.update_event(ctx, {"start_at": ctx.now() + timedelta(days=3)})
    client.cookies.set("tz", "America/New_York")
    html = client.get("/").text
    assert 'title="America/New_York">New York</span>' in html
    assert html.index('title="Europe/London"') < html.index('title="America/New_York"')


# --- the reader's zone -----------------------------------------------------------------------------


def _token_created_cell(html: str) -> str:
    m = re.search(r"<td><code>[^<]*</code></td>\s*<td>([^<]*)</td>", html)
    assert m, html
    return m.group(1)


def test_viewer_zone_account_then_cookie_then_event(client, make, ctx):
    user = make.user("zoe")
    make.token(user)
    login(client, "zoe")
    # The event's first zone when nothing else says.
    event.update_event(ctx, {"time_zones": ["Asia/Tokyo", "Europe/London"]})
    assert _token_created_cell(client.get("/account").text).endswith("JST")
    # The browser's zone, from the cookie our script sets; a bad cookie is ignored.
    client.cookies.set("tz", "America/New_York")
    assert _token_created_cell(client.get("/account").text)[-3:] in ("EST", "EDT")
    client.cookies.set("tz", "Not/AZone")
    assert _token_created_cell(client.get("/account").text).endswith("JST")
    # The account's choice wins over the browser.
    client.cookies.set("tz", "America/New_York")
    r = post(client, "/account/time-zone", {"time_zone": "Europe/Paris"})
    assert r.status_code == 200 and "Your time zone preference has been saved." in r.text
    assert _token_created_cell(r.text)[-4:] in (" CET", "CEST")
    assert '<option value="Europe/Paris" selected>' in r.text
    # "Automatic" goes back to the browser's zone.
    r = post(client, "/account/time-zone", {"time_zone": ""})
    assert _token_created_cell(r.text)[-3:] in ("EST", "EDT")
    assert '<option value="" selected>' in r.text


def test_a_bad_zone_on_the_account_page_shows_the_message(client, make, ctx):
    make.user("yui")
    login(client, "yui")
    r = post(client, "/account/time-zone", {"time_zone": "Moon/Base"})
    assert r.status_code == 400
    assert 'role="alert"' in r.text
    assert re.search(r'<p class="field-error" id="e-time_zone">“Moon/Base” is not a time zone', r.text)
    assert 'aria-invalid="true"' in r.text
    r = post(client, "/account/time-zone?lang=ja", {"time_zone": "Moon/Base"})
    assert "タイムゾーン" in text_of(r.text)


def test_the_datetime_filter_uses_the_readers_language_and_names_the_zone(client, make):
    make.token(make.user("ada"))
    login(client, "ada")
    client.cookies.set("tz", "Asia/Tokyo")
    cell = _token_created_cell(client.get("/account?lang=ja").text)
    assert re.fullmatch(r"\d{4}/\d\d/\d\d \d+:\d\d JST", cell), cell
