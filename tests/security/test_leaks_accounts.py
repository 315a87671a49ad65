"""Hidden and banned accounts look exactly like missing ones; staff do not join teams.

A hidden (or banned) team or user — and a member of a hidden team — answers every public account
route with the very answer of an id that does not exist, to visitors, players and the account's own
members alike (as on CTFd; they keep ``/teams/me`` and ``/users/me``). Staff who watch the rosters
still see them. Staff do not play, so a staff account cannot create or join a team, nor be put in one.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.services import accounts, teams
from kizuna.storage import tables as t
from kizuna.storage.db import SCOREBOARD
from tests.conftest import auth, login, record_solve

MISSING = 987654
TEAM_ROUTES = (
    "/api/v1/teams/{}",
    "/api/v1/teams/{}/solves",
    "/api/v1/teams/{}/fails",
    "/api/v1/teams/{}/awards",
)
USER_ROUTES = (
    "/api/v1/users/{}",
    "/api/v1/users/{}/solves",
    "/api/v1/users/{}/fails",
    "/api/v1/users/{}/awards",
)


def _norm(r: Any, url: str) -> tuple[int, str]:
    return r.status_code, re.sub(r'nonce="[^"]*"', "nonce", r.text.replace(url, "URL"))


def _as_missing(client: TestClient, pattern: str, ident: int) -> None:
    url, missing = pattern.format(ident), pattern.format(MISSING)
    a, b = client.get(url), client.get(missing)
    assert a.status_code == 404, (url, a.status_code)
    assert _norm(a, url) == _norm(b, missing), url


@pytest.fixture
def shadow(ctx: Any, make: Any) -> dict[str, Any]:
    make.user("marsha", role="marshal")
    make.player_in_team("bystander", "Bystanders")
    member, team = make.player_in_team("shadowmember", "Shadow Team")
    ch = make.challenge(name="Open door")
    with ctx.write() as uow:
        record_solve(uow, ch.id, member, team.id, ctx.now())
        uow.bump(SCOREBOARD)
    teams.update_team(ctx, team.id, {"hidden": True}, 0, True)
    return {"member": member, "team": team}


def test_a_hidden_team_and_its_members_answer_as_missing(app, shadow):
    team, member = shadow["team"], shadow["member"]
    with TestClient(app) as visitor, TestClient(app) as player, TestClient(app) as own:
        login(player, "bystander")
        login(own, "shadowmember")
        for client in (visitor, player, own):
            for pattern in TEAM_ROUTES:
                _as_missing(client, pattern, team.id)
            for pattern in (*USER_ROUTES, "/users/{}"):
                _as_missing(client, pattern, member.id)
            _as_missing(client, "/teams/{}", team.id)
            for listing in (
                "/api/v1/teams",
                "/api/v1/users",
                "/teams",
                "/users",
                "/api/v1/scoreboard",
                "/scoreboard",
            ):
                text = client.get(listing).text
                assert "Shadow Team" not in text and "shadowmember" not in text, listing
        # Its own members still have their team and account.
        assert own.get("/api/v1/teams/me").json()["data"]["name"] == "Shadow Team"
        assert own.get("/api/v1/users/me").json()["data"]["name"] == "shadowmember"
        assert "Shadow Team" in own.get("/team").text
    with TestClient(app) as marshal:
        login(marshal, "marsha")
        assert marshal.get(f"/api/v1/teams/{team.id}").json()["data"]["hidden"] is True
        assert marshal.get(f"/api/v1/teams/{team.id}/members").json()["data"] == [member.id]
        assert marshal.get(f"/api/v1/users/{member.id}").status_code == 200
        assert "Shadow Team" in marshal.get(f"/teams/{team.id}").text


def test_a_banned_or_hidden_user_answers_as_missing(app, ctx, make):
    make.user("someone")
    hidden, banned = make.user("hiddenone"), make.user("bannedone")
    accounts.update_user(ctx, hidden.id, {"hidden": True})
    accounts.update_user(ctx, banned.id, {"banned": True})
    with TestClient(app) as visitor, TestClient(app) as player, TestClient(app) as themself:
        login(player, "someone")
        login(themself, "hiddenone")
        for client in (visitor, player, themself):
            for user in (hidden, banned):
                for pattern in (*USER_ROUTES, "/users/{}"):
                    _as_missing(client, pattern, user.id)
        assert themself.get("/api/v1/users/me").json()["data"]["hidden"] is True


def test_staff_cannot_create_or_join_a_team(app, ctx, make):
    captain, team = make.player_in_team("captain", "Open Team")
    boss = make.admin("boss")
    for role in ("admin", "judge", "marshal", "author"):
        staff = make.user(f"{role}person", role=role)
        with pytest.raises(DomainError) as refused:
            teams.create_team(ctx, f"{role} team", staff.id)
        assert refused.value.code is ErrorCode.STAFF_NO_TEAM and refused.value.status == 403
        with pytest.raises(DomainError) as refused:
            teams.join_team(ctx, staff.id, team.invite_code)
        assert refused.value.code is ErrorCode.STAFF_NO_TEAM
    judge = make.user("judgetwo", role="judge")
    headers = auth(make.token(boss))
    with TestClient(app) as api:
        r = api.post(f"/api/v1/teams/{team.id}/members", json={"user_id": judge.id}, headers=headers)
        assert r.status_code == 403
        assert "Staff do not play" in r.text
        r = api.post(
            f"/api/v1/teams/{team.id}/members",
            json={"user_id": judge.id},
            headers={**headers, "Accept-Language": "ja"},
        )
        assert "スタッフは競技に参加しない" in r.text
    with TestClient(app) as page:
        login(page, "judgetwo")
        form = page.get("/teams/new").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf
        r = page.post("/teams/new", data={"name": "Judges", "csrf_token": csrf.group(1)})
        assert r.status_code == 403 and "Staff do not play" in r.text
        form = page.get("/teams/join").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf
        r = page.post("/teams/join", data={"code": team.invite_code, "csrf_token": csrf.group(1)})
        assert r.status_code == 403 and "Staff do not play" in r.text
    with ctx.db.read() as s:
        assert all(u.team_id is None for u in s.query(t.User).filter(t.User.role != "player"))
    # Players still can.
    newcomer = make.user("newcomer")
    assert teams.join_team(ctx, newcomer.id, team.invite_code).id == team.id
    assert captain.id != newcomer.id
