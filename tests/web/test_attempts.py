"""Flag attempts through the API: statuses, codes and what is stored."""

from __future__ import annotations

from datetime import timedelta

from kizuna.services import event
from kizuna.storage import tables as t
from tests.conftest import auth


def test_correct_then_already_solved(backend, client, make, ctx):
    user, _team = make.player_in_team()
    ch = make.challenge(flag="flag{one}", value=150)
    h = auth(make.token(user))
    r = client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": "flag{one}"}, headers=h
    )
    assert r.status_code == 200
    assert r.json()["data"]["status"] == "correct"
    r = client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": "nope"}, headers=h
    )
    assert r.json()["data"]["status"] == "already_solved"
    board = client.get("/api/v1/scoreboard").json()["data"]
    assert board[0]["score"] == 150
    with ctx.db.read() as s:
        kinds = [x.type for x in s.query(t.Submission).order_by(t.Submission.id)]
    assert kinds == ["correct", "already_solved"]


def test_incorrect_and_fullwidth_input(backend, client, make):
    user, _team = make.player_in_team()
    ch = make.challenge(flag="flag{abc}")
    h = auth(make.token(user))
    r = client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": "flag{abd}"}, headers=h
    )
    assert r.json()["data"] == {"status": "incorrect", "message": "Incorrect"}
    r = client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": ch.id, "submission": "　ｆｌａｇ｛ａｂｃ｝"},
        headers=h,
    )
    assert r.json()["data"]["status"] == "correct"


def test_not_started_is_refused_and_ended_is_practice(backend, client, make, ctx):
    user, _team = make.player_in_team()
    ch = make.challenge()
    h = auth(make.token(user))
    now = ctx.now()
    event.update_event(ctx, {"start_at": now + timedelta(hours=1), "end_at": now + timedelta(hours=2)})
    r = client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": "flag{test}"}, headers=h
    )
    assert r.status_code == 403
    assert r.json()["message"] == "The event has not started yet."
    event.update_event(ctx, {"start_at": now - timedelta(hours=2), "end_at": now - timedelta(hours=1)})
    r = client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": "flag{test}"}, headers=h
    )
    # After the end an answer is practice (kizuna.services.practice): answered, never scored.
    assert r.status_code == 200
    practised = {"status": "correct", "message": "Correct (practice — not scored)", "practice": True}
    assert r.json()["data"] == practised


def test_paused_rate_limited_and_max_attempts(backend, client, make, ctx):
    user, _team = make.player_in_team()
    ch = make.challenge(max_attempts=2)
    h = auth(make.token(user))
    event.update_event(ctx, {"paused": True})
    r = client.post("/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": "x"}, headers=h)
    assert (r.status_code, r.json()["data"]["status"]) == (403, "paused")
    event.update_event(ctx, {"paused": False})
    r = client.post("/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": "x"}, headers=h)
    assert r.json()["data"]["message"] == "Incorrect. You have 1 try remaining."
    client.post("/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": "y"}, headers=h)
    r = client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": "flag{test}"}, headers=h
    )
    assert (r.status_code, r.json()["data"]["status"]) == (403, "ratelimited")
    other = make.challenge()
    for i in range(ctx.attempt_rate_limit):
        client.post(
            "/api/v1/challenges/attempt", json={"challenge_id": other.id, "submission": f"w{i}"}, headers=h
        )
    r = client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": other.id, "submission": "flag{test}"}, headers=h
    )
    assert (r.status_code, r.json()["data"]["status"]) == (429, "ratelimited")


def test_hidden_challenge_is_not_found_for_players(backend, client, make):
    user, _team = make.player_in_team()
    ch = make.challenge(state="hidden")
    h = auth(make.token(user))
    r = client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": "flag{test}"}, headers=h
    )
    assert r.status_code == 404
    assert all(c["id"] != ch.id for c in client.get("/api/v1/challenges", headers=h).json()["data"])


def test_player_without_team_is_refused(client, make):
    user = make.user()
    ch = make.challenge()
    r = client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": ch.id, "submission": "flag{test}"},
        headers=auth(make.token(user)),
    )
    assert r.status_code == 403
    assert r.json()["message"] == "You need to join or create a team first."


def test_japanese_error_message(client, make):
    user = make.user()
    ch = make.challenge()
    headers = {**auth(make.token(user)), "Accept-Language": "ja"}
    r = client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": "x"}, headers=headers
    )
    assert r.status_code == 403
    assert "チーム" in r.json()["message"]
