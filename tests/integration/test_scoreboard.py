"""The scoreboard through the API: order, freeze, the top-N shape, ETags and snapshot freshness."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from kizuna.services import awards, event
from kizuna.services.context import Context
from tests.conftest import Factory, auth

T0 = datetime(2026, 3, 1, 9, 0, 0)


class Clock:
    """A settable ``ctx.now`` so solves happen at chosen instants."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock(ctx: Context) -> Clock:
    c = Clock(T0)
    ctx.now = c
    event.update_event(ctx, {"start_at": T0 - timedelta(hours=1), "end_at": T0 + timedelta(days=1)})
    return c


def attempt(client: Any, token: str, challenge_id: int, flag: str = "flag{test}") -> str:
    r = client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": challenge_id, "submission": flag},
        headers=auth(token),
    )
    assert r.status_code == 200, r.text
    return str(r.json()["data"]["status"])


def board(client: Any, token: str | None = None) -> list[tuple[str, int]]:
    r = client.get("/api/v1/scoreboard", headers=auth(token) if token else {})
    assert r.status_code == 200
    return [(row["name"], row["score"]) for row in r.json()["data"]]


def test_ties_are_broken_by_who_got_there_first(
    backend: str, client: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    early_user, _ = make.player_in_team(team_name="Registered First")
    late_user, _ = make.player_in_team(team_name="Registered Second")
    never_user, _ = make.player_in_team(team_name="Never Scored")
    one, two = make.challenge(value=100), make.challenge(value=100)
    tokens = {u.name: make.token(u) for u in (early_user, late_user, never_user)}

    clock.at = T0 + timedelta(minutes=1)
    assert attempt(client, tokens[late_user.name], one.id) == "correct"
    clock.at = T0 + timedelta(minutes=2)
    assert attempt(client, tokens[early_user.name], one.id) == "correct"
    # Same score: the team that reached 100 first ranks first, despite registering later.
    assert board(client) == [("Registered Second", 100), ("Registered First", 100), ("Never Scored", 0)]

    clock.at = T0 + timedelta(minutes=3)
    assert attempt(client, tokens[early_user.name], two.id) == "correct"
    clock.at = T0 + timedelta(minutes=4)
    assert attempt(client, tokens[late_user.name], two.id) == "correct"
    assert board(client) == [("Registered First", 200), ("Registered Second", 200), ("Never Scored", 0)]
    rows = client.get("/api/v1/scoreboard").json()["data"]
    assert [r["pos"] for r in rows] == [1, 2, 3]
    assert rows[0]["last_scored_at"] == "2026-03-01T09:03:00Z"
    assert rows[2]["last_scored_at"] is None


def test_freeze_stops_the_public_board_but_not_admins_or_the_players_own_view(
    backend: str, client: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    before_user, _ = make.player_in_team(team_name="Before Freeze")
    after_user, _ = make.player_in_team(team_name="After Freeze")
    admin_token = make.token(make.admin())
    before_token, after_token = make.token(before_user), make.token(after_user)
    ch = make.challenge(value=100)

    clock.at = T0 + timedelta(minutes=5)
    assert attempt(client, before_token, ch.id) == "correct"
    event.update_event(ctx, {"freeze_at": T0 + timedelta(minutes=10)})
    clock.at = T0 + timedelta(minutes=20)
    frozen = client.get("/api/v1/scoreboard")
    frozen_top = client.get("/api/v1/scoreboard/top/10")

    assert attempt(client, after_token, ch.id) == "correct"

    # The public board, and a player's, did not move: same bytes, same ETag.
    again = client.get("/api/v1/scoreboard")
    assert again.content == frozen.content
    assert again.headers["etag"] == frozen.headers["etag"]
    assert client.get("/api/v1/scoreboard/top/10").content == frozen_top.content
    assert board(client) == [("Before Freeze", 100), ("After Freeze", 0)]
    assert board(client, before_token) == [("Before Freeze", 100), ("After Freeze", 0)]
    # Admins see the live board.
    assert board(client, admin_token) == [("Before Freeze", 100), ("After Freeze", 100)]
    live_top = client.get("/api/v1/scoreboard/top/10", headers=auth(admin_token)).json()["data"]
    assert live_top["2"]["score"] == 100
    # The solver sees their own solve, while public solve counts stay frozen.
    mine = client.get("/api/v1/challenges", headers=auth(after_token)).json()["data"]
    assert [(c["id"], c["solved_by_me"], c["solves"]) for c in mine] == [(ch.id, True, 1)]
    detail = client.get(f"/api/v1/challenges/{ch.id}", headers=auth(after_token)).json()["data"]
    assert detail["solved_by_me"] is True
    admin_list = client.get("/api/v1/challenges", headers=auth(admin_token)).json()["data"]
    assert [c["solves"] for c in admin_list if c["id"] == ch.id] == [2]

    # Lifting the freeze publishes everything at once.
    event.update_event(ctx, {"freeze_at": None})
    assert board(client) == [("Before Freeze", 100), ("After Freeze", 100)]


def test_top_ten_shape(backend: str, client: Any, make: Factory, ctx: Context, clock: Clock) -> None:
    players = [make.player_in_team(team_name=f"Team {i}") for i in range(12)]
    chs = [make.challenge(value=100), make.challenge(value=50)]
    for i, (user, _team) in enumerate(players):
        clock.at = T0 + timedelta(minutes=i)
        token = make.token(user)
        attempt(client, token, chs[0].id)
        if i < 3:
            attempt(client, token, chs[1].id)
    first_user, first_team = players[0]
    clock.at = T0 + timedelta(hours=1)
    awards.grant_award(ctx, "Best write-up", 30, team_id=first_team.id)

    r = client.get("/api/v1/scoreboard/top/10")
    assert r.status_code == 200
    data = r.json()["data"]
    assert list(data) == [str(i) for i in range(1, 11)]
    top = data["1"]
    assert set(top) == {"id", "account_url", "name", "score", "bracket_id", "bracket_name", "solves"}
    assert (top["id"], top["name"], top["score"]) == (first_team.id, "Team 0", 180)
    assert top["account_url"] == f"/teams/{first_team.id}"
    assert [s["challenge_id"] for s in top["solves"]] == [chs[0].id, chs[1].id, None]
    award = top["solves"][-1]
    assert award == {
        "challenge_id": None,
        "account_id": first_team.id,
        "team_id": first_team.id,
        "user_id": None,
        "value": 30,
        "date": "2026-03-01T10:00:00Z",
    }
    solve = top["solves"][0]
    assert set(solve) == {"challenge_id", "account_id", "team_id", "user_id", "value", "date"}
    assert (solve["user_id"], solve["value"], solve["date"]) == (first_user.id, 100, "2026-03-01T09:00:00Z")
    assert [data[str(i)]["score"] for i in range(1, 11)] == [180, 150, 150] + [100] * 7

    assert len(client.get("/api/v1/scoreboard/top/500").json()["data"]) == 12  # clamped to 50
    assert list(client.get("/api/v1/scoreboard/top/0").json()["data"]) == ["1"]  # clamped to 1


def test_etag_and_not_modified(backend: str, client: Any, make: Factory) -> None:
    user, _ = make.player_in_team()
    ch = make.challenge(value=100)
    for path in ("/api/v1/scoreboard", "/api/v1/scoreboard/top/10"):
        first = client.get(path)
        etag = first.headers["etag"]
        assert etag.startswith('"') and etag.endswith('"')
        repeat = client.get(path, headers={"If-None-Match": etag})
        assert repeat.status_code == 304
        assert repeat.content == b""
        assert repeat.headers["etag"] == etag
    etag = client.get("/api/v1/scoreboard").headers["etag"]
    assert attempt(client, make.token(user), ch.id) == "correct"
    changed = client.get("/api/v1/scoreboard", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


def test_a_solve_changes_the_scoreboard_immediately(backend: str, client: Any, make: Factory) -> None:
    users = [make.player_in_team(team_name=f"Solver {i}")[0] for i in range(3)]
    chs = [make.challenge(value=v) for v in (100, 200, 300)]
    tokens = [make.token(u) for u in users]
    expected = {f"Solver {i}": 0 for i in range(3)}
    for i, (token, ch) in enumerate(zip(tokens, chs, strict=True)):
        assert dict(board(client)) == expected  # snapshot built and cached
        assert attempt(client, token, ch.id) == "correct"
        expected[f"Solver {i}"] = ch.value
        assert dict(board(client)) == expected  # not the cached one
        top = client.get("/api/v1/scoreboard/top/10").json()["data"]
        assert top["1"]["score"] == ch.value


def test_dynamic_value_is_retroactive_on_the_board(backend: str, client: Any, make: Factory) -> None:
    ch = make.challenge(type="dynamic", function="linear", initial=500, minimum=100, decay=50)
    tokens = [make.token(make.player_in_team(team_name=f"Dyn {i}")[0]) for i in range(3)]
    for n, token in enumerate(tokens, start=1):
        attempt(client, token, ch.id)
        scores = dict(board(client))
        # Every solver so far holds the current value; the others have nothing yet.
        assert [scores[f"Dyn {i}"] for i in range(3)] == [500 - 50 * (n - 1)] * n + [0] * (3 - n)
    listing = client.get("/api/v1/challenges", headers=auth(tokens[0])).json()["data"]
    assert [(c["value"], c["solves"]) for c in listing] == [(400, 3)]


@pytest.mark.timeout(30)
def test_top_requested_before_the_scoreboard_after_a_change(backend: str, client: Any, make: Factory) -> None:
    """Building "top" builds the scoreboard snapshot inside the same lock: it must not deadlock."""
    user, team = make.player_in_team()
    ch = make.challenge(value=70)
    assert attempt(client, make.token(user), ch.id) == "correct"
    top = client.get("/api/v1/scoreboard/top/1").json()["data"]
    assert (top["1"]["id"], top["1"]["score"]) == (team.id, 70)
    assert client.get("/api/v1/scoreboard").json()["data"][0]["score"] == 70
