"""``kizuna export``: the results exports of /admin/exports and the API, from the command line —
the same service, recorded in the audit trail as done by the system."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from kizuna.services import accounts, challenges, teams
from kizuna.settings import load_settings
from kizuna.storage import tables as t
from kizuna.web.app import build_context
from tests.conftest import PASSWORD, record_solve


def seed(run: Any, env: dict[str, str]) -> None:
    assert run("db", "upgrade").exit_code == 0
    ctx = build_context(load_settings(environ=env))
    try:
        user = accounts.register_user(ctx, "山田太郎", PASSWORD, by_admin=True)
        team = teams.create_team(ctx, "=東京チーム", user.id)
        ch = challenges.create_challenge(ctx, {"name": "暗号", "category": "crypto", "value": 100})
        with ctx.write() as uow:
            record_solve(uow, ch.id, user, team.id, datetime(2026, 7, 1, 12, 0))
    finally:
        ctx.db.dispose()


def audit(env: dict[str, str]) -> list[tuple[str, str, dict[str, Any] | None]]:
    ctx = build_context(load_settings(environ=env))
    try:
        with ctx.db.read() as s:
            return [
                (e.actor_role, e.target_id, e.after)
                for e in s.query(t.AuditEntry).filter(t.AuditEntry.action == "results.exported")
            ]
    finally:
        ctx.db.dispose()


def test_export_standings_as_csv_to_a_file(run: Any, env: dict[str, str], tmp_path: Path) -> None:
    seed(run, env)
    out = tmp_path / "standings.csv"
    result = run("export", "standings", "--tz", "Asia/Tokyo", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert str(out) in result.stdout
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    [row] = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert (row["rank"], row["name"], row["score"], row["members"]) == (
        "1",
        "'=東京チーム",
        "100",
        "山田太郎",
    )
    assert row["last_scored_at"] == "2026-07-01T21:00:00+09:00"
    assert audit(env) == [
        (
            "system",
            "standings",
            {"kind": "standings", "format": "csv", "time_zone": "Asia/Tokyo", "bom": True},
        )
    ]


def test_export_solves_as_json_to_standard_output(run: Any, env: dict[str, str]) -> None:
    seed(run, env)
    result = run("export", "solves", "--format", "json", "--tz", "Europe/London")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    [row] = document["data"]
    assert (row["account"], row["user"], row["challenge"]) == ("=東京チーム", "山田太郎", "暗号")
    assert row["date"] == "2026-07-01T13:00:00+01:00"


def test_export_csv_without_a_byte_order_mark(run: Any, env: dict[str, str]) -> None:
    seed(run, env)
    result = run("export", "awards", "--no-bom")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"id,date,account_id,")


def test_unknown_kind_format_or_zone_fails_in_the_terminals_language(run: Any, env: dict[str, str]) -> None:
    seed(run, env)
    bad = run("export", "scores")
    assert bad.exit_code == 1
    assert "“scores” is not an export" in bad.output
    env["LANG"] = "ja_JP.UTF-8"
    bad = run("export", "solves", "--format", "xlsx")
    assert bad.exit_code == 1
    assert "「xlsx」" in bad.output and "csv, json" in bad.output
    bad = run("export", "solves", "--tz", "Mars/Olympus")
    assert bad.exit_code == 1
    assert "Mars/Olympus" in bad.output
    assert audit(env) == []


def test_export_standings_of_one_country(run: Any, env: dict[str, str]) -> None:
    seed(run, env)
    ctx = build_context(load_settings(environ=env))
    try:
        with ctx.write() as uow:
            uow.session.query(t.Team).update({"country": "JP"})
    finally:
        ctx.db.dispose()
    jp = run("export", "standings", "--format", "json", "--country", "jp")
    assert jp.exit_code == 0, jp.output
    assert [r["name"] for r in json.loads(jp.stdout)["data"]] == ["=東京チーム"]
    gb = run("export", "standings", "--format", "json", "--country", "GB")
    assert gb.exit_code == 0 and json.loads(gb.stdout)["data"] == []
    refused = run("export", "solves", "--country", "JP")
    assert refused.exit_code != 0
    assert [a["filters"] for _, _, a in audit(env) if a and "filters" in a] == [
        {"country": "JP"},
        {"country": "GB"},
    ]
