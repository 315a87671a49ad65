"""``GET /events``: the live stream, through the app (streamed by the TestClient, the tailer running
in the app's lifespan). Events are made through the API where it makes them, or appended with the
unit of work (``uow.emit``) to pin down one rule at a time."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event as sa_event

from kizuna.domain.events import EVENT_TYPES
from kizuna.i18n import gettext_in
from kizuna.services import accounts, challenges
from kizuna.services import event as event_service
from kizuna.services.context import Context
from kizuna.web.live import LiveHub, LiveSettings
from tests.conftest import Factory, auth, login
from tests.sse import Frame, events_only, has_event, read_until

ROOT = Path(__file__).resolve().parents[2]
CTFD_NOTIFICATION_KEYS = {"id", "title", "content", "html", "date", "type", "sound", "user_id", "team_id"}
FAST = LiveSettings(poll_seconds=0.05, heartbeat_seconds=0.2, send_timeout=60.0, revalidate_seconds=0.2)


@pytest.fixture
def live(app: Any) -> Iterator[TestClient]:
    """A client of an app whose stream sends keep-alives every 0.2 s (so reads never wait long)."""
    app.state.live.settings = FAST
    with TestClient(app) as c:
        yield c


def emit(ctx: Context, type_: str, audience: str = "public", to: int | None = None, **data: Any) -> int:
    """Append one event (every declared key, None unless given); returns its id."""
    values = {key: None for key in EVENT_TYPES[type_]}
    values.update(data)
    with ctx.write() as uow:
        row = uow.emit(type_, values, audience=audience, account_id=to)
        assert row is not None
    return int(row.id)


class _Tailing:
    """Stands for the tailer task: the test turns the tailer by hand (``hub.tick()``)."""

    def done(self) -> bool:
        return False


def hand_turned_hub(ctx: Context) -> LiveHub:
    """A hub accepting streams whose tailer the test turns itself (shut its executor down after)."""
    from concurrent.futures import ThreadPoolExecutor

    hub = LiveHub(ctx, FAST)
    hub._executor = ThreadPoolExecutor(max_workers=1)
    hub.cursor, hub.mode = hub._position()
    hub._accepting = True
    hub._task = _Tailing()  # type: ignore[assignment]
    return hub


def until_id(ident: int) -> Any:
    return lambda frames: any(f.id == str(ident) and f.event for f in frames)


def ids_of(frames: list[Frame]) -> set[int]:
    return {int(f.json["id"]) for f in events_only(frames) if f.event != "notification"}


def by_type(frames: list[Frame], kind: str) -> list[Frame]:
    return [f for f in frames if f.event == kind]


# --- the basics ----------------------------------------------------------------------------------------


def test_the_stream_starts_with_retry_then_keeps_alive(live: TestClient) -> None:
    with live.stream("GET", "/events") as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert "content-length" not in r.headers
        assert "no-cache" in r.headers["cache-control"]
        frames = read_until(r, lambda fs: any(f.comment == "keep-alive" for f in fs))
    assert frames[0].retry == "3000"


def test_an_announcement_comes_as_ctfd_notification_then_announcement(
    live: TestClient, make: Factory
) -> None:
    admin = make.admin()
    title = f"Welcome {uuid.uuid4().hex[:6]}"
    streams = {"en": "/events?lang=en", "ja": "/events?lang=ja", "both": "/events?lang=ja&display=both"}
    with (
        live.stream("GET", streams["en"]) as en,
        live.stream("GET", streams["ja"]) as ja,
        live.stream("GET", streams["both"]) as both,
    ):
        r = live.post(
            "/api/v1/notifications",
            json={
                "title": title,
                "content": "Good **luck**",
                "locale": "en",
                "translations": {"ja": {"title": "ようこそ", "content": "**がんばって**"}},
            },
            headers=auth(make.token(admin)),
        )
        assert r.status_code == 200, r.text
        got = {
            name: read_until(s, has_event("announcement"))
            for name, s in (("en", en), ("ja", ja), ("both", both))
        }

    for name, frames in got.items():
        kinds = [f.event for f in events_only(frames)]
        assert kinds[-2:] == ["notification", "announcement"], name
        notification, announcement = events_only(frames)[-2:]
        assert notification.id == announcement.id == str(announcement.json["id"])
        ctfd = notification.json
        assert set(ctfd) == CTFD_NOTIFICATION_KEYS
        assert ctfd["id"] == r.json()["data"]["id"]
        assert ctfd["type"] == "toast" and ctfd["sound"] is True
        assert ctfd["user_id"] is None and ctfd["team_id"] is None
        assert ctfd["date"].endswith("Z")
        assert announcement.json["data"] == {"notification_id": ctfd["id"]}
        assert announcement.json["type"] == "announcement" and announcement.json["at"].endswith("Z")

    en_n, en_a = events_only(got["en"])[-2:]
    assert en_n.json["title"] == title and "<strong>luck</strong>" in en_n.json["html"]
    assert en_a.json["messages"] == [{"locale": "en", "text": title}]
    ja_n, ja_a = events_only(got["ja"])[-2:]
    assert ja_n.json["title"] == "ようこそ" and "<strong>がんばって</strong>" in ja_n.json["html"]
    assert ja_a.json["messages"] == [{"locale": "ja", "text": "ようこそ"}]
    both_n, both_a = events_only(got["both"])[-2:]
    assert both_n.json["title"] == "ようこそ"  # CTFd's object: the reader's language
    assert both_a.json["messages"] == [{"locale": "ja", "text": "ようこそ"}, {"locale": "en", "text": title}]


def test_first_blood_in_english_japanese_and_both(live: TestClient, make: Factory) -> None:
    player, team = make.player_in_team(team_name="Kitsune")
    ch = make.challenge(
        flag="flag{warm}", name="Warm-up", locale="en", translations={"ja": {"name": "準備運動"}}
    )
    with (
        live.stream("GET", "/events?lang=en") as en,
        live.stream("GET", "/events?lang=ja") as ja,
        live.stream("GET", "/events?lang=en&display=both") as both,
    ):
        r = live.post(
            "/api/v1/challenges/attempt",
            json={"challenge_id": ch.id, "submission": "flag{warm}"},
            headers=auth(make.token(player)),
        )
        assert r.json()["data"]["status"] == "correct", r.text
        got = {
            name: by_type(read_until(s, has_event("solve")), "solve")[0].json
            for name, s in (("en", en), ("ja", ja), ("both", both))
        }

    assert got["en"]["data"]["first_blood"] == 1 and got["en"]["data"]["account_id"] == team.id
    assert got["en"]["names"] == {"challenge": "Warm-up", "account": "Kitsune", "user": player.name}
    assert got["ja"]["names"]["challenge"] == "準備運動"
    english = {"locale": "en", "text": "First blood! Kitsune solved Warm-up."}
    japanese = {"locale": "ja", "text": "ファーストブラッド！Kitsune が 準備運動 に最初に正解しました。"}
    assert got["en"]["messages"] == [english]
    assert got["ja"]["messages"] == [japanese]
    assert got["both"]["messages"] == [english, japanese]


def test_during_the_freeze_a_teams_own_later_solve_comes_without_its_blood_rank(
    live: TestClient, make: Factory, ctx: Context
) -> None:
    ch = make.challenge(flag="flag{late}", name="Late")
    first, _ = make.player_in_team("asa", team_name="Early Birds")
    second, late = make.player_in_team("ben", team_name="Late Owls")
    admin = make.user("root", role="admin")
    attempt = {"challenge_id": ch.id, "submission": "flag{late}"}
    assert (
        live.post("/api/v1/challenges/attempt", json=attempt, headers=auth(make.token(first))).status_code
        == 200
    )
    event_service.update_event(ctx, {"freeze_at": datetime.now(UTC) - timedelta(minutes=1)})
    with (
        live.stream("GET", "/events?lang=en", headers=auth(make.token(second))) as own,
        live.stream("GET", "/events?lang=en", headers=auth(make.token(admin))) as staff,
    ):
        r = live.post("/api/v1/challenges/attempt", json=attempt, headers=auth(make.token(second)))
        assert r.json()["data"]["status"] == "correct", r.text
        mine = by_type(read_until(own, has_event("solve")), "solve")[0].json
        seen = by_type(read_until(staff, has_event("solve")), "solve")[0].json
    assert mine["data"]["account_id"] == late.id
    assert mine["data"]["first_blood"] == 0 and mine["messages"] == []  # not "Second blood"
    assert seen["data"]["first_blood"] == 2 and "Second blood" in seen["messages"][0]["text"]


def test_sentences_of_the_event_state_in_each_language(live: TestClient, ctx: Context) -> None:
    with live.stream("GET", "/events?lang=ja&display=both") as r:
        paused = emit(ctx, "event_state", state="paused", reason={"en": "Lunch", "ja": "昼食"}, end_at=None)
        extended = emit(ctx, "event_state", state="extended", reason={}, end_at="2026-11-28T18:30:00Z")
        frames = read_until(r, until_id(extended))
    said = {int(f.json["id"]): f.json["messages"] for f in by_type(frames, "event_state")}
    assert said[paused] == [
        {"locale": "ja", "text": "大会は一時停止中です：昼食"},
        {"locale": "en", "text": "The event is paused: Lunch"},
    ]
    assert said[extended] == [
        {"locale": "ja", "text": "大会の終了が 2026-11-28 18:30 UTC まで延長されました。"},
        {"locale": "en", "text": "The event has been extended until 2026-11-28 18:30 UTC."},
    ]


def test_a_scoreboard_change_has_no_sentence(live: TestClient, ctx: Context) -> None:
    with live.stream("GET", "/events") as r:
        ident = emit(ctx, "scoreboard", revision=41)
        frame = by_type(read_until(r, until_id(ident)), "scoreboard")[0]
    assert frame.json["data"] == {"revision": 41} and frame.json["messages"] == []


# --- resuming ----------------------------------------------------------------------------------------


def test_last_event_id_resumes_from_the_log(live: TestClient, ctx: Context) -> None:
    first = emit(ctx, "scoreboard", revision=1)
    second = emit(ctx, "scoreboard", revision=2)
    third = emit(ctx, "scoreboard", revision=3)
    with live.stream("GET", "/events", headers={"Last-Event-ID": str(first)}) as r:
        frames = read_until(r, until_id(third))
        live_one = emit(ctx, "scoreboard", revision=4)
        frames += read_until(r, until_id(live_one))
    got = [int(f.id) for f in events_only(frames)]
    assert got == [second, third, live_one]  # in order, nothing twice, not the one before the id
    # The query parameter does the same (for a first connection a page makes itself)...
    with live.stream("GET", f"/events?last_event_id={second}") as r:
        assert [int(f.id) for f in events_only(read_until(r, until_id(live_one)))] == [third, live_one]
    # ...and the header wins over it (a browser reconnecting to the same URL sends the header).
    with live.stream("GET", f"/events?last_event_id={first}", headers={"Last-Event-ID": str(third)}) as r:
        assert [int(f.id) for f in events_only(read_until(r, until_id(live_one)))] == [live_one]


def test_a_huge_gap_resumes_with_the_newest_events_only(live: TestClient, ctx: Context, app: Any) -> None:
    app.state.live.settings = LiveSettings(**{**FAST.__dict__, "resume_limit": 5})
    made = [emit(ctx, "scoreboard", revision=n) for n in range(12)]
    with live.stream("GET", "/events", headers={"Last-Event-ID": "0"}) as r:
        frames = read_until(r, until_id(made[-1]))
    assert [int(f.id) for f in events_only(frames)] == made[-5:]


def test_a_players_resume_is_not_crowded_out_by_staff_events(
    live: TestClient, ctx: Context, app: Any
) -> None:
    app.state.live.settings = LiveSettings(**{**FAST.__dict__, "resume_limit": 3})
    public = emit(ctx, "scoreboard", revision=1)
    for n in range(10):
        emit(ctx, "challenge_changed", "staff", challenge_id=n)
    with live.stream("GET", "/events", headers={"Last-Event-ID": str(public - 1)}) as r:
        frames = read_until(r, until_id(public))
    assert [int(f.id) for f in events_only(frames)] == [public]


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "9" * 19, "1; DROP TABLE events"])
def test_a_malformed_last_event_id_is_refused_in_the_readers_language(live: TestClient, value: str) -> None:
    r = live.get("/events?lang=ja", headers={"Last-Event-ID": value})
    assert r.status_code == 400
    assert r.json() == {
        "success": False,
        "errors": {"last_event_id": [gettext_in("ja", "This value is not valid.")]},
    }
    assert live.get(f"/events?lang=en&last_event_id={value}").status_code == 400


def test_an_invalid_token_is_refused_as_json(live: TestClient) -> None:
    r = live.get("/events", headers={"Authorization": "Token kzn_not_a_real_token"})
    assert r.status_code == 401
    assert r.json()["success"] is False


# --- who receives what ----------------------------------------------------------------------------------


def test_each_viewer_receives_only_what_the_policy_lets_them_see(
    live: TestClient, ctx: Context, make: Factory
) -> None:
    player_a, _team_a = make.player_in_team(team_name="Alpha")
    player_b, team_b = make.player_in_team(team_name="Bravo")
    visible = make.challenge(name="Warm-up")
    secret = f"Secret-{uuid.uuid4().hex}"
    hidden = make.challenge(name=secret)
    challenges.update_challenge(ctx, hidden.id, {"state": "hidden"})
    roles = {role: make.user(role=role) for role in ("admin", "judge", "marshal", "author")}
    tokens = {name: make.token(user) for name, user in {**roles, "a": player_a, "b": player_b}.items()}

    def open_as(name: str) -> Any:
        headers = {} if name == "anonymous" else {"Authorization": f"Token {tokens[name]}"}
        return live.stream("GET", "/events?lang=en", headers=headers)

    names = ["anonymous", "a", "b", *roles]
    contexts = {name: open_as(name) for name in names}
    responses = {name: cm.__enter__() for name, cm in contexts.items()}
    try:
        made = {
            "submission": emit(
                ctx,
                "submission",
                "staff",
                team_b.id,
                submission_id=1,
                challenge_id=visible.id,
                account_id=team_b.id,
                user_id=player_b.id,
                result="incorrect",
                address="10.9.8.7",
            ),
            "unlock_b": emit(
                ctx, "unlock", "account", team_b.id, account_id=team_b.id, hint_id=1, challenge_id=visible.id
            ),
            "hint_on_hidden": emit(ctx, "hint_added", challenge_id=hidden.id, hint_id=2),
            "solve_on_hidden": emit(
                ctx,
                "solve",
                "staff",
                team_b.id,
                challenge_id=hidden.id,
                account_id=team_b.id,
                user_id=player_b.id,
                first_blood=1,
                value=100,
            ),
            "account_hidden": emit(
                ctx, "account_hidden", "staff", account_id=team_b.id, kind="team", hidden=True
            ),
            "award_b": emit(ctx, "award", "account", team_b.id, award_id=1, account_id=team_b.id, value=5),
            "hidden_changed": emit(ctx, "challenge_changed", "staff", challenge_id=hidden.id),
        }
        past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        event_service.update_event(ctx, {"freeze_at": past})
        made["solve_after_freeze"] = emit(
            ctx,
            "solve",
            "public",
            team_b.id,
            challenge_id=visible.id,
            account_id=team_b.id,
            user_id=player_b.id,
            first_blood=1,
            value=100,
        )
        made["scoreboard_after_freeze"] = emit(ctx, "scoreboard", revision=99)
        marker = emit(ctx, "event_state", state="frozen", reason={}, end_at=None)
        got = {name: read_until(responses[name], until_id(marker)) for name in names}
    finally:
        for cm in contexts.values():
            cm.__exit__(None, None, None)

    received = {name: {k for k, v in made.items() if v in ids_of(frames)} for name, frames in got.items()}
    assert received["anonymous"] == set()
    assert received["a"] == set()
    assert received["b"] == {"unlock_b", "award_b", "solve_after_freeze"}
    assert received["marshal"] == {"submission", "unlock_b", "account_hidden", "award_b"}
    assert received["author"] == {"hint_on_hidden", "solve_on_hidden", "hidden_changed"}
    assert received["judge"] == set(made)
    assert received["admin"] == set(made)
    for name in ("anonymous", "a", "b"):
        raw = "\n".join(f.data for f in got[name])
        assert secret not in raw and "10.9.8.7" not in raw
    # Names go with the events: the staff line names the hidden challenge for those who may see it.
    judge = {int(f.json["id"]): f.json for f in events_only(got["judge"]) if f.event != "notification"}
    assert judge[made["solve_on_hidden"]]["names"]["challenge"] == secret
    assert judge[made["account_hidden"]]["names"] == {"account": "Bravo"}
    assert judge[made["account_hidden"]]["messages"] == [
        {"locale": "en", "text": "Bravo has been hidden pending review."}
    ]
    own = {int(f.json["id"]): f.json for f in events_only(got["b"]) if f.event != "notification"}
    assert own[made["award_b"]]["messages"] == [{"locale": "en", "text": "Award for Bravo: 5 points"}]
    assert own[made["solve_after_freeze"]]["names"]["account"] == "Bravo"


def test_a_hidden_challenges_name_never_reaches_a_player_through_the_api_flow(
    live: TestClient, ctx: Context, make: Factory
) -> None:
    """A hidden challenge gets a hint and a solve by staff through the API: players hear nothing."""
    admin = make.admin()
    player, _team = make.player_in_team()
    secret = f"Hidden-{uuid.uuid4().hex}"
    hidden = make.challenge(flag="flag{hidden}", name=secret)
    challenges.update_challenge(ctx, hidden.id, {"state": "hidden"})
    with (
        live.stream("GET", "/events", headers={"Authorization": f"Token {make.token(player)}"}) as as_player,
        live.stream("GET", "/events") as anonymous,
        live.stream("GET", "/events", headers={"Authorization": f"Token {make.token(admin)}"}) as as_admin,
    ):
        r = live.post(
            "/api/v1/hints",
            json={"challenge_id": hidden.id, "content": "look closer", "cost": 0},
            headers=auth(make.token(admin)),
        )
        assert r.status_code == 200, r.text
        marker = emit(ctx, "event_state", state="resumed", reason={}, end_at=None)
        frames = {
            "player": read_until(as_player, until_id(marker)),
            "anonymous": read_until(anonymous, until_id(marker)),
            "admin": read_until(as_admin, until_id(marker)),
        }
    for who in ("player", "anonymous"):
        raw = "\n".join(f.data for f in frames[who])
        assert secret not in raw and '"hint_added"' not in raw
    admin_raw = "\n".join(f.data for f in frames["admin"])
    assert secret in admin_raw  # the admin did hear of it, so the check above means something


# --- connections ----------------------------------------------------------------------------------------


def test_a_banned_players_stream_is_closed(live: TestClient, ctx: Context, make: Factory) -> None:
    player = make.user()
    with live.stream("GET", "/events", headers={"Authorization": f"Token {make.token(player)}"}) as r:
        first = read_until(r, lambda fs: any(f.comment for f in fs))
        accounts.update_user(ctx, player.id, {"banned": True})
        rest = read_until(r, lambda fs: False, timeout=15)  # returns when the server ends the stream
    assert first and rest is not None


def test_a_slow_reader_is_dropped_and_holds_nobody_up(live: TestClient, ctx: Context, app: Any) -> None:
    app.state.live.settings = LiveSettings(**{**FAST.__dict__, "queue_limit": 3})
    with live.stream("GET", "/events") as slow, live.stream("GET", "/events") as fast:
        made = []
        for n in range(8):
            made.append(emit(ctx, "scoreboard", revision=n))
            read_until(fast, until_id(made[-1]))  # the fast reader gets each at once
        leftover = read_until(slow, lambda fs: False, timeout=15)  # ends: the server closed it
    assert len(ids_of(leftover) & set(made)) < len(made)
    assert not [s for s in app.state.live.streams]  # both released


def test_an_account_may_hold_only_so_many_streams(live: TestClient, make: Factory, app: Any) -> None:
    app.state.live.settings = LiveSettings(**{**FAST.__dict__, "per_account": 2})
    headers = {"Authorization": f"Token {make.token(make.user())}"}
    with live.stream("GET", "/events", headers=headers), live.stream("GET", "/events", headers=headers):
        r = live.get("/events?lang=ja", headers=headers)
        assert r.status_code == 429
        assert r.json()["message"] == gettext_in(
            "ja", "Too many live streams are open for your account; close some and try again."
        )
        # Other accounts (and anonymous readers) are not affected.
        with live.stream("GET", "/events") as other:
            assert other.status_code == 200


def test_stopping_the_server_ends_every_stream(live: TestClient, app: Any) -> None:
    with live.stream("GET", "/events") as r:
        read_until(r, lambda fs: bool(fs))
        live.portal.call(app.state.live.shutdown)
        read_until(r, lambda fs: False, timeout=15)  # returns because the stream ended
    assert live.get("/events").status_code == 503


def test_the_tailer_reads_once_per_batch_whatever_the_number_of_streams(
    live: TestClient, ctx: Context, app: Any
) -> None:
    # No timed polling in this test: only the bus wakes the tailer, so each event is one batch.
    app.state.live.settings = LiveSettings(**{**FAST.__dict__, "poll_seconds": 3600.0})
    statements: list[str] = []
    lock = threading.Lock()

    def count(*_args: Any) -> None:
        if threading.current_thread().name.startswith("kizuna-live"):
            with lock:
                statements.append("x")

    sa_event.listen(ctx.db.engine, "before_cursor_execute", count)
    try:

        def reads_for(streams: int) -> int:
            cms = [live.stream("GET", "/events") for _ in range(streams)]
            responses = [cm.__enter__() for cm in cms]
            try:
                with lock:
                    statements.clear()
                ident = emit(ctx, "scoreboard", revision=streams)
                for response in responses:
                    read_until(response, until_id(ident))
                with lock:
                    return len(statements)
            finally:
                for cm in cms:
                    cm.__exit__(None, None, None)

        reads_for(1)  # a first round, so both counts are taken in the same steady state
        one = reads_for(1)
        many = reads_for(12)
    finally:
        sa_event.remove(ctx.db.engine, "before_cursor_execute", count)
    # The new rows and the event row, in one read (SQLite adds its BEGIN).
    assert 1 <= one <= 6
    assert many == one


# --- documentation ------------------------------------------------------------------------------------


def test_the_stream_is_in_the_openapi_document(live: TestClient) -> None:
    doc = live.get("/openapi.json").json()
    get = doc["paths"]["/events"]["get"]
    assert get["summary"].strip()
    assert "text/event-stream" in get["responses"]["200"]["content"]
    params = {p["name"] for p in get["parameters"]}
    assert {"last_event_id", "Last-Event-ID"} <= params


def test_the_stream_is_in_the_api_docs() -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for needle in ("GET /events", "Last-Event-ID", "event: notification", ": keep-alive", "retry: 3000"):
        assert needle in text, needle


def test_reads_spread_out_as_streams_grow(ctx: Context) -> None:
    """Each read can mean one write per stream: with thousands open the reads are further apart
    (fan-out stays near ``writes_per_second``), never more than ``batch_max_seconds``."""
    hub = LiveHub(ctx, LiveSettings(batch_seconds=0.1, batch_max_seconds=0.5, writes_per_second=5000))
    assert hub.batch_gap() == 0.1
    hub.streams = {object() for _ in range(2000)}  # type: ignore[misc]
    assert hub.batch_gap() == pytest.approx(0.4)
    hub.streams = {object() for _ in range(10_000)}  # type: ignore[misc]
    assert hub.batch_gap() == 0.5


@pytest.fixture
def served(app: Any) -> Iterator[str]:
    """The app under a real uvicorn server in a thread (its lifespan runs the tailer there)."""
    import time

    import uvicorn

    from tests.live_server import free_port

    app.state.live.settings = FAST
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_a_client_that_goes_away_is_forgotten_at_once(served: str, app: Any, ctx: Context) -> None:
    """uvicorn does not fail a write to a closed connection: the stream notices the disconnect
    itself and releases its place (and stops being written to)."""
    import time

    from tests.sse import StreamReader

    reader = StreamReader(f"{served}/events")
    try:
        ident = emit(ctx, "scoreboard", revision=7)
        reader.wait_for(lambda frames: any(f.id == str(ident) for f in frames))
        assert len(app.state.live.streams) == 1
    finally:
        reader.close()
    deadline = time.monotonic() + 10
    while app.state.live.streams:
        assert time.monotonic() < deadline, "the stream was not released after the client left"
        time.sleep(0.05)


def test_a_reader_that_stops_reading_is_dropped_after_the_send_timeout(live: TestClient, app: Any) -> None:
    import time

    app.state.live.settings = LiveSettings(**{**FAST.__dict__, "send_timeout": 0.3})
    with live.stream("GET", "/events"):  # opened, never read: the first write cannot complete
        deadline = time.monotonic() + 15
        while app.state.live.streams:
            assert time.monotonic() < deadline, "a reader that never reads kept its stream"
            time.sleep(0.05)


def test_public_true_hears_only_what_a_visitor_hears_even_signed_in_as_staff(
    live: TestClient, ctx: Context, make: Factory
) -> None:
    # A venue screen's kiosk left signed in as an admin still shows only public news.
    headers = {"Authorization": f"Token {make.token(make.admin())}"}
    with live.stream("GET", "/events?public=true", headers=headers) as r:
        staff_only = emit(ctx, "submission", audience="staff", result="incorrect", address="198.51.100.7")
        public = emit(ctx, "challenge_released", challenge_id=make.challenge(name="Released").id)
        frames = read_until(r, until_id(public))
    assert public in ids_of(frames)
    assert staff_only not in ids_of(frames)
    assert "198.51.100.7" not in "".join(f.data for f in frames)


def test_a_staff_session_without_required_two_factor_hears_no_staff_news(
    live: TestClient, ctx: Context, make: Factory
) -> None:
    make.user("judy", role="judge")
    event_service.update_event(ctx, {"two_factor_roles": ["judge"]})
    login(live, "judy")
    with live.stream("GET", "/events") as r:
        staff_only = emit(ctx, "submission", audience="staff", result="incorrect", address="198.51.100.8")
        public = emit(ctx, "challenge_released", challenge_id=make.challenge(name="Open").id)
        frames = read_until(r, until_id(public))
    assert staff_only not in ids_of(frames)
    # Once the requirement is lifted, the same session hears the feed again.
    event_service.update_event(ctx, {"two_factor_roles": []})
    with live.stream("GET", "/events") as r:
        staff_only = emit(ctx, "submission", audience="staff", result="incorrect", address="198.51.100.9")
        frames = read_until(r, until_id(staff_only))
    assert staff_only in ids_of(frames)


def test_a_stream_opened_while_an_idle_tick_reads_the_head_misses_nothing(ctx: Context) -> None:
    """With no stream open, a turn of the tailer only moves its cursor to the head of the log. A stream
    that opens while that head is read, and an event committed just after it opened, must not be
    skipped by that move (found under load: the stream heard keep-alives only)."""
    import asyncio

    from kizuna.domain.live import Viewer

    hub = hand_turned_hub(ctx)
    real_head = hub._head
    opened: dict[str, Any] = {}

    def head_while_someone_connects() -> int:
        opened["stream"] = hub.open(Viewer(), ("en",), None, floor=real_head())
        opened["id"] = emit(ctx, "scoreboard", revision=7)
        return real_head()

    hub._head = head_while_someone_connects  # type: ignore[method-assign]

    async def two_turns() -> None:
        await hub.tick()  # no stream when the turn began: it reads the head
        hub._head = real_head  # type: ignore[method-assign]
        await hub.tick()  # the next turn reads from the cursor and delivers

    try:
        asyncio.run(two_turns())
    finally:
        hub._executor.shutdown()
    assert opened["id"] in [p.event.id for p in opened["stream"].pending]


def test_the_fan_out_gives_each_viewer_exactly_what_the_policy_allows(ctx: Context, make: Factory) -> None:
    """The fan-out leaves the staff's news out for players once per role instead of asking the policy
    per viewer; what each stream receives is still exactly ``visible_to``'s answer, for every role."""
    import asyncio

    from kizuna.domain.live import Viewer, visible_to

    a, _ = make.player_in_team("fanout-a")
    b, _ = make.player_in_team("fanout-b")
    ch = make.challenge()
    hub = hand_turned_hub(ctx)
    head = hub._head()
    mode = hub.mode
    acct = {u.id: (u.team_id if mode == "teams" else u.id) for u in (a, b)}
    viewers = [
        Viewer(),
        Viewer("player", acct[a.id]),
        Viewer("player", acct[b.id]),
        *(Viewer(role, None) for role in ("admin", "judge", "marshal", "author")),
    ]
    streams = [hub.open(v, ("en",), None, floor=head) for v in viewers]
    emit(ctx, "scoreboard", revision=3)
    emit(ctx, "solve", challenge_id=ch.id, account_id=acct[a.id], user_id=a.id, first_blood=1, value=100)
    emit(
        ctx,
        "submission",
        "staff",
        to=acct[b.id],
        challenge_id=ch.id,
        account_id=acct[b.id],
        result="incorrect",
    )
    emit(ctx, "award", "account", to=acct[b.id], account_id=acct[b.id], value=5)

    async def turn() -> list[Any]:
        prepared: list[Any] = []
        original = hub._fan_out

        async def keep(items: list[Any], batch_mode: str) -> None:
            prepared.extend(items)
            await original(items, batch_mode)

        hub._fan_out = keep  # type: ignore[method-assign]
        await hub.tick()
        return prepared

    try:
        prepared = asyncio.run(turn())
    finally:
        hub._executor.shutdown()
    assert len(prepared) == 4
    for viewer, stream in zip(viewers, streams, strict=True):
        expected = [p.event.id for p in prepared if visible_to(p.event, viewer, p.world)]
        assert [p.event.id for p in stream.pending] == expected, viewer
    types = {v.role: {p.event.type for p in s.pending} for v, s in zip(viewers, streams, strict=True)}
    assert "submission" not in types["player"] and "submission" not in types[None]
    assert "submission" in types["admin"]


def test_streams_that_get_the_same_events_share_their_bytes(ctx: Context, make: Factory) -> None:
    """The bytes of a batch are made once for all streams that get the same events in the same
    languages and are spoken to alike — and each language gets its own."""
    import asyncio

    from kizuna.domain.live import Viewer
    from kizuna.web.stream import EventStreamResponse

    a, _ = make.player_in_team("share-a")
    ch = make.challenge(name="Shared")
    hub = hand_turned_hub(ctx)
    head = hub._head()
    acct = a.team_id if hub.mode == "teams" else a.id
    viewers_locales = [
        (Viewer(), ("en",)),
        (Viewer(), ("en",)),
        (Viewer(), ("ja",)),
        (Viewer("player", acct), ("en",)),
    ]
    streams = [hub.open(v, loc, None, floor=head) for v, loc in viewers_locales]
    from kizuna.services import submissions

    assert submissions.submit_flag(ctx, accounts.Principal.of(a), ch.id, "flag{test}").status == "correct"
    try:
        asyncio.run(hub.tick())
    finally:
        hub._executor.shutdown()
    chunks = [EventStreamResponse(hub, s, None)._chunk(list(s.pending)) for s in streams]
    assert b"event: solve" in chunks[0] and b"First blood" in chunks[0]
    assert chunks[0] is chunks[1] is chunks[3]  # made once for the three English readers
    assert chunks[2] != chunks[0] and b"event: solve" in chunks[2]  # the Japanese reader's own
    assert b"First blood" not in chunks[2]
    # Unshared, each is what it would be on its own.
    hub.chunks.clear()
    assert [EventStreamResponse(hub, s, None)._chunk(list(s.pending)) for s in streams] == chunks


def test_the_staffs_news_is_prepared_only_when_staff_watch_and_reaches_staff_who_just_came(
    ctx: Context, make: Factory
) -> None:
    """With only players' streams open, the staff's news (each attempt is one) is not prepared at
    all. A staff stream opened while such a batch was being read still gets that news, on the next
    turn."""
    import asyncio

    from kizuna.domain.live import Viewer

    a, _ = make.player_in_team("staffnews")
    ch = make.challenge()
    hub = hand_turned_hub(ctx)
    head = hub._head()
    acct = a.team_id if hub.mode == "teams" else a.id
    player = hub.open(Viewer("player", acct), ("en",), None, floor=head)
    news = emit(ctx, "submission", "staff", to=acct, challenge_id=ch.id, account_id=acct, result="incorrect")
    public = emit(ctx, "scoreboard", revision=11)
    real_read = hub._read
    seen: dict[str, Any] = {}

    def read_while_staff_arrive(cursor: int, gaps: tuple[int, ...], staff: bool = True) -> Any:
        batch = real_read(cursor, gaps, staff)
        seen["first"] = batch
        seen["admin"] = hub.open(Viewer("admin", None), ("en",), None, floor=head)
        return batch

    hub._read = read_while_staff_arrive  # type: ignore[method-assign]

    async def two_turns() -> None:
        await hub.tick()
        hub._read = real_read  # type: ignore[method-assign]
        await hub.tick()

    try:
        asyncio.run(two_turns())
    finally:
        hub._executor.shutdown()
    first = seen["first"]
    assert first.skipped == [news] and [p.event.id for p in first.prepared] == [public]
    # The public event in the first turn, the staff's news in the next (read again: the gaps).
    assert [p.event.id for p in seen["admin"].pending] == [public, news]
    assert [p.event.id for p in player.pending] == [public]
