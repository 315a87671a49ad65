"""The solve matrix (issue 11): ranked accounts × challenges with first-blood marks, as a page and an
API, public under the scoreboard's rules (frozen for the public), built from snapshots; hidden and
scheduled challenges never appear, and a challenge locked for the reader is left out with its solves."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from typing import Any

from fastapi.testclient import TestClient

from kizuna.services import event
from tests.conftest import auth
from tests.web.test_board import Clock


def solve(client: TestClient, token: str, challenge_id: int, flag: str = "flag{test}") -> None:
    r = client.post(
        "/api/v1/challenges/attempt",
        json={"challenge_id": challenge_id, "submission": flag},
        headers=auth(token),
    )
    assert r.json()["data"]["status"] == "correct", r.text


def matrix(client: TestClient, token: str | None = None) -> dict[str, Any]:
    r = client.get("/api/v1/scoreboard/matrix", headers=auth(token) if token else {})
    assert r.status_code == 200, r.text
    assert r.json()["success"] is True
    return dict(r.json()["data"])


def test_the_matrix_lists_who_solved_what_with_first_bloods(
    backend: str, client: TestClient, ctx: Any, make: Any
) -> None:
    clock = Clock(ctx)
    (a, _ta), (b, _tb) = make.player_in_team(team_name="Alpha"), make.player_in_team(team_name="Bravo")
    ta, tb = make.token(a), make.token(b)
    one, two = make.challenge(name="One", value=100), make.challenge(name="Two", value=200, category="web")
    hidden = make.challenge(name="Hidden", state="hidden")
    later = make.challenge(
        name="Later", scheduled_at=(clock.now + timedelta(hours=1)).replace(tzinfo=UTC).isoformat()
    )
    solve(client, ta, one.id)
    clock.advance(seconds=1)
    solve(client, tb, one.id)
    solve(client, tb, two.id)
    data = matrix(client)
    assert data["challenges"] == [
        {"id": one.id, "name": "One", "category": "misc", "value": 100},
        {"id": two.id, "name": "Two", "category": "web", "value": 200},
    ]
    assert [(x["name"], x["pos"], x["score"], x["solves"]) for x in data["accounts"]] == [
        ("Bravo", 1, 300, [one.id, two.id]),
        ("Alpha", 2, 100, [one.id]),
    ]
    assert data["first_bloods"] == {str(one.id): _ta.id, str(two.id): _tb.id}
    # Hidden and scheduled challenges never appear, not even to admins.
    admin = make.token(make.admin())
    for token in (None, ta, admin):
        names = [c["name"] for c in matrix(client, token)["challenges"]]
        assert "Hidden" not in names and "Later" not in names
    assert hidden.id and later.id
    # Released: it appears by itself.
    clock.advance(hours=1)
    assert "Later" in [c["name"] for c in matrix(client)["challenges"]]


def test_the_public_matrix_is_frozen_with_the_scoreboard(
    backend: str, client: TestClient, ctx: Any, make: Any
) -> None:
    clock = Clock(ctx)
    (a, ta), (b, _tb) = make.player_in_team(team_name="Alpha"), make.player_in_team(team_name="Bravo")
    one = make.challenge(name="One")
    event.update_event(ctx, {"freeze_at": clock.now + timedelta(minutes=1)})
    solve(client, make.token(a), one.id)
    clock.advance(minutes=2)
    solve(client, make.token(b), one.id)
    public = matrix(client)
    assert {x["name"]: x["solves"] for x in public["accounts"]} == {"Alpha": [one.id], "Bravo": []}
    live = matrix(client, make.token(make.admin()))
    assert {x["name"]: x["solves"] for x in live["accounts"]} == {"Alpha": [one.id], "Bravo": [one.id]}
    assert public["first_bloods"] == {str(one.id): ta.id}


def test_locked_challenges_and_the_time_before_the_start(client: TestClient, ctx: Any, make: Any) -> None:
    clock = Clock(ctx)
    (a, _ta), (b, _tb) = make.player_in_team(team_name="Alpha"), make.player_in_team(team_name="Bravo")
    first = make.challenge(name="First")
    locked = make.challenge(name="Locked Secret", requirements={"prerequisites": [first.id]})
    solve(client, make.token(a), first.id)
    solve(client, make.token(a), locked.id)
    # A visitor and a player who has not solved the prerequisite: no trace of it.
    for token in (None, make.token(b)):
        data = matrix(client, token)
        assert [c["name"] for c in data["challenges"]] == ["First"]
        assert all(locked.id not in x["solves"] for x in data["accounts"])
        assert str(locked.id) not in data["first_bloods"]
    page = client.get("/scoreboard/matrix").text
    assert "Locked Secret" not in page
    # The player whose team solved the prerequisite sees it.
    assert "Locked Secret" in [c["name"] for c in matrix(client, make.token(a))["challenges"]]
    # Before the start nobody but staff who see every challenge sees any challenge.
    event.update_event(ctx, {"start_at": clock.now + timedelta(hours=1)})
    assert matrix(client)["challenges"] == []
    assert matrix(client, make.token(a))["challenges"] == []
    assert len(matrix(client, make.token(make.admin()))["challenges"]) == 2


def test_the_matrix_is_a_snapshot(client: TestClient, app: Any, ctx: Any, make: Any) -> None:
    user, _team = make.player_in_team()
    one = make.challenge(name="One")
    matrix(client)
    snaps = app.state.snapshots
    state = snaps.state()
    first = snaps.matrix(False, "en", ["en"], state)
    assert snaps.matrix(False, "en", ["en"], snaps.state()) is first  # nothing changed: the same
    solve(client, make.token(user), one.id)
    assert snaps.matrix(False, "en", ["en"], snaps.state()) is not first  # a solve: rebuilt


def test_the_page_is_an_accessible_table_in_its_own_scrolling_box(
    client: TestClient, ctx: Any, make: Any
) -> None:
    (a, _ta) = make.player_in_team(team_name="Alpha")
    assert 'class="empty-state"' in client.get("/scoreboard/matrix").text  # no challenge yet
    one = make.challenge(name="One", translations={"ja": {"name": "いち"}})
    make.challenge(name="Two")
    solve(client, make.token(a), one.id)
    page = client.get("/scoreboard/matrix")
    assert page.status_code == 200
    html = page.text
    assert re.search(
        r'<div class="matrix-scroll" role="region" aria-labelledby="matrix-caption" tabindex="0">', html
    )
    assert '<caption id="matrix-caption" class="visually-hidden">' in html
    assert html.count('<th scope="col"') == 4  # rank, team, two challenges
    assert '<th scope="row"><a href="/teams/' in html
    assert "First blood" in html and "Not solved" in html
    assert 'style="' not in html  # CSP: no inline styles
    ja = client.get("/scoreboard/matrix?lang=ja").text
    assert "正解状況表" in ja and "いち" in ja
    assert '<a href="/scoreboard/matrix">' in client.get("/scoreboard").text
