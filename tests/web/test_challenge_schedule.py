"""Per-challenge release and close times (issue 11), with the app's clock moved by the test.

Before its release time a visible challenge is "scheduled": players see nothing of it (as if hidden;
the leak walk in test_hidden_challenge_leaks.py covers every route), staff see it marked so — never
as "Visible". When the time passes, the board changes by itself (no write) and the release is
announced on the live stream once, however many processes watch the clock. After its close time a
challenge stays on the board but refuses answers, on the API (full stack and fast lane) and the
page, in the reader's language, and the attempt is recorded as late (never scored).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.jobs.event_clock import ClockWatch
from kizuna.services import challenges, notifications
from kizuna.storage import tables as t
from kizuna.web.fastlane import FastLane
from kizuna.web.live import LiveSettings
from tests.conftest import auth, login
from tests.sse import events_only, read_until
from tests.web.test_board import Clock
from tests.web.test_pages_player import csrf


def iso(dt: datetime) -> str:
    return dt.replace(tzinfo=UTC).isoformat()


def player_ids(client: TestClient, token: str) -> list[int]:
    r = client.get("/api/v1/challenges", headers=auth(token))
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["data"]]


@pytest.fixture
def clock(ctx: Any) -> Clock:
    return Clock(ctx)


def test_a_scheduled_challenge_is_hidden_from_players_until_its_release_time(
    backend: str, client: TestClient, ctx: Any, make: Any, clock: Clock
) -> None:
    user, _team = make.player_in_team()
    token = make.token(user)
    admin = make.token(make.admin())
    ch = make.challenge(name="Later", scheduled_at=iso(clock.now + timedelta(hours=1)))
    other = make.challenge(name="Now")
    # Players: not listed, and the same 404 as a missing challenge.
    assert player_ids(client, token) == [other.id]
    missing = client.get("/api/v1/challenges/987654", headers=auth(token))
    got = client.get(f"/api/v1/challenges/{ch.id}", headers=auth(token))
    assert (got.status_code, got.json()) == (missing.status_code, missing.json()) == (404, missing.json())
    attempt = client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": ch.id, "submission": "flag{test}"},
        headers=auth(token),
    )
    assert attempt.status_code == 404
    # Staff: the state CTFd knows stays "visible", the schedule says it is not out yet.
    admin_view = client.get(f"/api/v1/challenges/{ch.id}?view=admin", headers=auth(admin)).json()["data"]
    assert admin_view["state"] == "visible"
    assert admin_view["schedule_state"] == "scheduled"
    assert admin_view["scheduled_at"] == iso(clock.now + timedelta(hours=1)).replace("+00:00", "Z")
    listed = client.get("/api/v1/challenges?view=admin", headers=auth(admin)).json()["data"]
    assert {c["id"]: c["schedule_state"] for c in listed} == {ch.id: "scheduled", other.id: "open"}

    # The release time passes: no write, yet the list (a cached snapshot) changes at once.
    clock.advance(hours=1)
    assert set(player_ids(client, token)) == {ch.id, other.id}
    assert client.get(f"/api/v1/challenges/{ch.id}", headers=auth(token)).status_code == 200
    right = client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": ch.id, "submission": "flag{test}"},
        headers=auth(token),
    )
    assert right.json()["data"]["status"] == "correct"
    admin_view = client.get(f"/api/v1/challenges/{ch.id}?view=admin", headers=auth(admin)).json()["data"]
    assert admin_view["schedule_state"] == "open"


def test_the_admin_list_never_shows_a_scheduled_challenge_as_visible(
    client: TestClient, ctx: Any, make: Any, clock: Clock
) -> None:
    make.admin("boss")
    ch = make.challenge(name="Soon", scheduled_at=iso(clock.now + timedelta(days=1)))
    login(client, "boss")
    page = client.get("/admin/challenges").text
    row = re.search(rf'<tr>\s*<th scope="row"><a href="/admin/challenges/{ch.id}">.*?</tr>', page, re.S)
    assert row, page
    assert "chip-scheduled" in row.group(0)
    assert "chip-correct" not in row.group(0)  # the "Visible" chip
    clock.advance(days=1)
    row = re.search(
        rf'<a href="/admin/challenges/{ch.id}">.*?</tr>', client.get("/admin/challenges").text, re.S
    )
    assert row and "chip-correct" in row.group(0) and "chip-scheduled" not in row.group(0)


def test_scores_leave_out_a_challenge_scheduled_again_after_it_was_solved(
    client: TestClient, ctx: Any, make: Any, clock: Clock
) -> None:
    user, _team = make.player_in_team()
    token = make.token(user)
    ch = make.challenge(name="Early", value=250)
    client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": ch.id, "submission": "flag{test}"},
        headers=auth(token),
    )
    board = client.get("/api/v1/scoreboard").json()["data"]
    assert board[0]["score"] == 250
    challenges.update_challenge(ctx, ch.id, {"scheduled_at": iso(clock.now + timedelta(hours=2))})
    board = client.get("/api/v1/scoreboard").json()["data"]
    assert board[0]["score"] == 0
    top = client.get("/api/v1/scoreboard/top/10").json()["data"]
    assert all(s["challenge_id"] != ch.id for s in top["1"]["solves"])
    clock.advance(hours=2)
    assert client.get("/api/v1/scoreboard").json()["data"][0]["score"] == 250


def test_ctfcli_scheduled_at_needs_an_offset(backend: str, client: TestClient, ctx: Any, make: Any) -> None:
    h = auth(make.token(make.admin()))
    created = client.post(
        "/api/v1/challenges",
        json={"name": "Timed", "value": 100, "state": "hidden", "scheduled_at": "2030-01-02T09:00:00+09:00"},
        headers=h,
    )
    assert created.status_code == 200, created.text
    data = created.json()["data"]
    assert data["scheduled_at"] == "2030-01-02T00:00:00Z"  # stored and answered in UTC
    with ctx.db.read() as s:
        assert s.get(t.Challenge, data["id"]).release_at == datetime(2030, 1, 2, 0, 0)
    for lang, words in (("en", "UTC offset"), ("ja", "時差")):
        naive = client.patch(
            f"/api/v1/challenges/{data['id']}",
            json={"scheduled_at": "2030-01-03T09:00:00"},
            headers={**h, "Accept-Language": lang},
        )
        assert naive.status_code == 400
        assert naive.json()["success"] is False
        assert words in naive.json()["errors"]["scheduled_at"][0]
    for bad in ("tomorrow", 12, ["x"], "9" * 100):
        r = client.patch(f"/api/v1/challenges/{data['id']}", json={"scheduled_at": bad}, headers=h)
        assert r.status_code == 400, bad
    with ctx.db.read() as s:
        assert s.get(t.Challenge, data["id"]).release_at == datetime(2030, 1, 2, 0, 0)  # unchanged
    cleared = client.patch(f"/api/v1/challenges/{data['id']}", json={"scheduled_at": None}, headers=h)
    assert cleared.json()["data"]["scheduled_at"] is None
    # A close time before the release time is refused.
    r = client.patch(
        f"/api/v1/challenges/{data['id']}",
        json={"release_at": "2030-01-02T00:00:00Z", "close_at": "2030-01-01T00:00:00Z"},
        headers=h,
    )
    assert r.status_code == 400 and "close_at" in r.json()["errors"]


def test_the_release_is_announced_on_the_stream_once(app: Any, ctx: Any, make: Any, clock: Clock) -> None:
    app.state.live.settings = LiveSettings(poll_seconds=0.05, heartbeat_seconds=0.2, revalidate_seconds=0.2)
    user, _team = make.player_in_team()
    ch = make.challenge(name="Midnight", scheduled_at=iso(clock.now + timedelta(minutes=10)))
    # Two processes (workers or replicas) watching the clock.
    first, second = ClockWatch(ctx), ClockWatch(ctx)
    assert first.check_releases() == [] and second.check_releases() == []  # not yet
    with TestClient(app) as live:
        headers = {**auth(make.token(user)), "Accept-Language": "ja"}
        with live.stream("GET", "/events", headers=headers) as r:
            assert r.status_code == 200
            clock.advance(minutes=10, seconds=1)
            assert [x.challenge_id for x in first.check_releases()] == [ch.id]
            assert second.check_releases() == []  # the other process: already announced
            assert ClockWatch(ctx).check_releases() == []  # a fresh process too
            first.check()
            sentinel = notifications.announce(ctx, "End", "Nothing more.")

            def arrived(frames: list[Any]) -> bool:
                return any(
                    f.event == "announcement" and f.json["data"].get("notification_id") == sentinel.id
                    for f in frames
                )

            frames = read_until(r, arrived)
    released = [
        f
        for f in events_only(frames)
        if f.event == "challenge_released" and f.json["data"].get("challenge_id") == ch.id
    ]
    assert len(released) == 1
    assert "新しい問題：Midnight" in released[0].data  # the notice, in the reader's language
    with ctx.db.read() as s:
        rows = s.query(t.EventLog).filter(t.EventLog.type == "challenge_released").all()
    assert [r.data["challenge_id"] for r in rows] == [ch.id]
    # Nothing is announced for a release long past (a process started the next day).
    clock.advance(days=1)
    assert ClockWatch(ctx).check_releases() == []


def test_a_release_before_the_start_and_a_hidden_challenge_are_not_announced(
    ctx: Any, make: Any, clock: Clock
) -> None:
    from kizuna.services import event

    event.update_event(ctx, {"start_at": clock.now + timedelta(hours=1)})
    make.challenge(name="Ready", scheduled_at=iso(clock.now + timedelta(minutes=30)))
    make.challenge(name="Hidden", state="hidden", scheduled_at=iso(clock.now + timedelta(minutes=30)))
    clock.advance(minutes=31)
    assert ClockWatch(ctx).check_releases() == []


def closed_challenge(make: Any, clock: Clock, **fields: Any) -> Any:
    return make.challenge(
        name="Gone", flag="flag{gone}", close_at=iso(clock.now + timedelta(minutes=5)), **fields
    )


@pytest.fixture
def lane(client: TestClient, app: Any) -> FastLane:
    client.get("/healthz")
    assert isinstance(app.middleware_stack, FastLane)
    return app.middleware_stack


@pytest.fixture
def full(app: Any, lane: FastLane) -> TestClient:
    async def inner(scope: Any, receive: Any, send: Any) -> None:
        scope.setdefault("app", app)
        await lane.inner(scope, receive, send)

    return TestClient(inner)


def test_a_closed_challenge_refuses_answers_on_both_paths_in_both_languages(
    backend: str, client: TestClient, full: TestClient, lane: FastLane, ctx: Any, make: Any, clock: Clock
) -> None:
    user, _team = make.player_in_team()
    token = make.token(user)
    ch = closed_challenge(make, clock)
    clock.advance(minutes=5)
    # Still listed, marked closed.
    assert ch.id in player_ids(client, token)
    detail = client.get(f"/api/v1/challenges/{ch.id}", headers=auth(token)).json()["data"]
    assert detail["schedule_state"] == "closed"
    listed = client.get("/api/v1/challenges", headers=auth(token)).json()["data"]
    assert [(c["schedule_state"], c["close_at"]) for c in listed if c["id"] == ch.id] == [
        ("closed", detail["close_at"])
    ]
    served = lane.served["attempt"]
    answers = {}
    for name, c in (("fast", client), ("full", full)):
        for lang in ("en", "ja"):
            r = c.post(
                "/api/v1/challenges/attempt",
                json={"challenge_id": ch.id, "submission": "flag{gone}"},
                headers={**auth(token), "Accept-Language": lang},
            )
            answers[(name, lang)] = (r.status_code, r.json())
    assert lane.served["attempt"] == served + 2  # the fast lane answered its two
    assert answers[("fast", "en")] == answers[("full", "en")]
    assert answers[("fast", "ja")] == answers[("full", "ja")]
    status, body = answers[("fast", "en")]
    assert status == 403 and body["success"] is False
    assert body["message"] == "This challenge has closed: answers are no longer accepted."
    assert answers[("fast", "ja")][1]["message"] == "この問題は締め切られました。解答は受け付けていません。"
    # Recorded as late attempts (as after the event's end), never as a solve.
    with ctx.db.read() as s:
        subs = s.query(t.Submission).filter(t.Submission.challenge_id == ch.id).all()
        assert len(subs) == 4 and all(x.late for x in subs)
        assert s.query(t.Solve).filter(t.Solve.challenge_id == ch.id).count() == 0
    assert client.get("/api/v1/scoreboard").json()["data"][0]["score"] == 0


def test_before_its_close_time_a_challenge_takes_answers(
    client: TestClient, ctx: Any, make: Any, clock: Clock
) -> None:
    user, _team = make.player_in_team()
    ch = closed_challenge(make, clock)
    clock.advance(minutes=4, seconds=59)
    r = client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": ch.id, "submission": "flag{gone}"},
        headers=auth(make.token(user)),
    )
    assert r.json()["data"]["status"] == "correct"


def test_the_page_of_a_closed_challenge_has_a_notice_instead_of_the_flag_form(
    client: TestClient, ctx: Any, make: Any, clock: Clock
) -> None:
    _user, _team = make.player_in_team("pat")
    ch = closed_challenge(make, clock)
    login(client, "pat")
    page = client.get(f"/challenges/{ch.id}").text
    assert 'class="flag-form"' in page
    assert "Answers are accepted until" in page
    clock.advance(minutes=6)
    page = client.get(f"/challenges/{ch.id}").text
    assert 'class="flag-form"' not in page
    assert 'id="challenge-closed"' in page and "answers are no longer accepted" in page
    ja = client.get(f"/challenges/{ch.id}?lang=ja").text
    assert "締め切られました" in ja
    board = client.get("/challenges").text
    assert "chip-muted" in board  # the card says closed
    # A form posted anyway (an old tab) is refused with the message, nothing scored.
    r = client.post(
        f"/challenges/{ch.id}/attempt",
        data={"submission": "flag{gone}", "csrf_token": csrf(client)},
        headers={"HX-Request": "true"},
    )
    assert "no longer accepted" in r.text
    with ctx.db.read() as s:
        assert s.query(t.Solve).count() == 0


def test_admin_form_reads_the_schedule_in_the_chosen_zone(
    client: TestClient, ctx: Any, make: Any, clock: Clock
) -> None:
    make.admin("boss")
    ch = make.challenge(name="Zoned")
    login(client, "boss")
    page = client.get(f"/admin/challenges/{ch.id}").text
    assert 'name="release_at"' in page and 'name="release_at_zone"' in page and 'name="close_at"' in page
    data = {
        "csrf_token": csrf(client),
        "name_en": "Zoned",
        "locale": "en",
        "category": "misc",
        "value": "100",
        "type": "standard",
        "function": "static",
        "state": "visible",
        "max_attempts": "0",
        "position": "0",
        "release_at": "2030-01-02T09:00",
        "release_at_zone": "Asia/Tokyo",
        "close_at": "2030-01-02T12:00",
        "close_at_zone": "Europe/London",
    }
    r = client.post(f"/admin/challenges/{ch.id}", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    with ctx.db.read() as s:
        row = s.get(t.Challenge, ch.id)
        assert row.release_at == datetime(2030, 1, 2, 0, 0)
        assert row.close_at == datetime(2030, 1, 2, 12, 0)
    page = client.get(f"/admin/challenges/{ch.id}").text
    assert "chip-scheduled" in page
    # Bad input: one line naming the field, nothing saved.
    bad = client.post(
        f"/admin/challenges/{ch.id}",
        data={**data, "release_at": "not a time", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert bad.status_code == 400 and "Release time" in bad.text
    order = client.post(
        f"/admin/challenges/{ch.id}",
        data={**data, "close_at": "2030-01-01T12:00", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert order.status_code == 400 and "Close time" in order.text
    with ctx.db.read() as s:
        assert s.get(t.Challenge, ch.id).release_at == datetime(2030, 1, 2, 0, 0)


def test_a_release_already_announced_by_hand_is_not_announced_again(
    ctx: Any, make: Any, clock: Clock
) -> None:
    """Made visible just after its release time passed: the edit announced it; the clock does not."""
    ch = make.challenge(name="Late Show", state="hidden", scheduled_at=iso(clock.now + timedelta(minutes=1)))
    clock.advance(minutes=2)
    challenges.update_challenge(ctx, ch.id, {"state": "visible"})
    assert ClockWatch(ctx).check_releases() == []
    with ctx.db.read() as s:
        rows = s.query(t.EventLog).filter(t.EventLog.type == "challenge_released").all()
    assert [r.data["challenge_id"] for r in rows] == [ch.id]


def test_the_new_challenge_form_takes_a_schedule(client: TestClient, ctx: Any, make: Any) -> None:
    make.admin("boss")
    login(client, "boss")
    page = client.get("/admin/challenges/new").text
    assert 'name="release_at_zone"' in page and 'name="close_at_zone"' in page
    r = client.post(
        "/admin/challenges/new",
        data={
            "csrf_token": csrf(client),
            "name_en": "Fresh",
            "locale": "en",
            "category": "misc",
            "value": "100",
            "type": "standard",
            "function": "static",
            "state": "visible",
            "max_attempts": "0",
            "position": "0",
            "release_at": "2030-06-01T10:00",
            "release_at_zone": "Europe/London",  # British Summer Time: UTC+1
            "close_at": "",
            "close_at_zone": "UTC",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    with ctx.db.read() as s:
        row = s.query(t.Challenge).filter(t.Challenge.name == "Fresh").one()
    assert (row.release_at, row.close_at) == (datetime(2030, 6, 1, 9, 0), None)
    # The zone chosen is remembered for the next form.
    assert 'value="2030-06-01T10:00"' in client.get(f"/admin/challenges/{row.id}").text
