"""Staff roles end to end: roles as data in the API (CTFd's ``type`` kept, ``role`` additive and
changed only by admins, audited), what each role may do and what its pages show, and staff never
scoring. The route × role matrix (tests/meta/test_policy_matrix.py) checks every route's gate; these
tests check the finer rules inside the routes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.domain.errors import DomainError
from kizuna.services import accounts, event, submissions
from kizuna.services.accounts import Principal
from kizuna.storage import tables as t
from tests.conftest import _csrf_from, auth, login


def post(client: TestClient, path: str, data: dict[str, Any] | None = None) -> Any:
    token = _csrf_from(client.get("/login").text)
    return client.post(path, data={**(data or {}), "csrf_token": token}, follow_redirects=False)


def audit_rows(ctx: Any, action: str) -> list[t.AuditEntry]:
    with ctx.db.read() as s:
        return list(s.query(t.AuditEntry).filter(t.AuditEntry.action == action).order_by(t.AuditEntry.id))


@pytest.fixture
def staff(make: Any) -> dict[str, Any]:
    return {role: make.user(f"the-{role}", role=role) for role in ("admin", "judge", "marshal", "author")}


# --- roles in the users API -----------------------------------------------------------------------


def test_ctfd_type_stays_admin_or_user_and_role_is_additive(client, make, staff):
    admin = auth(make.token(staff["admin"]))
    for role, user in staff.items():
        data = client.get(f"/api/v1/users/{user.id}", headers=admin).json()["data"]
        assert data["type"] == ("admin" if role == "admin" else "user")
        assert data["role"] == role


def test_an_admin_changes_a_role_and_it_is_audited(backend, client, make, ctx, staff):
    player = make.user("alice")
    admin = auth(make.token(staff["admin"]))
    r = client.patch(f"/api/v1/users/{player.id}", json={"role": "judge"}, headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["data"]["type"], r.json()["data"]["role"]) == ("user", "judge")
    with ctx.db.read() as s:
        assert s.get(t.User, player.id).role == "judge"
    [entry] = audit_rows(ctx, "account.role_changed")
    assert (entry.actor_id, entry.actor_role, entry.target_type, entry.target_id) == (
        staff["admin"].id,
        "admin",
        "user",
        str(player.id),
    )
    assert (entry.before, entry.after) == ({"role": "player"}, {"role": "judge"})


def test_a_ctfd_tool_sending_the_object_back_leaves_a_staff_role_alone(client, make, staff):
    admin = auth(make.token(staff["admin"]))
    judge = staff["judge"]
    data = client.get(f"/api/v1/users/{judge.id}", headers=admin).json()["data"]
    payload = {k: data[k] for k in ("name", "email", "type", "affiliation", "country")}
    assert client.patch(f"/api/v1/users/{judge.id}", json=payload, headers=admin).status_code == 200
    assert client.get(f"/api/v1/users/{judge.id}", headers=admin).json()["data"]["role"] == "judge"
    # CTFd's type still makes and unmakes admins.
    client.patch(f"/api/v1/users/{judge.id}", json={"type": "admin"}, headers=admin)
    assert client.get(f"/api/v1/users/{judge.id}", headers=admin).json()["data"]["role"] == "admin"
    client.patch(f"/api/v1/users/{judge.id}", json={"type": "user"}, headers=admin)
    assert client.get(f"/api/v1/users/{judge.id}", headers=admin).json()["data"]["role"] == "player"


@pytest.mark.parametrize(
    "lang, sentence", [("en", "This value is not valid."), ("ja", "この値は正しくありません。")]
)
def test_an_unknown_role_is_refused_in_the_readers_language_and_nothing_is_stored(
    client, make, ctx, staff, lang, sentence
):
    player = make.user("alice")
    admin = {**auth(make.token(staff["admin"])), "Accept-Language": lang}
    for role in ("superuser", "", 3, None, "anonymous"):
        r = client.patch(f"/api/v1/users/{player.id}", json={"role": role, "name": "renamed"}, headers=admin)
        assert r.status_code == 400, (role, r.text)
        assert r.json()["errors"] == {"role": [sentence]}
    with ctx.db.read() as s:
        row = s.get(t.User, player.id)
        assert (row.role, row.name) == ("player", "alice")
    assert audit_rows(ctx, "account.role_changed") == []


def test_only_admins_change_roles(client, make, ctx, staff):
    player = make.user("alice")
    for role in ("judge", "marshal", "author"):
        headers = auth(make.token(staff[role]))
        r = client.patch(f"/api/v1/users/{player.id}", json={"role": "admin"}, headers=headers)
        assert r.status_code == 403, (role, r.text)
    mine = auth(make.token(player))
    r = client.patch("/api/v1/users/me", json={"role": "admin"}, headers=mine)
    assert r.status_code == 403
    # An admin cannot change their own role (no one locks themself out).
    admin = staff["admin"]
    r = client.patch(f"/api/v1/users/{admin.id}", json={"role": "player"}, headers=auth(make.token(admin)))
    assert r.status_code == 400
    # The generic account edit never changes a role: only moderation.change_role does (audited).
    for key in ("role", "type"):
        with pytest.raises(DomainError):
            accounts.update_user(ctx, player.id, {key: "admin"})
    with ctx.db.read() as s:
        assert s.get(t.User, player.id).role == "player"
        assert s.get(t.User, admin.id).role == "admin"


def test_the_account_page_has_a_role_select_for_admins(client, make, ctx, staff):
    player = make.user("alice")
    login(client, staff["admin"].name)
    page = client.get(f"/admin/accounts/{player.id}").text
    for role in ("admin", "judge", "marshal", "author", "player"):
        assert f'<option value="{role}"' in page
    r = post(client, f"/admin/accounts/{player.id}", {"name": "alice", "email": "", "role": "marshal"})
    assert r.status_code == 303
    with ctx.db.read() as s:
        assert s.get(t.User, player.id).role == "marshal"
    assert [e.after for e in audit_rows(ctx, "account.role_changed")] == [{"role": "marshal"}]
    assert "Marshal" in client.get("/admin/accounts").text
    r = post(client, f"/admin/accounts/{player.id}", {"name": "alice", "email": "", "role": "emperor"})
    assert r.status_code == 400
    with ctx.db.read() as s:
        assert s.get(t.User, player.id).role == "marshal"


# --- marshals: hide and nothing more ---------------------------------------------------------------


def test_a_marshal_sees_only_the_hide_control_and_can_hide(backend, client, make, ctx, staff):
    alice, red = make.player_in_team("alice", "Red")
    login(client, staff["marshal"].name)
    page = client.get(f"/admin/accounts/{alice.id}").text
    assert "Hide from the scoreboard" in page
    for control in ("Ban this account", "Set a new password", "Save the account", 'name="role"'):
        assert control not in page
    nav = re.search(r'<nav class="admin-nav".*?</nav>', page, re.S)
    assert nav is not None
    links = set(re.findall(r'href="([^"]+)"', nav.group(0)))
    assert links == {
        "/admin",
        "/admin/feed",
        "/admin/rosters",
        "/admin/accounts",
        "/admin/teams",
        "/admin/announcements",
    }

    r = post(client, f"/admin/accounts/{alice.id}/toggle", {"field": "hidden", "value": "1"})
    assert r.status_code == 303 and r.headers["location"] == f"/admin/accounts/{alice.id}"
    assert "The account has been hidden pending review." in client.get(r.headers["location"]).text
    r = post(client, f"/admin/teams/{red.id}/toggle", {"field": "hidden", "value": "1", "back": "rosters"})
    assert r.headers["location"] == "/admin/rosters"
    with ctx.db.read() as s:
        assert s.get(t.User, alice.id).hidden and s.get(t.Team, red.id).hidden
        events = [
            e.data
            for e in s.query(t.EventLog).filter(t.EventLog.type == "account_hidden").order_by(t.EventLog.id)
        ]
        audience = {e.audience for e in s.query(t.EventLog).filter(t.EventLog.type == "account_hidden")}
    assert events == [
        {"account_id": alice.id, "kind": "user", "hidden": True},
        {"account_id": red.id, "kind": "team", "hidden": True},
    ]
    assert audience == {"staff"}
    entries = audit_rows(ctx, "account.hidden")
    assert [(e.actor_role, e.target_type, e.before, e.after) for e in entries] == [
        ("marshal", "user", {"hidden": False}, {"hidden": True}),
        ("marshal", "team", {"hidden": False}, {"hidden": True}),
    ]


def test_a_marshal_cannot_ban_delete_edit_or_award(backend, client, make, ctx, staff):
    alice, red = make.player_in_team("alice", "Red")
    login(client, staff["marshal"].name)
    for path, data in (
        (f"/admin/accounts/{alice.id}/toggle", {"field": "banned", "value": "1"}),
        (f"/admin/teams/{red.id}/toggle", {"field": "banned", "value": "1"}),
        (f"/admin/accounts/{alice.id}", {"name": "mallory", "email": "", "role": "admin"}),
        (f"/admin/accounts/{alice.id}/password", {"password": "x" * 12, "confirm": "x" * 12}),
        (f"/admin/teams/{red.id}", {"name": "Blue"}),
        (f"/admin/teams/{red.id}/delete", {}),
        ("/admin/awards", {"recipient": f"team:{red.id}", "name": "Gift", "value": "500"}),
    ):
        assert post(client, path, data).status_code == 403, path
    token = auth(make.token(staff["marshal"]))
    assert (
        client.post(
            "/api/v1/awards", json={"team_id": red.id, "name": "x", "value": 5}, headers=token
        ).status_code
        == 403
    )
    assert client.delete(f"/api/v1/users/{alice.id}", headers=token).status_code == 403
    assert client.patch(f"/api/v1/teams/{red.id}", json={"banned": True}, headers=token).status_code == 403
    with ctx.db.read() as s:
        user, team = s.get(t.User, alice.id), s.get(t.Team, red.id)
        assert (user.name, user.role, user.banned, team.name, team.banned) == (
            "alice",
            "player",
            False,
            "Red",
            False,
        )
        assert s.query(t.Award).count() == 0


# --- authors: challenges, never submissions -------------------------------------------------------


def test_an_author_creates_a_challenge_with_an_api_token_like_ctfcli(backend, client, make, ctx, staff):
    token = auth(make.token(staff["author"]))
    r = client.post(
        "/api/v1/challenges",
        json={"name": "Crafted", "category": "web", "value": 100, "state": "hidden", "description": "Hi"},
        headers=token,
    )
    assert r.status_code == 200, r.text
    cid = r.json()["data"]["id"]
    assert (
        client.post(
            "/api/v1/flags", json={"challenge": cid, "content": "flag{c}", "type": "static"}, headers=token
        ).status_code
        == 200
    )
    assert (
        client.post("/api/v1/tags", json={"challenge": cid, "value": "easy"}, headers=token).status_code
        == 200
    )
    assert (
        client.post(
            "/api/v1/hints", json={"challenge": cid, "content": "Look", "cost": 0}, headers=token
        ).status_code
        == 200
    )
    assert (
        client.patch(f"/api/v1/challenges/{cid}", json={"state": "visible"}, headers=token).status_code == 200
    )
    listed = client.get("/api/v1/challenges?view=admin", headers=token).json()["data"]
    assert [c["name"] for c in listed] == ["Crafted"]
    # ... but never the players' submissions.
    alice, _red = make.player_in_team("alice", "Red")
    submissions.submit_flag(ctx, Principal.of(alice), cid, "flag{c}")
    assert client.get("/api/v1/submissions", headers=token).status_code == 403
    assert client.get("/api/v1/unlocks", headers=token).status_code == 403
    assert client.get("/api/v1/feed", headers=token).status_code == 403
    login(client, staff["author"].name)
    assert client.get("/admin/submissions").status_code == 403
    page = client.get("/admin/challenges").text
    assert re.search(r'<td class="num">1</td>', page)  # the solve count, as a number...
    assert "/admin/submissions?challenge=" not in page  # ... that opens no submissions


def test_a_judge_sees_hidden_challenges_and_submissions_but_changes_no_challenge(client, make, ctx, staff):
    hidden = make.challenge(name="Vault", state="hidden")
    alice, _red = make.player_in_team("alice", "Red")
    visible = make.challenge(name="Door")
    submissions.submit_flag(ctx, Principal.of(alice), visible.id, "wrong guess")
    token = auth(make.token(staff["judge"]))
    names = {c["name"] for c in client.get("/api/v1/challenges?view=admin", headers=token).json()["data"]}
    assert names == {"Vault", "Door"}
    assert client.get(f"/api/v1/challenges/{hidden.id}", headers=token).status_code == 200
    subs = client.get("/api/v1/submissions", headers=token).json()["data"]
    assert [s["provided"] for s in subs] == ["wrong guess"]
    assert (
        client.patch(f"/api/v1/challenges/{hidden.id}", json={"state": "visible"}, headers=token).status_code
        == 403
    )
    login(client, staff["judge"].name)
    listed = client.get("/admin/submissions").text
    assert "wrong guess" in listed and 'href="/admin/accounts/' not in listed  # judges manage no accounts
    page = client.get(f"/admin/challenges/{hidden.id}").text
    assert "Vault" in page and " inert" in page
    assert "Save the challenge" not in page and "Add the flag" not in page
    with ctx.db.read() as s:
        assert s.get(t.Challenge, hidden.id).state == "hidden"


# --- staff do not score ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["teams", "users"])
def test_staff_answers_are_checked_but_never_stored_or_scored(backend, client, make, ctx, staff, mode):
    event.update_event(ctx, {"mode": mode})
    ch = make.challenge(name="Door", flag="flag{door}")
    hidden = make.challenge(name="Vault", flag="flag{vault}", state="hidden")
    if mode == "teams":
        # A staff account that is in a team (a player promoted mid-event) adds nothing to it.
        judge, _red = make.player_in_team("promoted", "Red")
        client.patch(
            f"/api/v1/users/{judge.id}", json={"role": "judge"}, headers=auth(make.token(staff["admin"]))
        )
    else:
        judge = staff["judge"]
    headers = auth(make.token(judge))
    for cid, flag in ((ch.id, "flag{door}"), (hidden.id, "flag{vault}")):
        r = client.post(
            "/api/v1/challenges/attempt", json={"challenge_id": cid, "submission": flag}, headers=headers
        )
        assert r.json()["data"]["status"] == "correct", r.text
    r = client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": "no"}, headers=headers
    )
    assert r.json()["data"]["status"] == "incorrect"
    # A marshal checks visible challenges only.
    marshal = auth(make.token(staff["marshal"]))
    r = client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": hidden.id, "submission": "x"}, headers=marshal
    )
    assert r.status_code == 404
    with ctx.db.read() as s:
        assert s.query(t.Submission).count() == 0 and s.query(t.Solve).count() == 0
        assert s.query(t.EventLog).filter(t.EventLog.type.in_(("submission", "solve"))).count() == 0
    assert all(row["score"] == 0 for row in client.get("/api/v1/scoreboard").json()["data"])
    # And staff unlock no hints: there is nothing to pay with.
    assert (
        client.post("/api/v1/unlocks", json={"target": 1, "type": "hints"}, headers=headers).status_code
        == 403
    )


def test_a_player_preview_is_still_recorded(client, make, ctx):
    alice, _red = make.player_in_team("alice", "Red")
    ch = make.challenge(name="Door", flag="flag{door}")
    headers = auth(make.token(alice))
    r = client.post(
        "/api/v1/challenges/attempt?preview=true",
        json={"challenge_id": ch.id, "submission": "no"},
        headers=headers,
    )
    assert r.json()["data"]["status"] == "incorrect"
    with ctx.db.read() as s:
        assert s.query(t.Submission).count() == 1


def test_hidden_accounts_are_visible_to_roster_staff_only(client, make, staff):
    _alice, red = make.player_in_team("alice", "Red")
    assert [x["name"] for x in client.get("/api/v1/teams").json()["data"]] == ["Red"]
    client.patch(f"/api/v1/teams/{red.id}", json={"hidden": True}, headers=auth(make.token(staff["admin"])))
    assert client.get(f"/api/v1/teams/{red.id}").status_code == 404
    assert client.get(f"/api/v1/teams/{red.id}", headers=auth(make.token(staff["author"]))).status_code == 404
    for role in ("judge", "marshal"):
        data = client.get(f"/api/v1/teams/{red.id}", headers=auth(make.token(staff[role]))).json()["data"]
        assert data["hidden"] is True and "invite_code" not in data
