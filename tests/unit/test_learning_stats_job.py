"""The learning statistics job (services.learning_stats, jobs.learning_stats): the derived tables
from a scripted event sequence with a controllable clock — streaks counted in each player's own zone
(Tokyo's midnight is not London's) — idempotent replay, bounded batches that add up to the same
totals, a failed batch that changes nothing, and ``rebuild`` equal to the incremental result."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kizuna.domain.progress import XP_EVENTS, xp_of
from kizuna.jobs.learning_stats import LearningStatsWatch
from kizuna.services import learning_stats, progress
from kizuna.storage import tables as t


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _zone(ctx: Any, user_id: int, zone: str) -> None:
    with ctx.write() as uow:
        uow.session.get(t.User, user_id).time_zone = zone


def emit(ctx: Any, clock: Clock, at: datetime, kind: str, user_id: int, **extra: Any) -> None:
    clock.now = at
    data: dict[str, Any] = {"user_id": user_id}
    if kind == "solve":
        data |= {
            "challenge_id": extra.get("challenge_id", 1),
            "account_id": user_id,
            "first_blood": 0,
            "value": extra.get("value", 100),
        }
    elif kind == "practice_solve":
        data |= {"challenge_id": extra.get("challenge_id", 1), "account_id": user_id}
    elif kind == "task_completed":
        data |= {
            "track_key": extra["track"],
            "module_key": "m1",
            "lesson_key": "l1",
            "task_key": extra.get("task", "t1"),
            "required": extra.get("required", True),
        }
    elif kind == "lesson_completed":
        data |= {"track_key": extra["track"], "module_key": "m1", "lesson_key": "l1"}
    elif kind == "track_completed":
        data |= {"track_key": extra["track"]}
    with ctx.write() as uow:
        uow.emit(kind, data, audience="account", account_id=user_id)


def snapshot(ctx: Any) -> dict[str, Any]:
    with ctx.db.read() as s:
        return {
            "stats": sorted(
                (r.user_id, r.xp, r.level, r.run, r.longest, r.last_day, r.zone, r.activities)
                for r in s.scalars(select(t.LearnerStats))
            ),
            "days": sorted((r.user_id, r.day, r.count, r.xp) for r in s.scalars(select(t.LearnerDay))),
            "xp": sorted(
                (r.user_id, r.scope, r.track_key, r.xp, r.reached_at) for r in s.scalars(select(t.LearnerXp))
            ),
        }


@pytest.fixture
def script(ctx: Any, make: Any) -> dict[str, Any]:
    """Tokyo and London players (and one without a zone: the event's first, London by default)
    active around both midnights."""
    clock = Clock(datetime(2026, 11, 1, 12, 0))
    ctx.now = clock
    tokyo, london, plain = make.user("tokyo"), make.user("london"), make.user("nozone")
    _zone(ctx, tokyo.id, "Asia/Tokyo")
    _zone(ctx, london.id, "Europe/London")
    ch = make.challenge(name="Warm-up")
    for uid in (tokyo.id, london.id, plain.id):
        # 14:30 UTC: 23:30 in Tokyo (1 Nov), 14:30 in London (1 Nov).
        emit(ctx, clock, datetime(2026, 11, 1, 14, 30), "solve", uid, challenge_id=ch.id, value=100)
        # 15:30 UTC: 00:30 in Tokyo (2 Nov), 15:30 in London (still 1 Nov).
        emit(ctx, clock, datetime(2026, 11, 1, 15, 30), "practice_solve", uid, challenge_id=ch.id)
    # 23:30 UTC on 2 Nov: 23:30 in London (2 Nov), 08:30 in Tokyo (3 Nov).
    emit(ctx, clock, datetime(2026, 11, 2, 23, 30), "task_completed", tokyo.id, track="web", required=True)
    emit(ctx, clock, datetime(2026, 11, 2, 23, 30), "lesson_completed", tokyo.id, track="web")
    emit(
        ctx, clock, datetime(2026, 11, 2, 23, 30), "task_completed", london.id, track="crypto", required=False
    )
    emit(ctx, clock, datetime(2026, 11, 2, 23, 31), "track_completed", london.id, track="crypto")
    clock.now = datetime(2026, 11, 4, 10, 0)  # 19:00 in Tokyo, 10:00 in London on 4 Nov
    return {"clock": clock, "tokyo": tokyo, "london": london, "plain": plain, "challenge": ch}


def test_the_job_derives_xp_days_and_streaks_in_each_players_zone(
    backend: str, ctx: Any, script: dict[str, Any]
) -> None:
    turn = LearningStatsWatch(ctx).check()
    assert turn.applied == 10 and turn.batches == 1
    tokyo, london, plain = script["tokyo"], script["london"], script["plain"]
    with ctx.db.read() as s:
        t_stats, l_stats, p_stats = (s.get(t.LearnerStats, u.id) for u in (tokyo, london, plain))
        t_days = {
            r.day: (r.count, r.xp)
            for r in s.scalars(select(t.LearnerDay).where(t.LearnerDay.user_id == tokyo.id))
        }
        l_days = {
            r.day: (r.count, r.xp)
            for r in s.scalars(select(t.LearnerDay).where(t.LearnerDay.user_id == london.id))
        }
        cursor = s.get(t.JobCursor, "learning_stats").last_event_id
        newest = s.scalar(select(t.EventLog.id).order_by(t.EventLog.id.desc()).limit(1))
    assert cursor == newest
    # Tokyo: 1 Nov (solve 20 XP), 2 Nov (practice 10), 3 Nov (task 10 + lesson 20): three days running.
    assert t_days == {date(2026, 11, 1): (1, 20), date(2026, 11, 2): (1, 10), date(2026, 11, 3): (1, 30)}
    assert (t_stats.xp, t_stats.run, t_stats.longest, t_stats.last_day) == (60, 3, 3, date(2026, 11, 3))
    assert t_stats.zone == "Asia/Tokyo" and t_stats.activities == 3
    # London: both of 1 Nov's in one day, then 2 Nov (optional task 5 + track 100).
    assert l_days == {date(2026, 11, 1): (2, 30), date(2026, 11, 2): (1, 105)}
    assert (l_stats.xp, l_stats.level, l_stats.run, l_stats.longest) == (135, 2, 2, 2)
    # No zone of their own: the event's first (Europe/London by default).
    assert (p_stats.xp, p_stats.run, p_stats.last_day, p_stats.zone) == (
        30,
        1,
        date(2026, 11, 1),
        "Europe/London",
    )
    # Read back on 4 Nov: Tokyo's streak goes on (yesterday was active), London's ended.
    tp, lp = progress.user_progress(ctx, tokyo), progress.user_progress(ctx, london)
    assert (tp.current_streak, tp.longest_streak, tp.today) == (3, 3, date(2026, 11, 4))
    assert (lp.current_streak, lp.longest_streak) == (0, 2)
    assert lp.level.number == 2 and lp.to_next == 250 - 135
    assert [(d.day, d.count) for d in tp.days if d.count] == [(day, 1) for day in sorted(t_days)]
    # Per track, per ISO week and month of the player's own day.
    with ctx.db.read() as s:
        scopes = {
            (r.scope, r.track_key): r.xp
            for r in s.scalars(select(t.LearnerXp).where(t.LearnerXp.user_id == tokyo.id))
        }
    # 1 Nov 2026 is a Sunday (ISO week 44); Tokyo's 2 and 3 Nov are in week 45.
    assert scopes == {
        ("all", ""): 60,
        ("all", "web"): 30,
        ("W2026-44", ""): 20,
        ("W2026-45", ""): 40,
        ("W2026-45", "web"): 30,
        ("M2026-11", ""): 60,
        ("M2026-11", "web"): 30,
    }


def test_replaying_never_counts_twice(backend: str, ctx: Any, script: dict[str, Any]) -> None:
    learning_stats.catch_up(ctx)
    once = snapshot(ctx)
    again = learning_stats.catch_up(ctx)
    assert again.applied == 0 and again.batches == 0
    assert snapshot(ctx) == once


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_bounded_batches_add_up_to_the_same_totals_and_rebuild_equals_incremental(
    ctx: Any, script: dict[str, Any], limit: int
) -> None:
    first = learning_stats.advance(ctx, limit)
    assert first.applied == limit  # one bounded batch only
    learning_stats.catch_up(ctx, limit=limit, max_batches=100)
    incremental = snapshot(ctx)
    learning_stats.rebuild(ctx, limit=limit)
    assert snapshot(ctx) == incremental
    learning_stats.rebuild(ctx)
    assert snapshot(ctx) == incremental
    assert incremental["stats"]


def test_a_failed_batch_changes_nothing_and_the_next_turn_counts_it_once(
    ctx: Any, script: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = learning_stats.apply_events

    def broken(s: Any, events: Any, rules: Any, now: Any) -> int:
        real(s, events, rules, now)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(learning_stats, "apply_events", broken)
    with pytest.raises(RuntimeError):
        learning_stats.advance(ctx)
    assert snapshot(ctx) == {"stats": [], "days": [], "xp": []}
    monkeypatch.setattr(learning_stats, "apply_events", real)
    learning_stats.catch_up(ctx)
    with ctx.db.read() as s:
        assert s.get(t.LearnerStats, script["tokyo"].id).xp == 60


def test_new_events_after_a_turn_are_added_to_the_totals(
    backend: str, ctx: Any, script: dict[str, Any]
) -> None:
    learning_stats.catch_up(ctx)
    clock, tokyo = script["clock"], script["tokyo"]
    emit(
        ctx,
        clock,
        datetime(2026, 11, 4, 1, 0),
        "practice_solve",
        tokyo.id,
        challenge_id=script["challenge"].id,
    )
    clock.now = datetime(2026, 11, 4, 2, 0)
    learning_stats.catch_up(ctx)
    p = progress.user_progress(ctx, tokyo)
    assert (p.xp, p.current_streak, p.longest_streak) == (70, 4, 4)
    incremental = snapshot(ctx)
    learning_stats.rebuild(ctx)
    assert snapshot(ctx) == incremental


def test_on_postgresql_only_settled_events_are_read(backend: str, ctx: Any, script: dict[str, Any]) -> None:
    """An id can commit after a larger one on PostgreSQL: events younger than SETTLE wait a turn."""
    learning_stats.catch_up(ctx)
    clock, tokyo = script["clock"], script["tokyo"]
    emit(
        ctx,
        clock,
        datetime(2026, 11, 4, 10, 0),
        "practice_solve",
        tokyo.id,
        challenge_id=script["challenge"].id,
    )
    clock.now = datetime(2026, 11, 4, 10, 0, 5)
    learning_stats.catch_up(ctx)
    with ctx.db.read() as s:
        xp = s.get(t.LearnerStats, tokyo.id).xp
    assert xp == (60 if backend == "postgresql" else 70)
    clock.now = datetime(2026, 11, 4, 10, 1)
    learning_stats.catch_up(ctx)
    with ctx.db.read() as s:
        assert s.get(t.LearnerStats, tokyo.id).xp == 70


event_kinds = st.sampled_from(
    ["solve", "practice_solve", "task_completed", "lesson_completed", "track_completed"]
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    events=st.lists(
        st.tuples(st.integers(0, 1), event_kinds, st.integers(0, 72), st.integers(-50, 900), st.booleans()),
        min_size=1,
        max_size=12,
    ),
    limit=st.integers(1, 6),
)
def test_any_event_sequence_totals_once_whatever_the_batches(
    ctx: Any, script: dict[str, Any], events: list[tuple[int, str, int, int, bool]], limit: int
) -> None:
    """Random events for two players, read in random batch sizes: each user's XP is the sum of the
    rules over the whole log, reading again adds nothing, and a rebuild gives the same rows."""
    clock = script["clock"]
    users = [script["tokyo"].id, script["london"].id]
    for who, kind, hours, value, required in events:
        at = datetime(2026, 11, 5) + timedelta(hours=hours)
        emit(
            ctx,
            clock,
            at,
            kind,
            users[who],
            challenge_id=script["challenge"].id,
            value=value,
            track="web",
            required=required,
        )
    clock.now = datetime(2026, 11, 9)
    learning_stats.catch_up(ctx, limit=limit, max_batches=1000)
    with ctx.db.read() as s:
        logged = [
            (e.type, e.data) for e in s.scalars(select(t.EventLog).where(t.EventLog.type.in_(XP_EVENTS)))
        ]
        stats = {u: s.get(t.LearnerStats, u).xp for u in users}
    for u in users:
        assert stats[u] == sum(xp_of(kind, data, ctx.xp) for kind, data in logged if data["user_id"] == u)
    once = snapshot(ctx)
    assert learning_stats.catch_up(ctx, limit=limit).applied == 0
    assert snapshot(ctx) == once
    learning_stats.rebuild(ctx, limit=limit)
    assert snapshot(ctx) == once


def test_several_workers_at_once_count_each_event_once(
    backend: str, ctx: Any, script: dict[str, Any]
) -> None:
    """Workers of several processes run the job at the same moment: the locked cursor lets one
    apply each batch, so the totals are those of one reader."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        turns = list(pool.map(lambda _: learning_stats.catch_up(ctx, limit=1, max_batches=50), range(4)))
    assert sum(turn.applied for turn in turns) == 10
    together = snapshot(ctx)
    learning_stats.rebuild(ctx)
    assert snapshot(ctx) == together
    with ctx.db.read() as s:
        assert s.get(t.LearnerStats, script["tokyo"].id).xp == 60
