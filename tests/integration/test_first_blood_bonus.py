"""The optional first-blood bonus (issue 11): an event setting, off by default, that gives extra points
to the first, second and third scoring solve of each challenge — counted in the scoreboard, the top-N
graph's data and the account pages, ranked accounts and scoring challenges only, in order of date
then solve id, and shown on the board."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kizuna.services import content, event, moderation
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import tables as t
from tests.conftest import Factory, auth, login
from tests.integration.test_scoreboard import T0, Clock, attempt, board
from tests.web.test_pages_player import csrf


@pytest.fixture
def clock(ctx: Context) -> Clock:
    c = Clock(T0)
    ctx.now = c  # type: ignore[method-assign]
    event.update_event(ctx, {"start_at": T0 - timedelta(hours=1), "end_at": T0 + timedelta(days=1)})
    return c


def graph_totals(client: Any, token: str | None = None) -> dict[str, int]:
    top = client.get("/api/v1/scoreboard/top/10", headers=auth(token) if token else {}).json()["data"]
    return {entry["name"]: sum(s["value"] for s in entry["solves"]) for entry in top.values()}


def solve_in_turn(
    client: Any, make: Factory, clock: Clock, names: list[str], challenge: Any
) -> dict[str, str]:
    tokens = {}
    for i, name in enumerate(names):
        user, _team = make.player_in_team(team_name=name)
        tokens[name] = make.token(user)
        clock.at = T0 + timedelta(minutes=1 + i)
        assert attempt(client, tokens[name], challenge.id) == "correct"
    return tokens


def test_off_by_default_then_counted_everywhere(
    backend: str, client: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    admin = make.token(make.admin())
    ch = make.challenge(value=100)
    tokens = solve_in_turn(client, make, clock, ["Alpha", "Bravo", "Charlie", "Delta"], ch)
    assert client.get("/api/v1/event").json()["data"]["first_blood_bonus"] is None
    assert board(client) == [("Alpha", 100), ("Bravo", 100), ("Charlie", 100), ("Delta", 100)]

    r = client.patch("/api/v1/event", json={"first_blood_bonus": [30, 20, 10]}, headers=auth(admin))
    assert r.status_code == 200 and r.json()["data"]["first_blood_bonus"] == [30, 20, 10]
    expected = [("Alpha", 130), ("Bravo", 120), ("Charlie", 110), ("Delta", 100)]
    assert board(client) == expected
    # The graph's data ends at the score; members' scores include the bonus of their own solves.
    assert graph_totals(client) == dict(expected)
    rows = client.get("/api/v1/scoreboard").json()["data"]
    assert [m["score"] for m in rows[0]["members"]] == [130]
    # The account's own page (the API's view of its team).
    me = client.get("/api/v1/teams/me", headers=auth(tokens["Alpha"])).json()["data"]
    assert (me["score"], me["place"]) == (130, 1)

    # Off again: scores go back.
    client.patch("/api/v1/event", json={"first_blood_bonus": None}, headers=auth(admin))
    assert board(client) == [("Alpha", 100), ("Bravo", 100), ("Charlie", 100), ("Delta", 100)]
    assert graph_totals(client)["Alpha"] == 100


def test_only_ranked_accounts_and_scoring_challenges_take_a_rank(
    backend: str, client: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    event.update_event(ctx, {"first_blood_bonus": [50, 5]})  # fewer than three: the rest are 0
    ch = make.challenge(value=100)
    solve_in_turn(client, make, clock, ["Hidden First", "Second", "Third"], ch)
    with ctx.db.read() as s:
        hidden = s.query(t.Team).filter(t.Team.name == "Hidden First").one()
    boss = make.admin()
    moderation.hide_account(ctx, Principal(boss.id, boss.name, "admin", None), "team", hidden.id, True)
    # The hidden team is off the board and takes no rank: the bonus goes to the next ones.
    assert board(client) == [("Second", 150), ("Third", 105)]
    # A hidden challenge's solves score nothing, bonus included.
    client.patch(
        f"/api/v1/challenges/{ch.id}", json={"state": "hidden"}, headers=auth(make.token(make.admin()))
    )
    assert board(client) == [("Second", 0), ("Third", 0)]


def test_the_freeze_and_the_order_of_equal_times(
    backend: str, client: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    event.update_event(ctx, {"first_blood_bonus": [30, 20, 10], "freeze_at": T0 + timedelta(minutes=2)})
    ch = make.challenge(value=100)
    users = [make.player_in_team(team_name=name)[0] for name in ("One", "Two", "Three")]
    tokens = [make.token(u) for u in users]
    # Two solves at the same instant: the lower solve id is first.
    clock.at = T0 + timedelta(minutes=1)
    assert attempt(client, tokens[0], ch.id) == "correct"
    assert attempt(client, tokens[1], ch.id) == "correct"
    clock.at = T0 + timedelta(minutes=3)  # after the freeze
    assert attempt(client, tokens[2], ch.id) == "correct"
    admin = make.token(make.admin())
    assert board(client, admin) == [("One", 130), ("Two", 120), ("Three", 110)]  # live
    # The public board is frozen: the third solve, after the freeze, is not on it, bonus included.
    assert board(client) == [("One", 130), ("Two", 120), ("Three", 0)]
    public_graph = graph_totals(client)
    assert public_graph["One"] == 130 and public_graph["Two"] == 120 and public_graph.get("Three", 0) == 0


def test_invalid_settings_are_refused(backend: str, client: Any, make: Factory, ctx: Context) -> None:
    admin = make.token(make.admin())
    for bad in ([1, 2, 3, 4], [-1], ["10"], "30", {"a": 1}, [True], [10**9]):
        r = client.patch("/api/v1/event", json={"first_blood_bonus": bad}, headers=auth(admin))
        assert r.status_code == 400, bad
        assert r.json()["success"] is False
    ja = client.patch(
        "/api/v1/event", json={"first_blood_bonus": [-1]}, headers={**auth(admin), "Accept-Language": "ja"}
    )
    assert ja.status_code == 400 and "first_blood_bonus" in ja.json()["errors"]
    assert client.get("/api/v1/event").json()["data"]["first_blood_bonus"] is None
    player = make.token(make.user())
    r = client.patch("/api/v1/event", json={"first_blood_bonus": [1, 1, 1]}, headers=auth(player))
    assert r.status_code == 403


def test_the_settings_page_and_the_board_show_the_bonus(
    client: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    make.admin("boss")
    ch = make.challenge(name="Bonus Round", value=100)
    login(client, "boss")
    page = client.get("/admin/event").text
    assert 'name="first_blood_bonus_1"' in page and 'name="first_blood_bonus_3"' in page
    form = {
        "csrf_token": csrf(client),
        "mode": "teams",
        "team_size_limit": "4",
        "default_locale": "en",
        "name_en": "Kizuna CTF",
        "first_blood_bonus_shown": "1",
        "first_blood_bonus_1": "25",
        "first_blood_bonus_2": "",
        "first_blood_bonus_3": "5",
    }
    r = client.post("/admin/event", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert event.get_event(ctx).first_blood_bonus == [25, 0, 5]
    bad = client.post(
        "/admin/event", data={**form, "first_blood_bonus_2": "lots", "csrf_token": csrf(client)}
    )
    assert bad.status_code == 400 and "Bonus for the second solve" in bad.text
    assert event.get_event(ctx).first_blood_bonus == [25, 0, 5]
    client.cookies.clear()
    make.player_in_team("pat")
    login(client, "pat")
    assert "+25 first blood bonus" in client.get("/challenges").text
    assert "+25, +0 and +5 points for the first three solves" in client.get(f"/challenges/{ch.id}").text
    ja = client.get(f"/challenges/{ch.id}?lang=ja").text
    assert "ファーストブラッド" in ja


def test_the_bonus_pays_for_hints_like_any_points(
    backend: str, client: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    free = make.challenge(name="Free", value=0)
    other = make.challenge(name="Other", value=100)
    hint = content.create_hint(ctx, other.id, "Look closer.", cost=20)
    user, _team = make.player_in_team(team_name="Solo")
    token = make.token(user)
    assert attempt(client, token, free.id) == "correct"
    unlock = {"target": hint.id, "type": "hints"}
    r = client.post("/api/v1/unlocks", json=unlock, headers=auth(token))
    assert r.status_code in (400, 403) and not r.json()["success"]  # 0 points: not enough
    event.update_event(ctx, {"first_blood_bonus": [30]})
    r = client.post("/api/v1/unlocks", json=unlock, headers=auth(token))
    assert r.status_code == 200, r.text
    assert board(client) == [("Solo", 10)]


def test_the_page_says_what_a_solve_earned_bonus_included(
    client: Any, make: Factory, ctx: Context, clock: Clock
) -> None:
    event.update_event(ctx, {"first_blood_bonus": [30, 20, 10]})
    ch = make.challenge(name="Page", value=100, flag="flag{page}")
    make.player_in_team("pat", "Pat's Team")
    login(client, "pat")
    r = client.post(
        f"/challenges/{ch.id}/attempt",
        data={"submission": "flag{page}", "csrf_token": csrf(client)},
        headers={"HX-Request": "true"},
    )
    assert "+130 points" in r.text and "first blood" in r.text
