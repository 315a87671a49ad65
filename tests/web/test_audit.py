"""The audit trail (監査ログ): privileged actions through the API (token) and the pages (session)
are recorded with actor, role, address and values; the admin API, CSV export and page read them."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.services import accounts
from kizuna.storage import tables as t
from kizuna.web.zones import format_in_zone
from tests.conftest import auth, login
from tests.web.test_pages_admin import event_form, post

SECRET = "flag{audit-must-not-keep-this-9f3}"


def entries(ctx: Any, action: str | None = None) -> list[t.AuditEntry]:
    with ctx.db.read() as s:
        q = s.query(t.AuditEntry).order_by(t.AuditEntry.id)
        if action is not None:
            q = q.filter(t.AuditEntry.action == action)
        return list(q)


def only(ctx: Any, action: str) -> t.AuditEntry:
    found = entries(ctx, action)
    assert len(found) == 1, [e.action for e in entries(ctx)]
    return found[0]


# --- what is recorded -----------------------------------------------------------------------------


def test_challenge_update_through_the_api_records_actor_role_address_and_changed_values(client, make, ctx):
    admin = make.admin("root")
    headers = auth(make.token(admin))
    ch = make.challenge(name="Warm-up", value=100)
    r = client.patch(
        f"/api/v1/challenges/{ch.id}", json={"value": 250, "name": "Warm-up II"}, headers=headers
    )
    assert r.status_code == 200, r.text
    e = only(ctx, "challenge.updated")
    assert (e.actor_id, e.actor_name, e.actor_role, e.address) == (admin.id, "root", "admin", "testclient")
    assert (e.target_type, e.target_id) == ("challenge", str(ch.id))
    assert e.before == {"name": "Warm-up", "value": 100}
    assert e.after == {"name": "Warm-up II", "value": 250}


def test_flag_changes_are_audited_without_the_flag_itself(client, make, ctx):
    author = make.user("writer", role="author")
    headers = auth(make.token(author))
    ch = make.challenge(flag=None)
    r = client.post(
        "/api/v1/flags", json={"challenge": ch.id, "content": SECRET, "type": "static"}, headers=headers
    )
    assert r.status_code == 200, r.text
    flag_id = r.json()["data"]["id"]
    made = only(ctx, "flag.created")
    assert (made.actor_name, made.actor_role, made.target_id) == ("writer", "author", str(flag_id))
    assert made.after == {"challenge_id": ch.id, "type": "static", "data": ""}
    r = client.patch(f"/api/v1/flags/{flag_id}", json={"content": SECRET + "-v2"}, headers=headers)
    assert r.status_code == 200, r.text
    changed = only(ctx, "flag.updated")
    assert changed.after == {"content_changed": True}
    assert client.delete(f"/api/v1/flags/{flag_id}", headers=headers).status_code == 200
    assert only(ctx, "flag.deleted").before == {"challenge_id": ch.id, "type": "static", "data": ""}
    stored = json.dumps([[e.before, e.after] for e in entries(ctx)])
    assert "audit-must-not-keep-this" not in stored
    admin = make.admin()
    listing = client.get("/api/v1/audit", headers=auth(make.token(admin)))
    assert "audit-must-not-keep-this" not in listing.text
    export = client.get("/api/v1/audit.csv", headers=auth(make.token(admin)))
    assert "audit-must-not-keep-this" not in export.text


def test_hint_tag_and_file_edits_through_the_api(client, make, ctx):
    headers = auth(make.token(make.admin("root")))
    ch = make.challenge()
    hint = client.post(
        "/api/v1/hints", json={"challenge_id": ch.id, "content": "Look closer", "cost": 10}, headers=headers
    ).json()["data"]
    client.patch(f"/api/v1/hints/{hint['id']}", json={"cost": 20}, headers=headers)
    assert only(ctx, "hint.updated").before == {"cost": 10}
    assert only(ctx, "hint.updated").after == {"cost": 20}
    client.post("/api/v1/tags", json={"challenge": ch.id, "value": "easy"}, headers=headers)
    assert only(ctx, "tag.created").after == {"challenge_id": ch.id, "value": "easy"}
    r = client.post(
        "/api/v1/files",
        data={"challenge": str(ch.id), "type": "challenge"},
        files={"file": ("notes.txt", b"the bytes themselves")},
        headers={"Authorization": headers["Authorization"]},
    )
    assert r.status_code == 200, r.text
    uploaded = only(ctx, "file.uploaded")
    assert uploaded.after is not None and uploaded.after["name"] == "notes.txt"
    assert "the bytes themselves" not in json.dumps(uploaded.after)


def test_award_granted_through_the_page_records_the_session_principal(client, make, ctx):
    alice, _team = make.player_in_team("alice")
    judge = make.user("judy", role="judge")
    login(client, "judy")
    r = post(
        client,
        "/admin/awards",
        {
            "recipient": f"user:{alice.id}",
            "name": "Helping",
            "description": "",
            "value": "30",
            "category": "",
        },
    )
    assert r.status_code == 303, r.text
    e = only(ctx, "award.granted")
    assert (e.actor_id, e.actor_name, e.actor_role, e.address) == (judge.id, "judy", "judge", "testclient")


def test_hiding_an_account_through_the_page_is_audited_with_the_marshal(client, make, ctx):
    bob = make.user("bob")
    make.user("marsha", role="marshal")
    login(client, "marsha")
    r = post(client, f"/admin/accounts/{bob.id}/toggle", {"field": "hidden", "value": "1"})
    assert r.status_code == 303, r.text
    e = only(ctx, "account.hidden")
    assert (e.actor_name, e.actor_role, e.target_type, e.target_id) == (
        "marsha",
        "marshal",
        "user",
        str(bob.id),
    )
    assert (e.before, e.after, e.address) == ({"hidden": False}, {"hidden": True}, "testclient")


def test_event_setting_change_through_the_page(client, make, ctx):
    make.admin("root")
    login(client, "root")
    r = post(client, "/admin/event", event_form(team_size_limit="6"))
    assert r.status_code == 303, r.text
    e = only(ctx, "event.settings_changed")
    assert e.actor_name == "root" and e.actor_role == "admin" and e.address == "testclient"
    assert e.after is not None and e.after["team_size_limit"] == 6


def test_tokens_made_for_another_account_are_audited_but_not_ones_own(client, make, ctx):
    admin = make.admin("root")
    player = make.user("pat")
    headers = auth(make.token(admin))
    entries_before = len(entries(ctx, "token.created"))  # the factory's own tokens are the CLI's
    r = client.post("/api/v1/tokens", json={"description": "mine"}, headers=headers)
    assert r.status_code == 200, r.text
    assert len(entries(ctx, "token.created")) == entries_before
    issued = accounts.create_token(ctx, player.id, "for pat")
    last = entries(ctx, "token.created")[-1]
    assert last.target_id == str(issued.token.id) and last.actor_role == "system"
    assert issued.value not in json.dumps(last.after) and issued.value[:12] not in json.dumps(last.after)
    r = client.delete(f"/api/v1/tokens/{issued.token.id}", headers=headers)
    assert r.status_code == 200, r.text
    gone = only(ctx, "token.deleted")
    assert (gone.actor_name, gone.before["user_id"]) == ("root", player.id)  # type: ignore[index]


# --- the API ----------------------------------------------------------------------------------------


def _seed(client: TestClient, make: Any) -> dict[str, Any]:
    root = make.admin("root")
    writer = make.user("writer", role="author")
    root_h, writer_h = auth(make.token(root)), auth(make.token(writer))
    ch = client.post(
        "/api/v1/challenges", json={"name": "Alpha", "category": "web", "value": 10}, headers=root_h
    )
    ch_id = ch.json()["data"]["id"]
    client.patch(f"/api/v1/challenges/{ch_id}", json={"value": 20}, headers=writer_h)
    client.post("/api/v1/flags", json={"challenge": ch_id, "content": "flag{x}"}, headers=writer_h)
    return {"root": root, "writer": writer, "root_h": root_h, "writer_h": writer_h, "ch": ch_id}


def test_list_filters_and_pagination(client, make, ctx):
    seed = _seed(client, make)
    h = seed["root_h"]

    def actions(query: str) -> list[str]:
        r = client.get(f"/api/v1/audit{query}", headers=h)
        assert r.status_code == 200, r.text
        return [row["action"] for row in r.json()["data"]]

    everything = client.get("/api/v1/audit", headers=h).json()
    assert everything["success"] is True
    ids = [row["id"] for row in everything["data"]]
    assert ids == sorted(ids, reverse=True)  # newest first
    first = everything["data"][0]
    assert set(first) >= {
        "id",
        "date",
        "actor_id",
        "actor_name",
        "actor_role",
        "action",
        "action_label",
        "target_type",
        "target_id",
        "before",
        "after",
        "address",
    }
    assert actions("?actor=writer") == ["flag.created", "challenge.updated"]
    assert actions(f"?actor={seed['writer'].id}") == ["flag.created", "challenge.updated"]
    assert actions("?actor=WRITER") == ["flag.created", "challenge.updated"]
    assert actions("?action=challenge.") == ["challenge.updated", "challenge.created"]
    assert actions("?action=challenge.updated") == ["challenge.updated"]
    assert actions("?action=challenge%25") == []  # % is a character, not a wildcard
    assert actions(f"?target_type=challenge&target_id={seed['ch']}") == [
        "challenge.updated",
        "challenge.created",
    ]
    assert actions("?q=alpha&action=challenge.") == ["challenge.created"]
    later = (datetime.utcnow() + timedelta(days=1)).strftime("%Y-%m-%d")
    assert actions(f"?from={later}") == []
    assert len(actions(f"?to={later}")) == len(everything["data"])
    assert len(actions("?from=2000-01-01T00:00:00Z")) == len(everything["data"])
    one = client.get("/api/v1/audit?limit=1&page=2", headers=h).json()
    assert len(one["data"]) == 1 and one["data"][0]["id"] == ids[1]
    pagination = one["meta"]["pagination"]
    assert (pagination["page"], pagination["per_page"], pagination["prev"], pagination["total"]) == (
        2,
        1,
        1,
        len(ids),
    )
    assert client.get("/api/v1/audit?format=json", headers=h).status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?from=yesterday", "from"),
        ("?to=2025-13-01", "to"),
        ("?from=2025-02-01&to=2025-01-01", "to"),
        ("?limit=501", "limit"),
        ("?limit=0", "limit"),
        ("?limit=ten", "limit"),
        ("?page=-1", "page"),
        ("?q=" + "x" * 101, "q"),
        ("?actor=" + "9" * 20, "actor"),
        ("?format=xml", "format"),
        ("?action=a&action=b", "action"),
    ],
)
def test_bad_filters_are_400_in_the_readers_language(client, make, query, field):
    h = auth(make.token(make.admin("root")))
    r = client.get(f"/api/v1/audit{query}", headers={**h, "Accept-Language": "ja"})
    assert r.status_code == 400, r.text
    assert r.json() == {"success": False, "errors": {field: ["この値は正しくありません。"]}}
    r = client.get(f"/api/v1/audit{query}", headers={**h, "Accept-Language": "en"})
    assert r.json()["errors"][field] == ["This value is not valid."]


@pytest.mark.parametrize("role", ["judge", "marshal", "author", "player"])
def test_only_admins_read_the_trail(client, make, role):
    h = auth(make.token(make.user(f"someone-{role}", role=role)))
    for path in ("/api/v1/audit", "/api/v1/audit.csv", "/api/v1/audit?format=csv"):
        r = client.get(path, headers=h)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["success"] is False


def test_anonymous_gets_401(client):
    for path in ("/api/v1/audit", "/api/v1/audit.csv"):
        r = client.get(path)
        assert r.status_code == 401 and r.json()["success"] is False


# --- CSV --------------------------------------------------------------------------------------------


def _csv(response: Any) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content[3:].decode("utf-8"))))


def test_csv_export_is_utf8_with_bom_and_follows_the_filters(client, make, ctx):
    seed = _seed(client, make)
    client.patch(f"/api/v1/challenges/{seed['ch']}", json={"name": "日本語の問題"}, headers=seed["root_h"])
    r = client.get("/api/v1/audit.csv?action=challenge.", headers=seed["root_h"])
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith('attachment; filename="kizuna-audit-')
    rows = _csv(r)
    assert rows[0][:3] == ["id", "time_utc", "actor_id"]
    assert [row[5] for row in rows[1:]] == ["challenge.updated", "challenge.updated", "challenge.created"]
    assert "日本語の問題" in rows[1][10]
    assert rows[1][3:5] == ["root", "admin"]
    same = client.get("/api/v1/audit?format=csv&action=challenge.", headers=seed["root_h"])
    assert _csv(same)[1:] == rows[1:]


def test_csv_export_streams_many_entries_in_batches(client, make, ctx):
    h = auth(make.token(make.admin("root")))
    with ctx.write() as uow:
        for n in range(1203):
            uow.audit(None, "test.bulk", "thing", n)
    rows = _csv(client.get("/api/v1/audit.csv?action=test.bulk", headers=h))
    assert [row[8] for row in rows[1:]] == [str(n) for n in range(1202, -1, -1)]


def test_csv_cells_that_look_like_formulas_are_quoted(client, make, ctx):
    for name in ("=HYPERLINK(1)", "+1+1", "-2+3", "@SUM(A1)"):
        admin = make.user(name, role="admin")
        client.post(
            "/api/v1/challenges",
            json={"name": "c" + str(admin.id), "category": "x", "value": 1},
            headers=auth(make.token(admin)),
        )
    rows = _csv(client.get("/api/v1/audit.csv?action=challenge.created", headers=auth(make.token(admin))))
    names = sorted(row[3] for row in rows[1:])
    assert names == sorted(["'=HYPERLINK(1)", "'+1+1", "'-2+3", "'@SUM(A1)"])
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


# --- the page ---------------------------------------------------------------------------------------


def test_page_in_english_and_japanese_with_filters_and_the_readers_time_zone(client, make, ctx):
    seed = _seed(client, make)
    client.cookies.set("tz", "Asia/Tokyo")
    login(client, "root")
    page = client.get("/admin/audit?action=challenge.&actor=writer")
    assert page.status_code == 200, page.text
    html = page.text
    assert "Audit log" in html and "Challenge changed" in html and "challenge.updated" in html
    assert "challenge.created" not in html.split("<tbody>")[1]  # the actor filter applies
    assert f'href="/admin/challenges/{seed["ch"]}"' in html
    assert "/api/v1/audit.csv?actor=writer&amp;action=challenge." in html
    e = only(ctx, "challenge.updated")
    assert format_in_zone(e.at, "Asia/Tokyo", locale="en") in html
    assert 'href="/admin/audit" aria-current="page"' in html
    client.cookies.set("lang", "ja")
    ja = client.get("/admin/audit?action=challenge.").text
    assert "監査ログ" in ja and "問題を変更" in ja
    assert format_in_zone(e.at, "Asia/Tokyo", locale="ja") in ja


def test_page_shows_bad_filters_next_to_the_field(client, make):
    make.admin("root")
    login(client, "root")
    r = client.get("/admin/audit?from=not-a-time")
    assert r.status_code == 400
    assert 'id="e-from"' in r.text and "This value is not valid." in r.text


def test_page_is_for_admins_only(client, make):
    assert client.get("/admin/audit", follow_redirects=False).status_code in (302, 303)
    make.user("judy", role="judge")
    login(client, "judy")
    assert client.get("/admin/audit").status_code == 403
    assert 'href="/admin/audit"' not in client.get("/admin/awards").text


def test_targets_link_to_their_admin_page_while_they_exist():
    from kizuna.storage.audit_queries import AuditRow
    from kizuna.web.audit_labels import target_url

    def row(action: str, kind: str, tid: str, after: dict[str, Any] | None = None) -> AuditRow:
        return AuditRow(1, datetime(2025, 1, 1), 1, "root", "admin", action, kind, tid, None, after, "")

    assert target_url(row("challenge.updated", "challenge", "7")) == "/admin/challenges/7"
    assert target_url(row("challenge.deleted", "challenge", "7")) == ""
    assert target_url(row("flag.created", "flag", "3", {"challenge_id": 7})) == "/admin/challenges/7"
    assert target_url(row("account.hidden", "user", "5")) == "/admin/accounts/5"
    assert target_url(row("token.created", "token", "9", {"user_id": 5})) == "/admin/accounts/5"
    assert target_url(row("event.paused", "event", "1")) == "/admin/event/control"
    assert target_url(row("something.new", "gadget", "1")) == ""
