"""Practice mode (kizuna.services.practice): practice challenges and play after the event's end
never touch the event's board; practice solves are recorded once per user; visitors browse,
players answer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.services import event
from kizuna.storage import tables as t
from kizuna.web.fastlane import FastLane
from tests.conftest import auth, login
from tests.racing import race
from tests.web.test_board import Clock

FLAG = "flag{test}"


@pytest.fixture
def clock(ctx: Any) -> Clock:
    return Clock(ctx)


@pytest.fixture
def lane(client: TestClient, app: Any) -> FastLane:
    client.get("/healthz")
    assert isinstance(app.middleware_stack, FastLane)
    return app.middleware_stack


@pytest.fixture
def full(app: Any, lane: FastLane) -> TestClient:
    """The same app without its fast lane: every request down the full stack."""

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        scope.setdefault("app", app)
        await lane.inner(scope, receive, send)

    return TestClient(inner)


def attempt(client: TestClient, token: str, challenge_id: int, flag: str, lang: str = "en") -> Any:
    return client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": challenge_id, "submission": flag},
        headers={**auth(token), "Accept-Language": lang},
    )


# The event's results as every public reader gets them: the board, top N, CTFtime's feed, the matrix,
# the scoreboard page, the challenge list's counts (a player's view), the venue screen and the
# standings export.
PUBLIC_VIEWS = (
    "/api/v1/scoreboard",
    "/api/v1/scoreboard/top/10",
    "/api/v1/scoreboard/ctftime",
    "/api/v1/scoreboard/matrix",
    "/scoreboard",
    "/venue/board",
)


def snapshot_of_results(client: TestClient, token: str, admin_token: str) -> dict[str, bytes]:
    out = {path: client.get(path).content for path in PUBLIC_VIEWS}
    out["challenges"] = client.get("/api/v1/challenges", headers=auth(token)).content
    for kind in ("standings", "solves"):
        r = client.get(f"/api/v1/exports/{kind}?format=csv", headers=auth(admin_token))
        assert r.status_code == 200, (kind, r.text)
        out[kind] = r.content
    return out


def test_the_final_board_never_changes_after_the_end(
    backend: str, client: TestClient, ctx: Any, make: Any, clock: Clock
) -> None:
    players = [make.player_in_team()[0] for _ in range(3)]
    tokens = [make.token(p) for p in players]
    admin_token = make.token(make.admin())
    chs = [
        make.challenge(value=100 * (i + 1), function="linear", initial=500, minimum=100, decay=5)
        for i in range(2)
    ]
    plain = make.challenge(value=300)
    marked = make.challenge(value=50, practice=True)
    event.update_event(
        ctx, {"start_at": clock.now - timedelta(hours=2), "end_at": clock.now + timedelta(hours=1)}
    )
    # During the event: the first two players score, the third only practises.
    assert attempt(client, tokens[0], chs[0].id, FLAG).json()["data"]["status"] == "correct"
    assert attempt(client, tokens[1], chs[0].id, FLAG).json()["data"]["status"] == "correct"
    assert attempt(client, tokens[1], plain.id, FLAG).json()["data"]["status"] == "correct"
    assert attempt(client, tokens[2], marked.id, FLAG).json()["data"]["practice"] is True
    clock.advance(hours=2)  # the event is over
    before = snapshot_of_results(client, tokens[0], admin_token)
    assert b'"score":' in before["/api/v1/scoreboard"]
    # Lots of practice: new and already-solved challenges, right and wrong, by every player, in both
    # languages.
    for i, token in enumerate(tokens):
        for ch in (*chs, plain, marked):
            lang = "ja" if i % 2 else "en"
            wrong = attempt(client, token, ch.id, "flag{nope}", lang)
            assert wrong.status_code == 200 and wrong.json()["data"]["status"] == "incorrect"
            right = attempt(client, token, ch.id, FLAG, lang).json()["data"]
            expected = "正解（練習・得点なし）" if lang == "ja" else "Correct (practice — not scored)"
            assert right == {"status": "correct", "message": expected, "practice": True}
        clock.advance(minutes=1)
    after = snapshot_of_results(client, tokens[0], admin_token)
    for key in before:
        assert after[key] == before[key], key
    with ctx.db.read() as s:
        assert s.query(t.Solve).count() == 3
        assert s.query(t.PracticeSolve).count() == 3 * 4
        values = {c.id: c.value for c in s.query(t.Challenge)}
    assert values[chs[0].id] == ctx_value_before(before, chs[0].id)


def ctx_value_before(snapshot: dict[str, bytes], challenge_id: int) -> int:
    import orjson

    for entry in orjson.loads(snapshot["challenges"])["data"]:
        if entry["id"] == challenge_id:
            return int(entry["value"])
    raise AssertionError("not listed")


def test_a_practice_challenge_is_on_no_board_during_the_event(
    backend: str, client: TestClient, ctx: Any, make: Any
) -> None:
    user, _team = make.player_in_team()
    token = make.token(user)
    scored = make.challenge(value=100)
    marked = make.challenge(value=500, practice=True)
    assert attempt(client, token, scored.id, FLAG).json()["data"]["status"] == "correct"
    r = attempt(client, token, marked.id, FLAG)
    assert r.json()["data"] == {
        "status": "correct",
        "message": "Correct (practice — not scored)",
        "practice": True,
    }
    board = client.get("/api/v1/scoreboard").json()["data"]
    assert board[0]["score"] == 100
    matrix = client.get("/api/v1/scoreboard/matrix").json()["data"]
    assert [c["id"] for c in matrix["challenges"]] == [scored.id]
    listed = {c["id"]: c for c in client.get("/api/v1/challenges", headers=auth(token)).json()["data"]}
    assert listed[marked.id]["practice"] is True and listed[marked.id]["solves"] == 0
    assert listed[scored.id]["practice"] is False and listed[scored.id]["solves"] == 1
    with ctx.db.read() as s:
        assert s.query(t.Solve).filter(t.Solve.challenge_id == marked.id).count() == 0
        (row,) = s.query(t.PracticeSolve).all()
        assert (row.challenge_id, row.user_id) == (marked.id, user.id)
        events = [e for e in s.query(t.EventLog).filter(t.EventLog.type == "practice_solve")]
        assert [e.data["challenge_id"] for e in events] == [marked.id]
        assert events[0].audience == "account"
    # Marking a scored challenge practice takes it off the board (and the matrix) at once.
    admin_token = make.token(make.admin())
    r = client.patch(f"/api/v1/challenges/{scored.id}", json={"practice": True}, headers=auth(admin_token))
    assert r.status_code == 200 and r.json()["data"]["practice"] is True
    assert client.get("/api/v1/scoreboard").json()["data"][0]["score"] == 0


def test_practice_before_the_start_and_while_paused(
    backend: str, client: TestClient, ctx: Any, make: Any, clock: Clock
) -> None:
    user, _team = make.player_in_team()
    token = make.token(user)
    scored = make.challenge()
    marked = make.challenge(practice=True)
    event.update_event(ctx, {"start_at": clock.now + timedelta(hours=1)})
    assert attempt(client, token, scored.id, FLAG).status_code == 403
    assert attempt(client, token, marked.id, FLAG).json()["data"]["practice"] is True
    event.update_event(ctx, {"start_at": clock.now - timedelta(hours=1), "paused": True})
    assert attempt(client, token, scored.id, FLAG).json()["data"]["status"] == "paused"
    assert attempt(client, token, marked.id, "nope").json()["data"] == {
        "status": "incorrect",
        "message": "Incorrect (practice)",
        "practice": True,
    }


def test_practice_keeps_the_rate_limits_after_the_end(
    backend: str, client: TestClient, ctx: Any, make: Any, clock: Clock
) -> None:
    user, _team = make.player_in_team()
    token = make.token(user)
    ch = make.challenge(max_attempts=1)
    event.update_event(
        ctx, {"start_at": clock.now - timedelta(hours=2), "end_at": clock.now - timedelta(hours=1)}
    )
    for i in range(ctx.attempt_rate_limit):
        assert attempt(client, token, ch.id, f"nope{i}").json()["data"]["status"] == "incorrect"
    r = attempt(client, token, ch.id, FLAG)
    assert r.status_code == 429 and r.json()["data"]["status"] == "ratelimited"
    clock.advance(seconds=61)
    assert attempt(client, token, ch.id, FLAG).json()["data"]["status"] == "correct"
    with ctx.db.read() as s:
        kinds = [x.type for x in s.query(t.Submission).order_by(t.Submission.id)]
        assert all(x.late for x in s.query(t.Submission))
    assert kinds == ["incorrect"] * ctx.attempt_rate_limit + ["ratelimited", "correct"]


def test_a_closed_challenge_stays_refused_during_the_event_and_is_practice_after(
    backend: str, client: TestClient, ctx: Any, make: Any, clock: Clock
) -> None:
    user, _team = make.player_in_team()
    token = make.token(user)
    from kizuna.domain.event_state import iso_utc

    ch = make.challenge(close_at=iso_utc(clock.now + timedelta(minutes=5)))
    event.update_event(
        ctx, {"start_at": clock.now - timedelta(hours=1), "end_at": clock.now + timedelta(hours=1)}
    )
    clock.advance(minutes=10)
    r = attempt(client, token, ch.id, FLAG)
    assert r.status_code == 403 and r.json()["message"].startswith("This challenge has closed")
    clock.advance(hours=2)
    assert attempt(client, token, ch.id, FLAG).json()["data"]["practice"] is True


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_concurrent_right_answers_record_one_practice_solve(
    backend: str, client: TestClient, ctx: Any, make: Any
) -> None:
    user, _team = make.player_in_team()
    token = make.token(user)
    ch = make.challenge(practice=True)
    answers = race(8, lambda _i: attempt(client, token, ch.id, FLAG))
    assert all(not isinstance(a, BaseException) and a.json()["data"]["status"] == "correct" for a in answers)
    with ctx.db.read() as s:
        assert s.query(t.PracticeSolve).count() == 1
        assert s.query(t.EventLog).filter(t.EventLog.type == "practice_solve").count() == 1
        assert s.query(t.Solve).count() == 0


def test_visitors_browse_and_players_answer(client: TestClient, ctx: Any, make: Any) -> None:
    user, _team = make.player_in_team()
    marked = make.challenge(
        name="Practice me",
        description="Find the **flag**.",
        practice=True,
        translations={"ja": {"name": "練習問題", "description": "フラグを探せ。"}},
    )
    scored = make.challenge(name="Scored only")
    hidden = make.challenge(name="Secret practice", practice=True, state="hidden")
    listed = client.get("/api/v1/practice/challenges")
    assert listed.status_code == 200
    ids = [c["id"] for c in listed.json()["data"]]
    assert ids == [marked.id]
    detail = client.get(f"/api/v1/practice/challenges/{marked.id}", headers={"Accept-Language": "ja"})
    assert detail.status_code == 200 and detail.json()["data"]["name"] == "練習問題"
    missing = client.get("/api/v1/practice/challenges/999999").json()
    for gone in (hidden.id, scored.id):
        r = client.get(f"/api/v1/practice/challenges/{gone}")
        assert r.status_code == 404 and r.json() == missing
        assert client.get(f"/practice/{gone}").status_code == 404
    page = client.get("/practice")
    assert page.status_code == 200 and "Practice me" in page.text
    assert "Secret practice" not in page.text and "Scored only" not in page.text
    one = client.get(f"/practice/{marked.id}", headers={"Accept-Language": "ja"})
    assert "フラグを探せ。" in one.text and 'href="/login' in one.text
    # Answering needs an account: 401 in the reader's language.
    r = client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": marked.id, "submission": FLAG},
        headers={"Accept-Language": "ja"},
    )
    assert r.status_code == 401 and r.json()["success"] is False
    assert (
        r.json()["message"]
        != client.post(
            "/api/v1/challenges/attempt", json={"challenge_id": marked.id, "submission": FLAG}
        ).json()["message"]
    )
    # Signed in, the page's form answers, and the player sees it practised.
    csrf = login(client, user.name)
    r = client.post(
        f"/practice/{marked.id}", data={"submission": FLAG, "csrf_token": csrf}, follow_redirects=True
    )
    assert r.status_code == 200 and "Correct (practice — not scored)" in r.text
    assert "Practised" in client.get("/practice").text
    mine = client.get("/api/v1/users/me/practice", headers={"CSRF-Token": csrf}).json()["data"]
    assert [m["challenge_id"] for m in mine] == [marked.id]
    assert client.get(f"/api/v1/practice/challenges/{marked.id}").json()["data"]["practised"] is True


def test_after_the_end_every_visible_challenge_is_listed(
    client: TestClient, ctx: Any, make: Any, clock: Clock
) -> None:
    scored = make.challenge(name="Scored once")
    hidden = make.challenge(name="Never shown", state="hidden")
    assert scored.id not in [c["id"] for c in client.get("/api/v1/practice/challenges").json()["data"]]
    event.update_event(
        ctx, {"start_at": clock.now - timedelta(hours=2), "end_at": clock.now - timedelta(hours=1)}
    )
    ids = [c["id"] for c in client.get("/api/v1/practice/challenges").json()["data"]]
    assert ids == [scored.id] and hidden.id not in ids


def test_challenge_yml_round_trips_practice(ctx: Any, make: Any, tmp_path: Any) -> None:
    from kizuna.services import challenge_folders

    make.challenge(name="Warm-up", practice=True)
    make.challenge(name="Real")
    challenge_folders.export_challenges(ctx, tmp_path)
    texts = {p.parent.name: p.read_text(encoding="utf-8") for p in tmp_path.rglob("challenge.yml")}
    warm = next(v for k, v in texts.items() if "warm" in k.lower())
    real = next(v for k, v in texts.items() if "real" in k.lower())
    assert "practice: true" in warm and "practice" not in real
    with ctx.write() as uow:
        uow.session.query(t.Challenge).update({t.Challenge.practice: False})
    challenge_folders.import_challenges(ctx, tmp_path)
    with ctx.db.read() as s:
        assert {c.name: c.practice for c in s.query(t.Challenge)} == {"Warm-up": True, "Real": False}


def test_staff_mark_a_challenge_practice_on_the_admin_form(client: TestClient, ctx: Any, make: Any) -> None:
    from tests.web.test_pages_admin import as_admin, challenge_form, post

    as_admin(client, make)
    assert 'name="practice"' in client.get("/admin/challenges/new").text
    r = post(client, "/admin/challenges/new", challenge_form(name="Drill", practice="on"))
    assert r.status_code == 303, r.text
    with ctx.db.read() as s:
        ch = s.query(t.Challenge).filter(t.Challenge.name == "Drill").one()
        assert ch.practice is True
    page = client.get(f"/admin/challenges/{ch.id}").text
    assert 'name="practice"' in page and "checked" in page.split('name="practice"')[1].split(">")[0]
    # Unticked: a form leaves an unticked box out, so it is no longer practice.
    form = challenge_form(name="Drill")
    r = post(client, f"/admin/challenges/{ch.id}", form)
    assert r.status_code == 303, r.text
    with ctx.db.read() as s:
        assert s.get(t.Challenge, ch.id).practice is False


def test_the_api_takes_and_shows_practice(client: TestClient, ctx: Any, make: Any) -> None:
    token = make.token(make.admin())
    r = client.post(
        "/api/v1/challenges",
        json={"name": "Drill", "category": "misc", "value": 0, "state": "visible", "practice": True},
        headers=auth(token),
    )
    assert r.status_code == 200 and r.json()["data"]["practice"] is True
    ident = r.json()["data"]["id"]
    assert client.get(f"/api/v1/challenges/{ident}?view=admin", headers=auth(token)).json()["data"][
        "practice"
    ]
    bad = client.patch(f"/api/v1/challenges/{ident}", json={"practice": "maybe"}, headers=auth(token))
    assert bad.status_code == 400 and bad.json()["success"] is False
    r = client.patch(f"/api/v1/challenges/{ident}", json={"practice": False}, headers=auth(token))
    assert r.json()["data"]["practice"] is False


def test_the_challenge_page_marks_practice_and_practised(client: TestClient, ctx: Any, make: Any) -> None:
    user, _team = make.player_in_team()
    marked = make.challenge(name="Drill", practice=True)
    login(client, user.name)
    page = client.get(f"/challenges/{marked.id}").text
    assert "Practice — not scored" in page and "Practised" not in page
    submit = client.get(f"/practice/{marked.id}").text
    assert 'name="submission"' in submit
    attempt(client, make.token(user), marked.id, FLAG)
    assert "Practised" in client.get(f"/challenges/{marked.id}").text
    assert "Practised" in client.get(f"/practice/{marked.id}").text


def test_a_practice_challenges_files_are_for_anyone_who_may_read_it(
    client: TestClient, ctx: Any, make: Any, clock: Clock
) -> None:
    from kizuna.services import content

    marked = make.challenge(name="Drill", practice=True)
    content.save_file(ctx, marked.id, "notes.txt", b"practice notes")
    scored = make.challenge(name="Real")
    content.save_file(ctx, scored.id, "real.txt", b"event notes")
    event.update_event(ctx, {"start_at": clock.now + timedelta(hours=1)})  # not started
    (link,) = client.get(f"/api/v1/practice/challenges/{marked.id}").json()["data"]["files"]
    got = client.get(link)
    assert got.status_code == 200 and got.content == b"practice notes"
    assert "notes.txt" in client.get(f"/practice/{marked.id}").text
    with ctx.db.read() as s:
        real = s.query(t.File).filter(t.File.challenge_id == scored.id).one().location
    signed = client.app.state.file_signer.url(real, None)  # type: ignore[attr-defined]
    assert client.get(signed).status_code == 404  # not practice, and the event has not started


def test_the_fast_lane_and_the_full_stack_answer_practice_alike(
    backend: str, client: TestClient, full: TestClient, lane: FastLane, ctx: Any, make: Any, clock: Clock
) -> None:
    user, _team = make.player_in_team()
    token = make.token(user)
    chs = [make.challenge() for _ in range(2)]
    event.update_event(
        ctx, {"start_at": clock.now - timedelta(hours=2), "end_at": clock.now - timedelta(hours=1)}
    )
    served = lane.served["attempt"]
    answers = {}
    for (name, c), ch in zip((("fast", client), ("full", full)), chs, strict=True):
        for lang in ("en", "ja"):
            for flag in ("nope", FLAG):
                r = attempt(c, token, ch.id, flag, lang)
                answers[(name, lang, flag)] = (r.status_code, r.json())
    assert lane.served["attempt"] == served + 4  # the fast lane answered its four
    for lang in ("en", "ja"):
        for flag in ("nope", FLAG):
            assert answers[("fast", lang, flag)] == answers[("full", lang, flag)]
    assert answers[("fast", "ja", FLAG)][1]["data"]["message"] == "正解（練習・得点なし）"
    with ctx.db.read() as s:
        assert sorted(p.challenge_id for p in s.query(t.PracticeSolve)) == [c.id for c in chs]
        assert s.query(t.Solve).count() == 0
