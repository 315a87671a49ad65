"""Event control from outside: the admin API (who may, errors in the caller's language, OpenAPI),
the control page with its confirmation step and redirect, the site-wide pause banner in English,
Japanese and both, and flags refused while paused."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kizuna.services import event
from kizuna.services.context import Context
from kizuna.storage import repo
from kizuna.storage import tables as t
from tests.conftest import _csrf_from, auth, login

ENDPOINTS = ("start", "pause", "resume", "extend", "freeze", "unfreeze")
BODIES: dict[str, dict[str, Any]] = {"pause": {"reason": {"en": "Hold on."}}, "extend": {"minutes": 10}}
REASON = {"en": "Network maintenance, back at 14:00.", "ja": "ネットワーク保守のため、14時に再開します。"}


@pytest.fixture(autouse=True)
def running(ctx: Context) -> None:
    """An event that started an hour ago and ends in two; staff need no second factor here (the
    two-factor rules are tested with their own feature)."""
    now = ctx.now()
    event.update_event(ctx, {"start_at": now - timedelta(hours=1), "end_at": now + timedelta(hours=2)})
    with ctx.db.write() as s:
        repo.event(s).two_factor_roles = []


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def post(client: TestClient, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    token = _csrf_from(client.get("/login").text)
    kw.setdefault("follow_redirects", False)
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kw)


def state_events(ctx: Context) -> list[dict[str, Any]]:
    with ctx.db.read() as s:
        rows = s.scalars(select(t.EventLog).where(t.EventLog.type == "event_state").order_by(t.EventLog.id))
        return [dict(r.data) for r in rows]


def count(ctx: Context, table: Any) -> int:
    with ctx.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def banner(html: str) -> str:
    m = re.search(r'<div id="kz-event-banner"[^>]*>(.*?)</div>', html, re.S)
    assert m, "no banner element"
    return m.group(1)


# --- API --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ENDPOINTS)
def test_api_is_for_admins_only(client: TestClient, make: Any, ctx: Context, name: str) -> None:
    url, body = f"/api/v1/event/{name}", BODIES.get(name)
    r = client.post(url, json=body)
    assert r.status_code == 401 and r.json()["message"] == "Please log in first."
    for role in ("player", "judge", "marshal", "author"):
        token = make.token(make.user(role=role))
        r = client.post(url, json=body, headers=auth(token))
        assert r.status_code == 403, (role, r.text)
        assert r.json()["success"] is False
    assert state_events(ctx) == []
    assert not event.get_event(ctx).paused


def test_api_admin_runs_the_event(client: TestClient, make: Any, ctx: Context) -> None:
    h = auth(make.token(make.admin()))
    r = client.post("/api/v1/event/pause", json={"reason": REASON}, headers=h)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["paused"], data["pause_reason"], data["phase"]) == (True, REASON, "paused")
    public = client.get("/api/v1/event").json()["data"]
    assert (public["paused"], public["pause_reason"]) == (True, REASON)

    assert client.post("/api/v1/event/resume", headers=h).json()["data"]["pause_reason"] == {}
    old_end = event.get_event(ctx).end_at
    r = client.post("/api/v1/event/extend", json={"minutes": 15}, headers=h)
    assert r.status_code == 200 and event.get_event(ctx).end_at == old_end.replace(microsecond=0) + timedelta(
        minutes=15
    )
    new_end = (old_end + timedelta(hours=1)).replace(microsecond=0)
    r = client.post("/api/v1/event/extend", json={"end_at": new_end.isoformat() + "+00:00"}, headers=h)
    assert r.json()["data"]["end_at"] == new_end.isoformat() + "Z"
    assert client.post("/api/v1/event/freeze", headers=h).json()["data"]["freeze_at"] is not None
    assert client.post("/api/v1/event/unfreeze", headers=h).json()["data"]["freeze_at"] is None
    assert [e["state"] for e in state_events(ctx)] == [
        "paused",
        "resumed",
        "extended",
        "extended",
        "frozen",
        "unfrozen",
    ]
    assert state_events(ctx)[0]["reason"] == REASON


def test_api_start_now(client: TestClient, make: Any, ctx: Context) -> None:
    event.update_event(ctx, {"start_at": ctx.now() + timedelta(minutes=30)})
    h = auth(make.token(make.admin()))
    assert client.get("/api/v1/event").json()["data"]["phase"] == "not_started"
    r = client.post("/api/v1/event/start", headers=h)
    assert r.status_code == 200 and r.json()["data"]["phase"] == "running"
    again = client.post("/api/v1/event/start", headers={**h, "Accept-Language": "ja"})
    assert again.status_code == 409
    assert again.json()["errors"][""] == ["大会はすでに開始しています。"]


def test_api_errors_are_in_the_callers_language_and_store_nothing(
    client: TestClient, make: Any, ctx: Context
) -> None:
    h = auth(make.token(make.admin()))
    ja = {**h, "Accept-Language": "ja"}
    events_before = count(ctx, t.EventLog)
    cases = [
        (
            "pause",
            {"reason": {"en": "x" * 501}},
            400,
            "reason.en",
            "The reason may be at most 500 characters long.",
        ),
        (
            "pause",
            {"reason": {"en": " ", "ja": ""}},
            400,
            "reason",
            "Give the reason for the pause in at least one language.",
        ),
        (
            "pause",
            {"reason": {"en": "a\u202eb"}},
            400,
            "reason.en",
            "The reason must be plain text, without control characters.",
        ),
        ("pause", {}, 400, "reason", "This field is required."),
        ("pause", {"reason": "stop"}, 400, "reason", "This value is not valid."),
        ("pause", {"reason": {"en": "x"}, "role": "admin"}, 400, "role", "This value is not valid."),
        ("extend", {}, 400, "end_at", "This field is required."),
        (
            "extend",
            {"minutes": 5, "end_at": "2099-01-01T00:00:00Z"},
            400,
            "end_at",
            "Give either a new end time or a number of minutes, not both.",
        ),
        ("extend", {"minutes": 0}, 400, "minutes", "Enter a whole number of minutes from 1 to 10080."),
        ("extend", {"end_at": "tomorrow"}, 400, "end_at", "This value is not valid."),
        (
            "extend",
            {"end_at": "2000-01-01T00:00:00Z"},
            400,
            "end_at",
            "The new end must be later than both now and the current end.",
        ),
        ("resume", None, 409, "", "The event is not paused."),
        ("unfreeze", None, 409, "", "The scoreboard is not frozen."),
    ]
    for name, body, status, field, message in cases:
        r = client.post(f"/api/v1/event/{name}", json=body, headers=h)
        assert (r.status_code, r.json()["errors"].get(field)) == (status, [message]), (name, body, r.text)
    r = client.post("/api/v1/event/resume", headers=ja)
    assert r.json()["errors"][""] == ["大会は一時停止していません。"]
    r = client.post("/api/v1/event/pause", content=b"{not json", headers=h)
    assert r.status_code == 400
    assert count(ctx, t.EventLog) == events_before
    assert not event.get_event(ctx).paused


def test_api_session_writes_need_the_csrf_header(client: TestClient, make: Any, ctx: Context) -> None:
    make.admin("root")
    csrf = login(client, "root")
    assert client.post("/api/v1/event/freeze").status_code == 403
    assert event.get_event(ctx).freeze_at is None
    assert client.post("/api/v1/event/freeze", headers={"CSRF-Token": csrf}).status_code == 200


def test_openapi_documents_the_endpoints_and_their_bodies(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    for name in ENDPOINTS:
        op = doc["paths"][f"/api/v1/event/{name}"]["post"]
        assert "admin" in op["summary"] and "Kizuna extension" in op["summary"]
    schemas = doc["components"]["schemas"]
    pause = doc["paths"]["/api/v1/event/pause"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    assert pause["$ref"].endswith("/PauseBody") and "reason" in schemas["PauseBody"]["required"]
    assert set(schemas["ExtendBody"]["properties"]) == {"end_at", "minutes"}


def test_attempts_are_refused_while_paused(client: TestClient, make: Any) -> None:
    user, _team = make.player_in_team()
    ch = make.challenge(flag="flag{live}")
    player, admin = auth(make.token(user)), auth(make.token(make.admin()))
    client.post("/api/v1/event/pause", json={"reason": REASON}, headers=admin)
    attempt = {"challenge_id": ch.id, "submission": "flag{live}"}
    r = client.post("/api/v1/challenges/attempt", json=attempt, headers={**player, "Accept-Language": "ja"})
    assert (r.status_code, r.json()["data"]["status"]) == (403, "paused")
    client.post("/api/v1/event/resume", headers=admin)
    r = client.post("/api/v1/challenges/attempt", json=attempt, headers=player)
    assert r.json()["data"]["status"] == "correct"


# --- the control page -------------------------------------------------------------------------------


def test_page_gate(client: TestClient, make: Any) -> None:
    r = client.get("/admin/event/control", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    for role in ("player", "judge", "marshal", "author"):
        make.user(f"{role}1", role=role)
        login(client, f"{role}1")
        assert client.get("/admin/event/control").status_code == 403, role
        assert post(client, "/admin/event/control/freeze", {"confirm": "1"}).status_code == 403, role
        client.cookies.clear()


def test_page_shows_the_state_and_the_actions(client: TestClient, make: Any, ctx: Context) -> None:
    make.admin("root")
    login(client, "root")
    client.cookies.set("tz", "Asia/Tokyo")
    r = client.get("/admin/event/control")
    assert r.status_code == 200
    page = text_of(r.text)
    assert "Event control" in page and "The event is running." in page
    # Times in the reader's zone, named.
    assert "JST" in page  # Tokyo by its abbreviation, in English too
    for action in ("pause", "extend", "freeze"):
        assert f'action="/admin/event/control/{action}"' in r.text
    for action in ("start", "resume", "unfreeze"):
        assert f'action="/admin/event/control/{action}"' not in r.text
    # The navigation marks this section only, not the event settings too.
    assert '<a href="/admin/event/control" aria-current="page">' in r.text
    assert '<a href="/admin/event" aria-current' not in r.text
    ja = client.get("/admin/event/control?lang=ja").text
    assert "大会の進行管理" in ja and "一時停止" in ja and "延長" in ja and "スコアボード凍結" in ja


def test_page_pause_confirm_then_redirect_with_a_notice(client: TestClient, make: Any, ctx: Context) -> None:
    make.admin("root")
    login(client, "root")
    r = post(client, "/admin/event/control/pause", {"reason_en": REASON["en"], "reason_ja": REASON["ja"]})
    assert r.status_code == 200
    assert "Pause the event?" in r.text and REASON["ja"] in r.text
    assert 'name="confirm" value="1"' in r.text and 'name="reason_ja" value="' in r.text
    assert not event.get_event(ctx).paused and state_events(ctx) == []  # nothing until confirmed

    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', r.text))
    fields.pop("csrf_token")
    done = post(client, "/admin/event/control/pause", fields)
    assert done.status_code == 303 and done.headers["location"] == "/admin/event/control"
    assert event.get_event(ctx).pause_reason == REASON
    after = client.get("/admin/event/control").text
    assert "The event has been paused." in after and REASON["en"] in after
    assert 'action="/admin/event/control/resume"' in after
    assert "The event has been paused." not in client.get("/admin/event/control").text  # once

    # Resuming asks too.
    r = post(client, "/admin/event/control/resume")
    assert "Resume the event?" in r.text and event.get_event(ctx).paused
    assert post(client, "/admin/event/control/resume", {"confirm": "1"}).status_code == 303
    assert not event.get_event(ctx).paused
    assert [e["state"] for e in state_events(ctx)] == ["paused", "resumed"]


def test_page_errors_stay_on_the_page_and_store_nothing(client: TestClient, make: Any, ctx: Context) -> None:
    make.admin("root")
    login(client, "root")
    r = post(client, "/admin/event/control/pause", {"reason_en": "", "reason_ja": "   "})
    assert r.status_code == 400
    assert re.search(
        r'id="e-reason_en">Reason in English: Give the reason for the pause in at least one language.', r.text
    )
    r = post(client, "/admin/event/control/pause?lang=ja", {"reason_en": "x" * 501, "reason_ja": "停止"})
    assert (
        r.status_code == 400 and 'id="e-reason_en">理由（英語）：理由は500文字以内にしてください。' in r.text
    )
    assert "x" * 501 in r.text  # what was typed comes back
    # A crafted confirmation is checked again.
    r = post(client, "/admin/event/control/pause", {"confirm": "1", "reason_en": "a\x07b"})
    assert r.status_code == 400
    r = post(client, "/admin/event/control/unfreeze", {"confirm": "1"})
    assert r.status_code == 409 and "The scoreboard is not frozen." in r.text
    assert post(client, "/admin/event/control/explode", {"confirm": "1"}).status_code == 404
    no_csrf = client.post("/admin/event/control/freeze", data={"confirm": "1"}, follow_redirects=False)
    assert no_csrf.status_code == 403
    assert (
        state_events(ctx) == [] and not event.get_event(ctx).paused and event.get_event(ctx).freeze_at is None
    )


def test_page_extend_in_the_readers_zone_or_by_minutes(client: TestClient, make: Any, ctx: Context) -> None:
    make.admin("root")
    login(client, "root")
    client.cookies.set("tz", "Asia/Tokyo")
    end = event.get_event(ctx).end_at
    new_utc = (end + timedelta(hours=3)).replace(second=0, microsecond=0)
    typed = (new_utc + timedelta(hours=9)).strftime("%Y-%m-%dT%H:%M")  # Tokyo is UTC+9
    r = post(client, "/admin/event/control/extend", {"end_local": typed, "minutes": ""})
    assert r.status_code == 200 and "Extend the event?" in r.text
    assert f'name="end_at" value="{new_utc.strftime("%Y-%m-%dT%H:%M:%SZ")}"' in r.text
    assert (
        post(
            client,
            "/admin/event/control/extend",
            {"confirm": "1", "end_at": new_utc.strftime("%Y-%m-%dT%H:%M:%SZ")},
        ).status_code
        == 303
    )
    assert event.get_event(ctx).end_at == new_utc

    r = post(client, "/admin/event/control/extend", {"end_local": "", "minutes": "30"})
    hidden = re.search(r'name="end_at" value="([^"]+)"', r.text)
    assert hidden and hidden.group(1) == (new_utc + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    r = post(client, "/admin/event/control/extend", {"end_local": typed, "minutes": "30"})
    assert r.status_code == 400 and "not both" in r.text
    r = post(client, "/admin/event/control/extend", {"end_local": "soon", "minutes": ""})
    assert r.status_code == 400 and 'id="e-end_local"' in r.text
    assert event.get_event(ctx).end_at == new_utc


def test_page_start_and_freeze(client: TestClient, make: Any, ctx: Context) -> None:
    event.update_event(ctx, {"start_at": ctx.now() + timedelta(hours=1)})
    make.admin("root")
    login(client, "root")
    page = client.get("/admin/event/control").text
    assert (
        'action="/admin/event/control/start"' in page and 'action="/admin/event/control/freeze"' not in page
    )
    assert "Start the event now?" in post(client, "/admin/event/control/start").text
    assert post(client, "/admin/event/control/start", {"confirm": "1"}).status_code == 303
    page = client.get("/admin/event/control").text
    assert "The event has been started." in page and 'action="/admin/event/control/freeze"' in page
    assert post(client, "/admin/event/control/freeze", {"confirm": "1"}).status_code == 303
    assert "The public scoreboard is frozen." in text_of(client.get("/admin/event/control").text)
    assert post(client, "/admin/event/control/unfreeze", {"confirm": "1"}).status_code == 303
    assert [e["state"] for e in state_events(ctx)] == ["started", "frozen", "unfrozen"]


# --- the site-wide banner ---------------------------------------------------------------------------


def test_banner_is_present_and_empty_while_running(client: TestClient) -> None:
    html = client.get("/").text
    assert banner(html) == ""
    assert '<body class="" data-live="1" data-events-url="/events">' in html
    assert re.search(r'<div id="kz-toasts"[^>]* aria-live="polite"[^>]*></div>', html)


def test_banner_shows_the_reason_in_the_readers_language(client: TestClient, make: Any, ctx: Context) -> None:
    h = auth(make.token(make.admin()))
    client.post("/api/v1/event/pause", json={"reason": REASON}, headers=h)
    en = banner(client.get("/?lang=en").text)
    assert "The event is paused." in en and REASON["en"] in en and REASON["ja"] not in en
    ja = banner(client.get("/scoreboard?lang=ja").text)
    assert REASON["ja"] in ja and REASON["en"] not in ja and "The event is paused." not in ja
    both = banner(client.get("/?lang=ja&display=both").text)
    assert REASON["ja"] in both and REASON["en"] in both
    assert both.index(REASON["ja"]) < both.index(REASON["en"])  # the reader's language first
    assert 'role="status"' in client.get("/").text.split('id="kz-event-banner"')[1][:40]

    client.post("/api/v1/event/resume", headers=h)
    assert banner(client.get("/?lang=ja").text) == ""


def test_banner_falls_back_to_the_other_language_marked_as_original(client: TestClient, make: Any) -> None:
    h = auth(make.token(make.admin()))
    client.post("/api/v1/event/pause", json={"reason": {"en": "Short break."}}, headers=h)
    ja = banner(client.get("/?lang=ja").text)
    assert "Short break." in ja and "原文（英語）" in ja and 'lang="en"' in ja


def test_banner_is_escaped_plain_text(client: TestClient, make: Any) -> None:
    h = auth(make.token(make.admin()))
    client.post("/api/v1/event/pause", json={"reason": {"en": "<script>alert(1)</script>"}}, headers=h)
    html = banner(client.get("/").text)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_no_banner_after_the_end(client: TestClient, make: Any, ctx: Context) -> None:
    h = auth(make.token(make.admin()))
    client.post("/api/v1/event/pause", json={"reason": REASON}, headers=h)
    event.update_event(ctx, {"end_at": ctx.now() - timedelta(seconds=1)})
    assert banner(client.get("/").text) == ""


def test_staff_see_the_banner_in_the_admin_area(client: TestClient, make: Any, ctx: Context) -> None:
    make.admin("root")
    login(client, "root")
    post(
        client, "/admin/event/control/pause", {"confirm": "1", "reason_en": "Break.", "reason_ja": "休憩中。"}
    )
    assert "Break." in banner(client.get("/admin").text)
    assert isinstance(event.get_event(ctx).start_at, datetime)


def test_page_extend_in_a_zone_chosen_beside_the_input(client: TestClient, make: Any, ctx: Context) -> None:
    """The zone chosen beside the new end wins over the reader's own; the page remembers it."""
    make.admin("root")
    login(client, "root")
    client.cookies.set("tz", "America/New_York")
    page = client.get("/admin/event/control").text
    assert re.search(
        r'<select id="f-end_local_zone" name="end_local_zone">\s*<option value="Europe/London" selected>',
        page,
    )
    end = event.get_event(ctx).end_at
    new_utc = (end + timedelta(hours=3)).replace(second=0, microsecond=0)
    typed = (new_utc + timedelta(hours=9)).strftime("%Y-%m-%dT%H:%M")  # Tokyo is UTC+9
    r = post(client, "/admin/event/control/extend", {"end_local": typed, "end_local_zone": "Asia/Tokyo"})
    assert (
        r.status_code == 200 and f'name="end_at" value="{new_utc.strftime("%Y-%m-%dT%H:%M:%SZ")}"' in r.text
    )
    # The confirmation shows the new end in UTC and each of the event's zones.
    confirm = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.text))
    assert f"Tokyo {typed[8:10].lstrip('0')} " in confirm and "JST" in confirm
    assert "UTC " + new_utc.strftime("%d").lstrip("0") in confirm and "London" in confirm
    page = client.get("/admin/event/control").text
    assert re.search(r'<option value="Asia/Tokyo" selected>', page.split('id="f-end_local_zone"')[1])
    r = post(client, "/admin/event/control/extend", {"end_local": "soon", "end_local_zone": "Asia/Tokyo"})
    assert r.status_code == 400
    assert re.search(r'id="e-end_local">New end: enter a date and time.</p>', r.text)
    assert event.get_event(ctx).end_at == end
