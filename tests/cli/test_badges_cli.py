"""``kizuna badges evaluate|rebuild|check`` and the organiser's definitions file checked at start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from kizuna.cli.main import app as cli
from kizuna.services import accounts
from kizuna.settings import load_settings
from kizuna.web.app import build_context

MINE = """badges:
  - key: pair
    name: {en: Pair, ja: ペア}
    description: {en: Two lessons., ja: レッスンを2つ修了した。}
    icon: book
    rule: {kind: lessons, count: 2}
"""


def test_evaluate_rebuild_and_check(run: Any, env: dict[str, str], tmp_path: Path) -> None:
    assert run("db", "upgrade").exit_code == 0
    ctx = build_context(load_settings(environ=env))
    try:
        user = accounts.register_user(ctx, "learner", "a long enough password", by_admin=True)
        with ctx.write() as uow:
            for n in range(5):
                lesson = {"track_key": "t", "module_key": "m", "lesson_key": f"l{n}", "user_id": user.id}
                uow.emit("lesson_completed", lesson, audience="account", account_id=user.id)
    finally:
        ctx.db.dispose()
    done = run("badges", "evaluate")
    assert done.exit_code == 0, done.output
    assert "1 badge(s) awarded." in done.output  # first-lessons
    assert "0 badge(s) awarded" in run("badges", "rebuild").output

    mine = tmp_path / "mine.yml"
    mine.write_text(MINE, encoding="utf-8")
    checked = run("badges", "check", str(mine))
    assert checked.exit_code == 0 and "badge(s) defined" in checked.output
    # With the organiser's file, the new badge goes to whoever already meets it.
    with_mine = CliRunner().invoke(cli, ["badges", "evaluate"], env={**env, "KIZUNA_BADGES_FILE": str(mine)})
    assert with_mine.exit_code == 0 and "1 badge(s) awarded." in with_mine.output

    bad = tmp_path / "bad.yml"
    bad.write_text(MINE.replace("icon: book", "icon: skull"), encoding="utf-8")
    refused = CliRunner().invoke(cli, ["badges", "check", str(bad)])
    assert refused.exit_code == 1 and "bad.yml, badge 1 (pair): icon must be one of" in refused.output
    stopped = CliRunner().invoke(cli, ["badges", "evaluate"], env={**env, "KIZUNA_BADGES_FILE": str(bad)})
    assert stopped.exit_code == 2 and "KIZUNA_BADGES_FILE: bad.yml" in stopped.output
