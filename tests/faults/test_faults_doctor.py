"""``kizuna doctor`` finds each kind of damage we put into a database on purpose, says so in the
CLI's language and exits 1; a healthy database exits 0."""

# ruff: noqa: S608 - the damage is SQL built from the test's own integer ids

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from kizuna.cli.main import app as cli
from kizuna.services import content, doctor, hints, submissions
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from tests.conftest import Factory


@pytest.fixture
def world(ctx: Context, make: Factory) -> dict[str, Any]:
    """A played event: a team solved a static and a dynamic challenge, unlocked a paid hint, and a
    challenge has a stored file."""
    user, team = make.player_in_team()
    who = Principal(user.id, user.name, "player", team.id)
    static = make.challenge(value=100)
    dynamic = make.challenge(type="dynamic", function="linear", initial=500, minimum=100, decay=50, value=500)
    hint = content.create_hint(ctx, static.id, "Look closer.", cost=10, title="Nudge")
    assert submissions.submit_flag(ctx, who, static.id, "flag{test}").status == "correct"
    assert submissions.submit_flag(ctx, who, dynamic.id, "flag{test}").status == "correct"
    hints.unlock_hint(ctx, who, hint.id)
    stored = content.save_file(ctx, static.id, "notes.txt", b"hello")
    return {"user": user, "team": team, "static": static, "dynamic": dynamic, "hint": hint, "file": stored}


def _corrupt(ctx: Context, *statements: str) -> None:
    """Run SQL with foreign keys off, as damage from outside the application would."""
    url = ctx.db.url
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
        try:
            conn.execute("PRAGMA foreign_keys=OFF")
            for statement in statements:
                conn.execute(statement)
        finally:
            conn.close()
        return
    with ctx.db.engine.begin() as c:
        c.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for statement in statements:
            c.execute(text(statement))


def _env(ctx: Context, settings: Any) -> dict[str, str]:
    return {
        "KIZUNA_DATABASE_URL": ctx.db.url,
        "KIZUNA_DATA_DIR": str(settings.data_dir),
        "KIZUNA_SECRET_KEY": "doctor-test-secret",
        "KIZUNA_ENVIRONMENT": "test",
        "KIZUNA_REDIS_URL": "",
        "LANG": "",
        "LC_ALL": "",
        "LC_MESSAGES": "",
    }


def test_a_healthy_database_passes(backend: str, ctx: Context, settings_and_ctx: Any, world: Any) -> None:
    report = doctor.examine(ctx)
    assert report.problems == []
    assert set(report.checked) >= {"migrations", "orphans", "files", "scores", "hints", "values", "revisions"}
    result = CliRunner().invoke(cli, ["doctor"], env=_env(ctx, settings_and_ctx[0]))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "No problems found."


def test_partial_awards_and_practice_challenges_are_scored_as_the_board_does(
    ctx: Context, make: Factory, world: Any
) -> None:
    """A judge's partial award counts its own value; a challenge marked practice after it was solved
    counts for no one — on the board and in the doctor's recomputation alike (no false alarm)."""
    from kizuna.storage import tables as t

    with ctx.write() as uow:
        solve = uow.session.query(t.Solve).filter_by(challenge_id=world["static"].id).one()
        solve.value = 40  # accepted for part of its points
        row = uow.session.get(t.Challenge, world["dynamic"].id)
        assert row is not None
        row.practice = True
    report = doctor.examine(ctx)
    assert report.problems == [], report.problems


def test_each_kind_of_damage_is_reported(
    backend: str, ctx: Context, settings_and_ctx: Any, world: Any
) -> None:
    team, static, dynamic, hint = world["team"], world["static"], world["dynamic"], world["hint"]
    Path(ctx.upload_dir, world["file"].location).unlink()
    _corrupt(
        ctx,
        # A solve, a submission, an unlock and an award of an account that no longer exists.
        f"INSERT INTO solves (challenge_id, user_id, team_id, account_id, date) "
        f"VALUES ({static.id}, {world['user'].id}, {team.id}, 9999, '2026-01-01 00:00:00')",
        "INSERT INTO submissions "
        "(challenge_id, user_id, team_id, account_id, ip, provided, type, late, date) "
        f"VALUES (8888, {world['user'].id}, {team.id}, {team.id}, '', 'x', 'incorrect', false, "
        f"'2026-01-01 00:00:00')",
        f"INSERT INTO unlocks (user_id, team_id, account_id, target, type, date) "
        f"VALUES ({world['user'].id}, {team.id}, {team.id}, 7777, 'hints', '2026-01-01 00:00:00')",
        "INSERT INTO awards (user_id, team_id, account_id, name, description, value, category, icon, date) "
        "VALUES (6666, NULL, 6666, 'Gift', '', 5, '', '', '2026-01-01 00:00:00')",
        # The hint's charge vanished; the dynamic challenge's stored value drifted; a counter broke.
        f"DELETE FROM awards WHERE name = 'Hint {hint.id}'",
        f"UPDATE challenges SET value = 123 WHERE id = {dynamic.id}",
        "UPDATE revisions SET value = -1 WHERE name = 'scoreboard'",
        "DELETE FROM revisions WHERE name = 'challenges'",
    )
    report = doctor.examine(ctx)
    kinds = {p.kind for p in report.problems}
    assert kinds >= {
        "orphan_row",
        "file_missing",
        "hint_charge_mismatch",
        "value_mismatch",
        "revision_invalid",
        "revision_missing",
    }, report.problems
    orphans = {(p.params["table"], p.params["missing"]) for p in report.problems if p.kind == "orphan_row"}
    assert orphans >= {
        ("solves", "account"),
        ("submissions", "challenge"),
        ("unlocks", "hint"),
        ("awards", "user"),
        ("awards", "account"),
    }
    value = next(p for p in report.problems if p.kind == "value_mismatch")
    assert value.params["value"] == 123 and value.params["expected"] == 500
    charge = next(p for p in report.problems if p.kind == "hint_charge_mismatch")
    assert charge.params["cost"] == 10 and charge.params["charged"] == 0

    result = CliRunner().invoke(cli, ["doctor", "--lang", "ja"], env=_env(ctx, settings_and_ctx[0]))
    assert result.exit_code == 1, result.output
    assert f"問題 {dynamic.id}（{dynamic.name}）の配点は 123点ですが、計算式では 500点です。" in result.output
    assert f"見つかった異常：{len(report.problems)}件。" in result.output
    english = CliRunner().invoke(
        cli, ["doctor"], env={**_env(ctx, settings_and_ctx[0]), "LANG": "en_GB.UTF-8"}
    )
    assert english.exit_code == 1
    assert f"Problems found: {len(report.problems)}." in english.output


def test_duplicate_solves_and_scores_off_the_board_are_reported(ctx: Context, world: Any) -> None:
    team, static = world["team"], world["static"]
    # The unique key on (challenge, account) keeps a second solve out: a damaged copy without it
    # (the table rebuilt without its constraints) is what lets one in.
    _corrupt(
        ctx,
        "CREATE TABLE solves_copy AS SELECT * FROM solves",
        "DROP TABLE solves",
        "ALTER TABLE solves_copy RENAME TO solves",
        f"INSERT INTO solves (id, challenge_id, user_id, team_id, account_id, date) "
        f"VALUES (1000, {static.id}, {world['user'].id}, {team.id}, {team.id}, '2026-01-01 00:00:00')",
    )
    report = doctor.examine(ctx)
    duplicate = next(p for p in report.problems if p.kind == "duplicate_solve")
    assert duplicate.params == {"challenge_id": static.id, "account_id": team.id, "count": 2}
    # The scoreboard's sum counts the duplicate; the recomputation counts the solve once.
    mismatch = next(p for p in report.problems if p.kind == "score_mismatch")
    assert mismatch.params["board"] == mismatch.params["expected"] + static.value


def test_an_outdated_schema_is_reported_first(ctx: Context, settings_and_ctx: Any) -> None:
    with ctx.db.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0006'"))
    report = doctor.examine(ctx)
    assert [p.kind for p in report.problems] == ["migrations_outdated"]
    result = CliRunner().invoke(cli, ["doctor", "--lang", "ja"], env=_env(ctx, settings_and_ctx[0]))
    assert result.exit_code == 1
    assert "データベースのスキーマが最新ではありません。" in result.output
