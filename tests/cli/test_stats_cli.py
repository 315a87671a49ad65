"""``kizuna stats rebuild``: the learning statistics recomputed from the whole event log."""

from __future__ import annotations

from typing import Any

from kizuna.services import accounts
from kizuna.settings import load_settings
from kizuna.storage import tables as t
from kizuna.web.app import build_context
from tests.conftest import PASSWORD


def test_stats_rebuild_counts_the_log_from_its_start(run: Any, env: dict[str, str]) -> None:
    assert run("db", "upgrade").exit_code == 0
    ctx = build_context(load_settings(environ=env))
    try:
        user = accounts.register_user(ctx, "learner", PASSWORD, by_admin=True)
        with ctx.write() as uow:
            uow.emit("track_completed", {"track_key": "web", "user_id": user.id}, audience="account")
            # A stale derived row that the rebuild must replace.
            uow.session.add(t.LearnerStats(user_id=user.id, xp=999, level=5, run=9, longest=9))
        result = run("stats", "rebuild")
        assert result.exit_code == 0, result.output
        assert "1 events counted" in result.stdout
        with ctx.db.read() as s:
            row = s.get(t.LearnerStats, user.id)
            assert (row.xp, row.level, row.run, row.longest) == (100, 2, 1, 1)
        assert run("stats", "rebuild").exit_code == 0  # again: the same
        with ctx.db.read() as s:
            assert s.get(t.LearnerStats, user.id).xp == 100
    finally:
        ctx.db.dispose()
