"""The scoreboard shows no hidden challenge's points, and no hidden member of a visible team.

As on CTFd, only solves of visible challenges score: a hidden challenge's solve adds nothing to any
board (public or live) nor to the graph's data, so a score cannot tell that a hidden challenge exists
or who solved it. Showing the challenge again counts it again at once (the scoreboard revision is
bumped by the change). On both databases.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from kizuna.services import accounts, challenges, teams
from kizuna.storage.db import SCOREBOARD
from tests.conftest import login, record_solve


def _solve(ctx: Any, challenge_id: int, user: Any, team_id: int) -> None:
    with ctx.write() as uow:
        record_solve(uow, challenge_id, user, team_id, ctx.now())
        uow.bump(SCOREBOARD)


def _board(client: TestClient) -> dict[int, dict[str, Any]]:
    return {row["account_id"]: row for row in client.get("/api/v1/scoreboard").json()["data"]}


def test_hidden_challenges_score_nowhere_until_shown(backend, app, ctx, make):
    make.admin("boss")
    alice, team = make.player_in_team("alice", "Alices")
    visible = make.challenge(name="Open door", value=100)
    secret = make.challenge(name="Vault", value=300)
    _solve(ctx, visible.id, alice, team.id)
    _solve(ctx, secret.id, alice, team.id)
    challenges.update_challenge(ctx, secret.id, {"state": "hidden"})

    with TestClient(app) as visitor, TestClient(app) as boss, TestClient(app) as own:
        login(boss, "boss")
        login(own, "alice")
        for client in (visitor, boss, own):
            assert _board(client)[team.id]["score"] == 100
            graph = client.get("/api/v1/scoreboard/top/10").json()["data"]["1"]
            assert [x["challenge_id"] for x in graph["solves"]] == [visible.id]
            assert sum(x["value"] for x in graph["solves"]) == 100
        assert own.get(f"/api/v1/teams/{team.id}").json()["data"]["score"] == 100
        assert own.get("/api/v1/teams/me").json()["data"]["score"] == 100

        challenges.update_challenge(ctx, secret.id, {"state": "visible"})
        assert _board(visitor)[team.id]["score"] == 400
        assert _board(boss)[team.id]["score"] == 400


def test_a_visible_teams_hidden_or_banned_member_is_not_listed(backend, app, ctx, make):
    alice, team = make.player_in_team("alice", "Alices")
    quiet = make.user("quietmember")
    gone = make.user("bannedmember")
    teams.join_team(ctx, quiet.id, team.invite_code)
    teams.join_team(ctx, gone.id, team.invite_code)
    accounts.update_user(ctx, quiet.id, {"hidden": True})
    accounts.update_user(ctx, gone.id, {"banned": True})
    make.user("marsha", role="marshal")

    with TestClient(app) as visitor, TestClient(app) as marshal, TestClient(app) as own:
        login(marshal, "marsha")
        login(own, "alice")
        members = [m["name"] for m in _board(visitor)[team.id]["members"]]
        assert members == ["alice"]
        for page in ("/scoreboard", f"/teams/{team.id}", "/teams", "/users", "/api/v1/users"):
            text = visitor.get(page).text
            assert "quietmember" not in text and "bannedmember" not in text, page
        assert visitor.get(f"/api/v1/teams/{team.id}").json()["data"]["members"] == [alice.id]
        # Roster staff and the team's own members see everyone.
        assert "quietmember" in marshal.get(f"/teams/{team.id}").text
        everyone = {alice.id, quiet.id, gone.id}
        assert set(marshal.get(f"/api/v1/teams/{team.id}").json()["data"]["members"]) == everyone
        assert set(own.get("/api/v1/teams/me").json()["data"]["members"]) == everyone
