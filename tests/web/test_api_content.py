"""Flags, tags, topics, hints, unlocks and files through the API: CTFd's shapes and who may see what."""

from __future__ import annotations

import hashlib

from kizuna.storage import tables as t
from tests.conftest import auth


def _admin(make):
    return auth(make.token(make.admin()))


def test_flags_crud_and_player_cannot_see_them(backend, client, make, ctx):
    a = _admin(make)
    ch = make.challenge(flag=None)
    r = client.post(
        "/api/v1/flags",
        json={
            "challenge_id": ch.id,
            "content": "flag{x}",
            "type": "static",
            "data": "case_insensitive",
            "extra": 1,
        },
        headers=a,
    )
    assert r.status_code == 200, r.text
    flag = r.json()["data"]
    assert flag == {
        "id": flag["id"],
        "challenge_id": ch.id,
        "challenge": ch.id,
        "type": "static",
        "content": "flag{x}",
        "data": "case_insensitive",
    }
    assert (
        client.patch(f"/api/v1/flags/{flag['id']}", json={"content": "flag{y}"}, headers=a).json()["data"][
            "content"
        ]
        == "flag{y}"
    )
    assert [f["id"] for f in client.get(f"/api/v1/challenges/{ch.id}/flags", headers=a).json()["data"]] == [
        flag["id"]
    ]
    player, _team = make.player_in_team()
    p = auth(make.token(player))
    assert client.get("/api/v1/flags", headers=p).status_code == 403
    assert client.get(f"/api/v1/flags/{flag['id']}", headers=p).status_code == 403
    assert client.get("/api/v1/flags").status_code == 401
    assert client.delete(f"/api/v1/flags/{flag['id']}", headers=a).json() == {"success": True}
    assert client.get(f"/api/v1/flags/{flag['id']}", headers=a).status_code == 404


def test_dangerous_regex_flag_is_refused_and_nothing_stored(backend, client, make, ctx):
    a = _admin(make)
    ch = make.challenge(flag=None)
    r = client.post(
        "/api/v1/flags", json={"challenge_id": ch.id, "content": "(a+)+$", "type": "regex"}, headers=a
    )
    assert r.status_code == 400
    assert "content" in r.json()["errors"]
    with ctx.db.read() as s:
        assert s.query(t.Flag).count() == 0


def test_tags_and_topics(backend, client, make):
    a = _admin(make)
    ch = make.challenge()
    tag = client.post("/api/v1/tags", json={"challenge_id": ch.id, "value": "web"}, headers=a).json()["data"]
    assert tag == {"id": tag["id"], "challenge_id": ch.id, "challenge": ch.id, "value": "web"}
    link = client.post(
        "/api/v1/topics", json={"challenge_id": ch.id, "value": "SQLi", "type": "challenge"}, headers=a
    ).json()["data"]
    again = client.post(
        "/api/v1/topics", json={"challenge_id": ch.id, "value": "SQLi", "type": "challenge"}, headers=a
    ).json()["data"]
    assert link["topic_id"] == again["topic_id"] and link["id"] != again["id"]
    topics = client.get(f"/api/v1/challenges/{ch.id}/topics", headers=a).json()["data"]
    assert [x["value"] for x in topics] == ["SQLi", "SQLi"]
    assert (
        client.delete(f"/api/v1/topics?type=challenge&target_id={link['id']}", headers=a).status_code == 200
    )
    assert len(client.get(f"/api/v1/challenges/{ch.id}/topics", headers=a).json()["data"]) == 1
    assert (
        client.post("/api/v1/tags", json={"challenge_id": ch.id, "value": ""}, headers=a).status_code == 400
    )
    player, _team = make.player_in_team()
    listed = client.get("/api/v1/challenges", headers=auth(make.token(player))).json()["data"]
    assert listed[0]["tags"] == [{"value": "web"}]
    assert client.delete(f"/api/v1/tags/{tag['id']}", headers=a).status_code == 200


def test_hint_content_only_after_unlock_and_cost_is_paid(backend, client, make):
    a = _admin(make)
    ch = make.challenge(value=100)
    paid = client.post(
        "/api/v1/hints",
        json={"challenge_id": ch.id, "content": "look **here**", "cost": 30, "title": "Where"},
        headers=a,
    ).json()["data"]
    assert paid["html"].startswith("<p>look <strong>here</strong>")
    player, _team = make.player_in_team()
    p = auth(make.token(player))
    view = client.get(f"/api/v1/hints/{paid['id']}", headers=p).json()["data"]
    assert "content" not in view and view["cost"] == 30
    detail = client.get(f"/api/v1/challenges/{ch.id}", headers=p).json()["data"]
    shown = {k: detail["hints"][0][k] for k in ("id", "cost", "title")}
    assert shown == {"id": paid["id"], "cost": 30, "title": "Where"}
    assert "content" not in detail["hints"][0]
    assert detail["hints"][0]["translations"] == {"en": {"title": "Where"}}
    r = client.post("/api/v1/unlocks", json={"target": paid["id"], "type": "hints"}, headers=p)
    assert r.status_code == 400 and "score" in r.json()["errors"]
    client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": "flag{test}"}, headers=p
    )
    r = client.post("/api/v1/unlocks", json={"target": paid["id"], "type": "hints"}, headers=p)
    assert r.status_code == 200, r.text
    assert set(r.json()["data"]) == {"id", "target", "type", "user_id", "team_id", "date"}
    assert client.get(f"/api/v1/hints/{paid['id']}", headers=p).json()["data"]["content"] == "look **here**"
    assert client.get("/api/v1/scoreboard").json()["data"][0]["score"] == 70
    r = client.post("/api/v1/unlocks", json={"target": paid["id"], "type": "hints"}, headers=p)
    assert r.status_code == 400 and "target" in r.json()["errors"]


def test_hidden_challenge_hint_is_not_found(client, make):
    a = _admin(make)
    ch = make.challenge(state="hidden")
    hint = client.post("/api/v1/hints", json={"challenge_id": ch.id, "content": "x"}, headers=a).json()[
        "data"
    ]
    player, _team = make.player_in_team()
    assert client.get(f"/api/v1/hints/{hint['id']}", headers=auth(make.token(player))).status_code == 404


def test_file_upload_list_download_and_permissions(backend, client, make):
    a = _admin(make)
    ch = make.challenge()
    body = b"attachment body"
    r = client.post(
        "/api/v1/files",
        files=[("file", ("notes.txt", body)), ("file", ("b.bin", b"\x00\x01"))],
        data={"challenge_id": str(ch.id), "type": "challenge"},
        headers={"Authorization": a["Authorization"]},
    )
    assert r.status_code == 200, r.text
    saved = r.json()["data"]
    assert isinstance(saved, list) and len(saved) == 2
    assert saved[0]["location"].endswith("/notes.txt") and len(saved[0]["location"].split("/")[0]) == 32
    assert saved[0]["sha1sum"] == hashlib.sha1(body, usedforsecurity=False).hexdigest()
    assert len(client.get("/api/v1/files?type=challenge", headers=a).json()["data"]) == 2
    player, _team = make.player_in_team()
    p = auth(make.token(player))
    links = client.get(f"/api/v1/challenges/{ch.id}", headers=p).json()["data"]["files"]
    assert len(links) == 2
    client.cookies.clear()
    assert client.get(links[0], headers=p).content == body  # the link works for its own viewer
    assert client.get(links[0]).status_code == 404  # and for nobody else (tests/security/test_leaks_files.py)
    assert client.get(f"/files/{saved[0]['location']}").status_code == 404  # no link, no session
    assert client.get(f"/files/{saved[0]['location']}", headers=p).content == body
    client.patch(f"/api/v1/challenges/{ch.id}", json={"state": "hidden"}, headers=a)
    assert client.get(links[0], headers=p).status_code == 404  # the challenge is hidden now
    assert (
        client.post(
            "/api/v1/files", data={"challenge_id": str(ch.id)}, headers={"Authorization": a["Authorization"]}
        ).status_code
        == 400
    )
    assert client.delete(f"/api/v1/files/{saved[0]['id']}", headers=a).status_code == 200
    assert len(client.get("/api/v1/files", headers=a).json()["data"]) == 1


def test_solutions_follow_their_state(backend, client, make):
    a = _admin(make)
    ch = make.challenge()
    sol = client.post(
        "/api/v1/solutions", json={"challenge_id": ch.id, "state": "hidden", "content": ""}, headers=a
    ).json()["data"]
    client.patch(f"/api/v1/solutions/{sol['id']}", json={"content": "Use *rot13*."}, headers=a)
    player, _team = make.player_in_team()
    p = auth(make.token(player))
    assert client.get(f"/api/v1/solutions/{sol['id']}", headers=p).status_code == 404
    client.patch(f"/api/v1/solutions/{sol['id']}", json={"state": "solved"}, headers=a)
    assert client.get(f"/api/v1/solutions/{sol['id']}", headers=p).status_code == 404
    client.post(
        "/api/v1/challenges/attempt", json={"challenge_id": ch.id, "submission": "flag{test}"}, headers=p
    )
    got = client.get(f"/api/v1/solutions/{sol['id']}", headers=p).json()["data"]
    assert got["html"] == "<p>Use <em>rot13</em>.</p>\n"
    assert (
        client.patch(f"/api/v1/solutions/{sol['id']}", json={"state": "public"}, headers=a).status_code == 400
    )
    assert client.get("/api/v1/solutions", headers=p).status_code == 403
    assert client.delete(f"/api/v1/solutions/{sol['id']}", headers=a).status_code == 200
