"""Write-ups (解説): a player sends one per challenge for their account once it solved the
challenge (or after the event, having taken part), changes it later, reads it with the judges'
prize mark; judges mark prizes; nobody else reads it; hidden challenges' write-ups are missing;
organisers export them."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.domain.writeups import MAX_CONTENT
from kizuna.services import challenges, event
from kizuna.storage import tables as t
from tests.conftest import _csrf_from, auth, login, record_solve
from tests.racing import race

SOLVED_AT = datetime(2026, 7, 1, 12, 0)
TEXT = "# 解き方\n\n`strings` で見つけました。 **=SUM(A1)** <script>alert(1)</script>"


def solve(ctx: Any, challenge: Any, user: Any, team: Any) -> None:
    with ctx.write() as uow:
        record_solve(uow, challenge.id, user, team.id if team is not None else None, SOLVED_AT)


def send(
    client: TestClient, headers: dict[str, str], challenge_id: int, content: str = TEXT, locale: str = "ja"
) -> Any:
    return client.post(
        "/api/v1/writeups",
        json={"challenge_id": challenge_id, "content": content, "locale": locale},
        headers=headers,
    )


@pytest.fixture
def game(make: Any, ctx: Any) -> dict[str, Any]:
    alice, red = make.player_in_team("alice", "赤チーム")
    bob = make.user("bob")
    make.join(bob, red)
    carol, blue = make.player_in_team("carol", "=Blue")
    ch = make.challenge(name="暗号 1")
    return {
        "alice": alice,
        "bob": bob,
        "red": red,
        "carol": carol,
        "blue": blue,
        "ch": ch,
        "a": auth(make.token(alice)),
        "b": auth(make.token(bob)),
        "c": auth(make.token(carol)),
    }


def events(ctx: Any, kind: str) -> list[t.EventLog]:
    with ctx.db.read() as s:
        return list(s.query(t.EventLog).filter(t.EventLog.type == kind).order_by(t.EventLog.id))


# --- sending -------------------------------------------------------------------------------------


def test_no_write_up_before_solving_during_the_event(client, game):
    r = send(client, {**game["a"], "Accept-Language": "ja"}, game["ch"].id)
    assert r.status_code == 409  # not possible yet, in the event's current state
    [message] = r.json()["errors"][""]
    assert "解説" in message and message.endswith("。")
    r = send(client, {**game["a"], "Accept-Language": "en"}, game["ch"].id)
    assert r.json()["errors"][""][0].startswith("You can send a write-up of a challenge once")


def test_send_then_change_one_per_team(backend, client, ctx, game):
    solve(ctx, game["ch"], game["alice"], game["red"])
    r = send(client, game["a"], game["ch"].id)
    assert r.status_code == 200, r.text
    first = r.json()["data"]
    assert (first["content"], first["locale"], first["user"], first["account"]) == (
        TEXT,
        "ja",
        "alice",
        "赤チーム",
    )
    assert first["prize"] is False and first["comment"] == {}
    # Rendered safely: Markdown formatting kept, the script tag not.
    assert "<h1>" in first["html"] and "<script" not in first["html"]
    # A teammate changes the same write-up (one per account and challenge).
    r = send(client, game["b"], game["ch"].id, "Found it with `strings`.", "en")
    assert r.status_code == 200, r.text
    second = r.json()["data"]
    assert second["id"] == first["id"]
    assert (second["content"], second["locale"], second["user"]) == ("Found it with `strings`.", "en", "bob")
    with ctx.db.read() as s:
        assert s.query(t.Writeup).count() == 1
    mine = client.get("/api/v1/writeups", headers=game["a"]).json()["data"]
    assert [w["id"] for w in mine] == [first["id"]]
    assert [e.data["updated"] for e in events(ctx, "writeup_submitted")] == [False, True]
    assert {e.audience for e in events(ctx, "writeup_submitted")} == {"staff"}


@pytest.mark.parametrize(
    ("content", "locale", "field", "en", "ja"),
    [
        ("", "en", "content", "This field is required.", "この"),
        ("   \n ", "en", "content", "This field is required.", "この"),
        ("x" * (MAX_CONTENT + 1), "en", "content", "“content” is too long", "「content」"),
        ("ok", "fr", "locale", "“fr” is not a language code", "「fr」"),
    ],
)
def test_bad_write_ups_are_400_in_the_readers_language(client, ctx, game, content, locale, field, en, ja):
    solve(ctx, game["ch"], game["alice"], game["red"])
    r = send(client, {**game["a"], "Accept-Language": "en"}, game["ch"].id, content, locale)
    assert r.status_code == 400
    assert r.json()["errors"][field][0].startswith(en)
    r = send(client, {**game["a"], "Accept-Language": "ja"}, game["ch"].id, content, locale)
    assert r.status_code == 400
    assert r.json()["errors"][field][0].startswith(ja)
    with ctx.db.read() as s:
        assert s.query(t.Writeup).count() == 0


def test_the_longest_write_up_is_accepted(client, ctx, game):
    solve(ctx, game["ch"], game["alice"], game["red"])
    assert send(client, game["a"], game["ch"].id, "あ" * MAX_CONTENT).status_code == 200


def test_staff_do_not_write_write_ups(client, make, game):
    admin = make.admin()
    r = send(client, auth(make.token(admin)), game["ch"].id)
    assert r.status_code == 403


def test_after_the_event_everyone_who_took_part_may_write(client, make, ctx, game):
    """Carol's team never solved the challenge but answered something; Dave's never played."""
    with ctx.write() as uow:
        uow.session.add(
            t.Submission(
                challenge_id=game["ch"].id,
                user_id=game["carol"].id,
                team_id=game["blue"].id,
                account_id=game["blue"].id,
                provided="wrong",
                type="incorrect",
                date=SOLVED_AT,
            )
        )
    dave, _team = make.player_in_team("dave", "Idle")
    assert send(client, game["c"], game["ch"].id).status_code == 409  # still running
    start = datetime(2026, 7, 1)
    event.update_event(ctx, {"start_at": start, "end_at": start + timedelta(days=1)})
    ctx.now = lambda: start + timedelta(days=2)
    r = send(client, game["c"], game["ch"].id)
    assert r.status_code == 200, r.text
    assert send(client, auth(make.token(dave)), game["ch"].id).status_code == 409


def test_two_members_sending_at_once_make_one_write_up(backend, client, ctx, game):
    solve(ctx, game["ch"], game["alice"], game["red"])
    from kizuna.services import writeups
    from kizuna.services.accounts import Principal

    people = [game["alice"], game["bob"]] * 2

    def work(i: int) -> Any:
        user = people[i]
        who = Principal(user.id, user.name, "player", game["red"].id)
        return writeups.submit_writeup(ctx, who, game["ch"].id, f"version {i}", "en")

    results = race(len(people), work)
    assert all(not isinstance(r, BaseException) for r in results), results
    with ctx.db.read() as s:
        [row] = s.query(t.Writeup).all()
    assert row.content in {f"version {i}" for i in range(len(people))}
    assert len(events(ctx, "writeup_submitted")) == len(people)


# --- reading -------------------------------------------------------------------------------------


def test_another_team_cannot_read_it_and_gets_the_404_of_a_missing_one(client, ctx, game):
    solve(ctx, game["ch"], game["alice"], game["red"])
    writeup_id = send(client, game["a"], game["ch"].id).json()["data"]["id"]
    theirs = client.get(f"/api/v1/writeups/{writeup_id}", headers=game["c"])
    missing = client.get("/api/v1/writeups/99999", headers=game["c"])
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert client.get("/api/v1/writeups", headers=game["c"]).json()["data"] == []
    assert TEXT not in client.get(f"/challenges/{game['ch'].id}", headers=game["c"]).text
    assert client.get(f"/api/v1/writeups/{writeup_id}", headers=game["b"]).status_code == 200  # a teammate
    assert client.get(f"/api/v1/writeups/{writeup_id}").status_code == 401


def test_a_hidden_challenges_write_up_is_missing_for_players(backend, client, make, ctx, game):
    solve(ctx, game["ch"], game["alice"], game["red"])
    writeup_id = send(client, game["a"], game["ch"].id).json()["data"]["id"]
    challenges.update_challenge(ctx, game["ch"].id, {"state": "hidden"})
    missing = client.get("/api/v1/writeups/99999", headers=game["a"])
    r = client.get(f"/api/v1/writeups/{writeup_id}", headers=game["a"])
    assert r.status_code == 404 and r.json() == missing.json()
    assert client.get("/api/v1/writeups", headers=game["a"]).json()["data"] == []
    r = send(client, game["a"], game["ch"].id, "again")
    assert r.status_code == 404
    unknown = send(client, game["a"], 99999, "again")
    assert r.json() == unknown.json()
    # Staff still read it.
    judge = auth(make.token(make.user("judy", role="judge")))
    assert client.get(f"/api/v1/writeups/{writeup_id}", headers=judge).status_code == 200


# --- prizes --------------------------------------------------------------------------------------


def test_a_judge_marks_a_prize_the_team_sees_it_and_it_is_audited(backend, client, make, ctx, game):
    solve(ctx, game["ch"], game["alice"], game["red"])
    writeup_id = send(client, game["a"], game["ch"].id).json()["data"]["id"]
    judge = make.user("judy", role="judge")
    comment = {"en": "Clear and short.", "ja": "簡潔で分かりやすい。"}
    r = client.patch(
        f"/api/v1/writeups/{writeup_id}",
        json={"prize": True, "comment": comment},
        headers=auth(make.token(judge)),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["data"]["prize"], r.json()["data"]["comment"]) == (True, comment)
    mine = client.get(f"/api/v1/writeups/{writeup_id}", headers=game["b"]).json()["data"]
    assert (mine["prize"], mine["comment"]) == (True, comment)
    with ctx.db.read() as s:
        [entry] = s.query(t.AuditEntry).filter(t.AuditEntry.action == "writeup.prize_marked").all()
    assert (entry.actor_id, entry.actor_role, entry.target_type, entry.target_id) == (
        judge.id,
        "judge",
        "writeup",
        str(writeup_id),
    )
    assert entry.before == {"prize": False, "comment": None}
    assert entry.after == {"prize": True, "comment": comment}
    [prize_event] = events(ctx, "writeup_prize")
    assert (prize_event.audience, prize_event.account_id, prize_event.data["prize"]) == (
        "account",
        game["red"].id,
        True,
    )
    # The team's challenge page shows the prize and the comment in the reader's language.
    login(client, "alice")
    page = client.get(f"/challenges/{game['ch'].id}", params={"lang": "ja"})
    assert "簡潔で分かりやすい。" in page.text


@pytest.mark.parametrize("role", ["player", "marshal", "author"])
def test_only_judges_and_admins_mark_prizes(client, make, ctx, game, role):
    solve(ctx, game["ch"], game["alice"], game["red"])
    writeup_id = send(client, game["a"], game["ch"].id).json()["data"]["id"]
    headers = game["a"] if role == "player" else auth(make.token(make.user(f"the-{role}", role=role)))
    r = client.patch(f"/api/v1/writeups/{writeup_id}", json={"prize": True}, headers=headers)
    assert r.status_code == 403
    with ctx.db.read() as s:
        assert s.get(t.Writeup, writeup_id).prize is False


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"prize": "yes"}, "prize"),
        ({"prize": True, "comment": {"en": "x" * 501}}, "comment.en"),
        ({"prize": True, "comment": {"fr": "bien"}}, "comment"),
        ({"prize": True, "comment": "nice"}, "comment"),
    ],
)
def test_bad_prize_marks_are_400(client, make, ctx, game, payload, field):
    solve(ctx, game["ch"], game["alice"], game["red"])
    writeup_id = send(client, game["a"], game["ch"].id).json()["data"]["id"]
    admin = auth(make.token(make.admin()))
    r = client.patch(
        f"/api/v1/writeups/{writeup_id}", json=payload, headers={**admin, "Accept-Language": "ja"}
    )
    assert r.status_code == 400
    assert field in r.json()["errors"]
    assert client.patch("/api/v1/writeups/99999", json={"prize": True}, headers=admin).status_code == 404


# --- export --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "json", "md"])
def test_organisers_export_the_write_ups(client, make, ctx, game, fmt):
    solve(ctx, game["ch"], game["alice"], game["red"])
    solve(ctx, game["ch"], game["carol"], game["blue"])
    send(client, game["a"], game["ch"].id)
    send(client, game["c"], game["ch"].id, "=cmd|' /C calc'!A0", "en")
    admin = auth(make.token(make.admin()))
    r = client.get("/api/v1/exports/writeups", params={"format": fmt, "tz": "Asia/Tokyo"}, headers=admin)
    assert r.status_code == 200, r.text
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))
        by_account = {row["account"]: row for row in rows}
        assert by_account["赤チーム"]["content"] == TEXT
        assert by_account["'=Blue"]["content"] == "'=cmd|' /C calc'!A0"
    elif fmt == "json":
        rows = json.loads(r.content)["data"]
        assert {row["account"]: row["content"] for row in rows} == {
            "赤チーム": TEXT,
            "=Blue": "=cmd|' /C calc'!A0",
        }
        assert rows[0]["updated_at"].endswith("+09:00")
    else:
        assert r.headers["content-type"] == "text/markdown; charset=utf-8"
        body = r.content.decode("utf-8")
        assert "## 暗号 1 — 赤チーム" in body and TEXT in body and "- locale: ja" in body


# --- the pages -----------------------------------------------------------------------------------


def page_post(client: TestClient, url: str, data: dict[str, str]) -> Any:
    token = _csrf_from(client.get("/login").text)
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


def test_the_challenge_page_offers_the_form_only_after_solving(client, ctx, game):
    login(client, "alice")
    url = f"/challenges/{game['ch'].id}"
    assert 'action="/challenges/' + str(game["ch"].id) + "/writeup" not in client.get(url).text
    refused = page_post(client, url + "/writeup", {"content": "early", "locale": "en"})
    assert refused.status_code == 409 and "once your account has solved it" in refused.text
    solve(ctx, game["ch"], game["alice"], game["red"])
    assert f'action="/challenges/{game["ch"].id}/writeup#writeup"' in client.get(url).text
    r = page_post(client, url + "/writeup", {"content": TEXT, "locale": "ja"})
    assert r.status_code == 303 and r.headers["location"] == url + "#writeup"
    shown = client.get(url).text
    assert "Your write-up has been saved." in shown
    assert "<h1>解き方</h1>" in shown and "<script>alert" not in shown
    too_long = "y" * (MAX_CONTENT + 1)
    again = page_post(client, url + "/writeup", {"content": too_long, "locale": "en"})
    assert again.status_code == 400
    assert "is too long" in again.text and too_long in again.text  # what was typed is kept


def test_judges_mark_prizes_on_the_staff_page(client, make, ctx, game):
    solve(ctx, game["ch"], game["alice"], game["red"])
    writeup_id = send(client, game["a"], game["ch"].id).json()["data"]["id"]
    make.user("judy", role="judge")
    login(client, "judy")
    listing = client.get("/admin/writeups")
    assert listing.status_code == 200 and "赤チーム" in listing.text and "<h1>解き方</h1>" in listing.text
    r = page_post(
        client, f"/admin/writeups/{writeup_id}", {"prize": "yes", "comment_en": "Neat", "comment_ja": "見事"}
    )
    assert r.status_code == 303
    with ctx.db.read() as s:
        row = s.get(t.Writeup, writeup_id)
        assert (row.prize, row.comment) == (True, {"en": "Neat", "ja": "見事"})
    assert "Neat" in client.get("/admin/writeups", params={"prize": "yes"}).text
    bad = page_post(client, f"/admin/writeups/{writeup_id}", {"prize": "yes", "comment_en": "x" * 501})
    assert bad.status_code == 400


def test_players_cannot_open_the_staff_page(client, game):
    login(client, "alice")
    assert client.get("/admin/writeups").status_code == 403
