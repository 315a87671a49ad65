"""Users, teams, tokens, awards, submissions and notifications through the API."""

from __future__ import annotations

from datetime import timedelta

from kizuna.services import event, teams
from kizuna.storage import tables as t
from tests.conftest import PASSWORD, auth


def _attempt(client, headers, challenge_id, text):
    return client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": challenge_id, "submission": text}, headers=headers
    )


def test_tokens_show_value_once_and_expire(backend, client, make, ctx):
    user = make.user()
    h = auth(make.token(user))
    made = client.post("/api/v1/tokens", json={"description": "ci"}, headers=h).json()["data"]
    assert made["value"].startswith("kzn_")
    listed = client.get("/api/v1/tokens", headers=h).json()["data"]
    assert all("value" not in x and "digest" not in x for x in listed) and len(listed) == 2
    assert client.get("/api/v1/users/me", headers=auth(made["value"])).json()["data"]["id"] == user.id
    other = auth(make.token(make.user()))
    assert client.get(f"/api/v1/tokens/{made['id']}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/tokens/{made['id']}", headers=h).status_code == 200
    r = client.get("/api/v1/users/me", headers=auth(made["value"]))
    assert (r.status_code, r.json()["message"]) == (401, "Your access token is invalid.")
    bad = client.post("/api/v1/tokens", json={"expiration": "2001-01-01"}, headers=h)
    assert bad.status_code == 400 and "expiration" in bad.json()["errors"]
    with ctx.db.write() as s:
        tok = s.query(t.Token).filter(t.Token.user_id == user.id).first()
        tok.expires_at = ctx.now() - timedelta(days=1)
    assert client.get("/api/v1/users/me", headers=h).json()["message"] == "Your access token has expired."


def test_users_listing_hides_private_fields_and_moderated_accounts(backend, client, make):
    admin = auth(make.token(make.admin()))
    a = make.user("alice", email="alice@example.org")
    b = make.user("bob")
    p = auth(make.token(b))
    r = client.get("/api/v1/users", headers=p).json()
    assert r["meta"]["pagination"]["total"] >= 2
    alice = next(u for u in r["data"] if u["id"] == a.id)
    assert "email" not in alice and "banned" not in alice
    assert client.patch(f"/api/v1/users/{a.id}", json={"banned": True}, headers=p).status_code == 403
    assert client.patch(f"/api/v1/users/{a.id}", json={"banned": True}, headers=admin).status_code == 200
    assert client.get(f"/api/v1/users/{a.id}", headers=p).status_code == 404
    assert client.get(f"/api/v1/users/{a.id}", headers=admin).json()["data"]["email"] == "alice@example.org"
    dup = client.post("/api/v1/users", json={"name": "ＢＯＢ", "password": PASSWORD}, headers=admin)
    assert dup.status_code == 400 and dup.json()["errors"]["name"] == ["That name is already taken."]
    made = client.post(
        "/api/v1/users", json={"name": "carol", "password": PASSWORD, "type": "admin"}, headers=admin
    ).json()["data"]
    assert made["type"] == "admin"


def test_me_password_change_needs_current_password(client, make):
    user = make.user()
    h = auth(make.token(user))
    r = client.patch("/api/v1/users/me", json={"password": "another-password", "confirm": "wrong"}, headers=h)
    assert r.status_code == 400 and "password" in r.json()["errors"]
    r = client.patch(
        "/api/v1/users/me",
        json={"password": "another-password", "confirm": PASSWORD, "locale": "ja"},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["data"]["language"] == "ja"


def test_teams_invite_code_only_for_members_and_captain_actions(backend, client, make):
    captain, team = make.player_in_team("cap", "Red")
    outsider = make.user()
    mine = client.get("/api/v1/teams/me", headers=auth(make.token(captain))).json()["data"]
    assert mine["invite_code"] == team.invite_code and mine["captain_id"] == captain.id
    public = client.get(f"/api/v1/teams/{team.id}", headers=auth(make.token(outsider))).json()["data"]
    assert "invite_code" not in public
    code = client.post("/api/v1/teams/me/members", headers=auth(make.token(captain))).json()["data"]["code"]
    assert code != team.invite_code
    member = make.user()
    teams.join_team(make.ctx, member.id, code)
    r = client.post("/api/v1/teams/me/members", headers=auth(make.token(member)))
    assert r.status_code == 403
    r = client.delete("/api/v1/teams/me", headers=auth(make.token(captain)))
    assert r.status_code == 403  # not alone
    assert client.get("/api/v1/teams/me", headers=auth(make.token(outsider))).status_code == 403


def test_banned_team_leaves_the_scoreboard_and_cannot_submit(backend, client, make):
    admin = auth(make.token(make.admin()))
    user, team = make.player_in_team()
    ch = make.challenge(value=100)
    h = auth(make.token(user))
    assert _attempt(client, h, ch.id, "flag{test}").json()["data"]["status"] == "correct"
    assert [r["account_id"] for r in client.get("/api/v1/scoreboard").json()["data"]] == [team.id]
    client.patch(f"/api/v1/teams/{team.id}", json={"banned": True}, headers=admin)
    assert client.get("/api/v1/scoreboard").json()["data"] == []
    assert _attempt(client, h, make.challenge().id, "flag{test}").status_code == 403


def test_awards_count_including_penalties(backend, client, make):
    admin = auth(make.token(make.admin()))
    user, team = make.player_in_team()
    r = client.post(
        "/api/v1/awards", json={"team_id": team.id, "name": "Helping", "value": 30}, headers=admin
    )
    assert r.status_code == 200, r.text
    client.post("/api/v1/awards", json={"user_id": user.id, "name": "Penalty", "value": -10}, headers=admin)
    assert client.get("/api/v1/scoreboard").json()["data"][0]["score"] == 20
    awards = client.get(f"/api/v1/awards?team_id={team.id}", headers=admin).json()["data"]
    assert sorted(a["value"] for a in awards) == [-10, 30]
    assert (
        client.post(
            "/api/v1/awards", json={"team_id": team.id, "name": "x", "value": "lots"}, headers=admin
        ).status_code
        == 400
    )
    assert client.get("/api/v1/awards", headers=auth(make.token(user))).status_code == 403
    client.delete(f"/api/v1/awards/{awards[0]['id']}", headers=admin)
    assert len(client.get("/api/v1/awards", headers=admin).json()["data"]) == 1


def test_submissions_are_admin_only_and_marking_changes_solves(backend, client, make):
    admin = auth(make.token(make.admin()))
    user, _team = make.player_in_team()
    ch = make.challenge(value=100)
    h = auth(make.token(user))
    _attempt(client, h, ch.id, "almost")
    assert client.get("/api/v1/submissions", headers=h).status_code == 403
    subs = client.get("/api/v1/submissions", headers=admin).json()
    assert subs["meta"]["pagination"]["total"] == 1
    sub = subs["data"][0]
    assert (sub["provided"], sub["type"], sub["challenge"]["name"]) == ("almost", "incorrect", ch.name)
    client.patch(f"/api/v1/submissions/{sub['id']}", json={"type": "correct"}, headers=admin)
    assert client.get("/api/v1/scoreboard").json()["data"][0]["score"] == 100
    assert (
        client.patch(f"/api/v1/submissions/{sub['id']}", json={"type": "maybe"}, headers=admin).status_code
        == 400
    )
    client.delete(f"/api/v1/submissions/{sub['id']}", headers=admin)
    assert client.get("/api/v1/scoreboard").json()["data"][0]["score"] == 0


def test_other_accounts_fails_are_only_counted(client, make):
    user, team = make.player_in_team()
    ch = make.challenge()
    _attempt(client, auth(make.token(user)), ch.id, "secret-guess")
    other = auth(make.token(make.user()))
    r = client.get(f"/api/v1/teams/{team.id}/fails", headers=other).json()
    assert r["data"] == [] and r["meta"]["count"] == 1
    mine = client.get("/api/v1/teams/me/fails", headers=auth(make.token(user))).json()
    assert len(mine["data"]) == 1


def test_notifications(backend, client, make, ctx):
    admin = auth(make.token(make.admin()))
    heard = []
    ctx.bus.subscribe(heard.append)
    r = client.post(
        "/api/v1/notifications", json={"title": "Hint", "content": "Check **port 80**"}, headers=admin
    )
    n = r.json()["data"]
    assert "<strong>port 80</strong>" in n["html"]
    assert [(e["type"], e["data"]) for e in heard if e["type"] == "announcement"] == [
        ("announcement", {"notification_id": n["id"]})
    ]
    assert client.get("/api/v1/notifications").json()["data"][0]["id"] == n["id"]
    assert client.head("/api/v1/notifications").headers["Result-Count"] == "1"
    assert client.get(f"/api/v1/notifications?since_id={n['id']}").json()["data"] == []
    player = auth(make.token(make.user()))
    assert (
        client.post("/api/v1/notifications", json={"title": "x", "content": "y"}, headers=player).status_code
        == 403
    )
    assert (
        client.post("/api/v1/notifications", json={"title": "", "content": "y"}, headers=admin).status_code
        == 400
    )


def test_individual_mode_refuses_team_creation(client, make, ctx):
    event.update_event(ctx, {"mode": "users"})
    admin = auth(make.token(make.admin()))
    r = client.post("/api/v1/teams", json={"name": "Nope"}, headers=admin)
    assert r.status_code == 400


def test_event_settings_api(backend, client, make):
    admin = auth(make.token(make.admin()))
    player = auth(make.token(make.user()))
    assert client.get("/api/v1/event").json()["data"]["phase"] == "running"
    assert client.patch("/api/v1/event", json={"paused": True}, headers=player).status_code == 403
    r = client.patch(
        "/api/v1/event", json={"start_at": "2030-01-01T09:00:00+09:00", "paused": False}, headers=admin
    )
    assert r.json()["data"]["start_at"] == "2030-01-01T00:00:00Z"
    assert r.json()["data"]["phase"] == "not_started"
    bad = client.patch("/api/v1/event", json={"end_at": "2029-01-01T00:00:00Z"}, headers=admin)
    assert bad.status_code == 400 and "end_at" in bad.json()["errors"]
    assert client.get("/api/v1/event").json()["data"]["end_at"] is None  # nothing stored changed
