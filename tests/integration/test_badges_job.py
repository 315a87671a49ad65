"""The badge job (services.badges, jobs.badges) on a scripted event log: what it awards and when,
each badge once with its ``badge_awarded`` in the same transaction, bounded batches that catch up
from any point, a rebuild that keeps what was awarded, and (PostgreSQL) several workers at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from kizuna.domain.badges import BadgeDefinitionError
from kizuna.jobs.badges import BadgeWatch
from kizuna.services import badges
from kizuna.services.context import Context
from kizuna.settings import SettingsError
from kizuna.storage import badge_queries as q
from kizuna.storage import repo
from kizuna.storage import tables as t
from tests.conftest import Factory, _settings
from tests.racing import race

START = datetime(2026, 11, 2, 9, 0)


class Clock:
    def __init__(self, ctx: Context) -> None:
        self.now = START
        ctx.now = lambda: self.now


def _mode(ctx: Context, mode: str) -> None:
    with ctx.db.write() as s:
        repo.event(s).mode = mode


def emit(ctx: Context, type: str, **data: Any) -> None:
    with ctx.write() as uow:
        uow.emit(type, data, audience="account", account_id=data.get("account_id"))


def solve(ctx: Context, user: int, challenge: int, blood: int = 0, account: int | None = None) -> None:
    emit(
        ctx,
        "solve",
        challenge_id=challenge,
        account_id=account or user,
        user_id=user,
        first_blood=blood,
        value=100,
    )


def awards(ctx: Context) -> list[tuple[int, str, datetime]]:
    with ctx.db.read() as s:
        rows = s.execute(select(t.BadgeAward.user_id, t.BadgeAward.badge_key, t.BadgeAward.awarded_at))
        return sorted((int(u), str(k), at) for u, k, at in rows)


def announced(ctx: Context) -> list[tuple[str, int, str, int | None]]:
    with ctx.db.read() as s:
        rows = s.scalars(select(t.EventLog).where(t.EventLog.type == "badge_awarded").order_by(t.EventLog.id))
        return [(r.data["badge_key"], r.data["user_id"], r.audience, r.account_id) for r in rows]


def script(ctx: Context, make: Factory) -> tuple[Any, Any, Clock]:
    """Alice: five web solves (one first blood), two days of practice; Bob: a prized write-up and
    five lessons over seven days in Tokyo, then a track."""
    _mode(ctx, "users")
    clock = Clock(ctx)
    alice, bob = make.user("alice"), make.user("bob")
    with ctx.db.write() as s:
        s.get(t.User, bob.id).time_zone = "Asia/Tokyo"  # type: ignore[union-attr]
    web = [make.challenge(category="Web").id for _ in range(5)]
    for i, ch in enumerate(web[:4]):
        solve(ctx, alice.id, ch, blood=1 if i == 0 else 2)
    clock.now += timedelta(days=1)
    emit(ctx, "practice_solve", challenge_id=web[4], account_id=alice.id, user_id=alice.id)
    with ctx.db.write() as s:
        w = t.Writeup(challenge_id=web[0], account_id=bob.id, user_id=bob.id, content="x", locale="en")
        s.add(w)
        s.flush()
        writeup = w.id
    emit(ctx, "writeup_prize", writeup_id=writeup, challenge_id=web[0], account_id=bob.id, prize=True)
    for day in range(7):
        # 16:00 UTC is 01:00 the next day in Tokyo: Bob's days are Tokyo days.
        clock.now = START.replace(hour=16) + timedelta(days=day)
        emit(
            ctx,
            "lesson_completed",
            track_key="web",
            module_key="m1",
            lesson_key=f"l{day % 5}",
            user_id=bob.id,
        )
    clock.now += timedelta(hours=1)
    emit(ctx, "track_completed", track_key="web", user_id=bob.id)
    return alice, bob, clock


EXPECTED = {
    "alice": {"first-blood", "web-adept"},
    "bob": {"helpful-writeup", "first-lessons", "streak-7", "track-graduate"},
}


def _by_user(ctx: Context, alice: Any, bob: Any) -> dict[str, set[str]]:
    names = {alice.id: "alice", bob.id: "bob"}
    out: dict[str, set[str]] = {"alice": set(), "bob": set()}
    for user, key, _at in awards(ctx):
        out[names[user]].add(key)
    return out


def test_the_job_awards_from_the_event_log_once(backend: str, ctx: Context, make: Factory) -> None:
    alice, bob, clock = script(ctx, make)
    clock.now += timedelta(minutes=5)
    awarded = BadgeWatch(ctx).check()
    assert _by_user(ctx, alice, bob) == EXPECTED
    assert len(awarded) == 6
    # Each award announced once, to the account alone, in the same transaction as the row.
    assert sorted(announced(ctx)) == sorted((key, user, "account", user) for user, key, _ in awards(ctx))
    dates = {(u, k): at for u, k, at in awards(ctx)}
    assert dates[(alice.id, "first-blood")] == START  # the time of the event that completed it
    assert dates[(alice.id, "web-adept")] == START + timedelta(days=1)
    assert dates[(bob.id, "streak-7")] == START.replace(hour=16) + timedelta(days=6)
    # Looking again finds nothing new and announces nothing again.
    assert BadgeWatch(ctx).check() == []
    assert len(announced(ctx)) == 6
    with ctx.db.read() as s:
        assert q.read_cursor(s) == q.latest_event_id(s)  # its own announcements read past too


def test_small_batches_catch_up_from_any_point(ctx: Context, make: Factory) -> None:
    alice, bob, clock = script(ctx, make)
    clock.now += timedelta(minutes=5)
    first = badges.evaluate_batch(ctx, limit=4)
    assert first.read == 4 and not first.done
    badges.catch_up(ctx, limit=3)
    assert _by_user(ctx, alice, bob) == EXPECTED
    # More events later: the job goes on from its cursor.
    late = make.challenge(category="web").id
    emit(ctx, "solve", challenge_id=late, account_id=bob.id, user_id=bob.id, first_blood=1, value=100)
    assert [(e.user_id, e.badge_key) for e in badges.catch_up(ctx, limit=2)] == [(bob.id, "first-blood")]


def test_rebuild_keeps_awards_and_restores_missing_ones(ctx: Context, make: Factory) -> None:
    _alice, bob, clock = script(ctx, make)
    clock.now += timedelta(minutes=5)
    badges.catch_up(ctx)
    before = awards(ctx)
    assert badges.rebuild(ctx) == []  # everything again, nothing twice
    assert awards(ctx) == before and len(announced(ctx)) == 6
    with ctx.db.write() as s:
        s.execute(delete(t.BadgeAward).where(t.BadgeAward.badge_key == "streak-7"))
    assert [(e.user_id, e.badge_key) for e in badges.rebuild(ctx)] == [(bob.id, "streak-7")]
    assert awards(ctx) == before


def test_team_mode_announces_to_the_team_and_skips_deleted_users(ctx: Context, make: Factory) -> None:
    clock = Clock(ctx)
    member, team = make.player_in_team()
    gone = make.user()
    _mode(ctx, "teams")
    ch = make.challenge(category="crypto").id
    solve(ctx, member.id, ch, blood=1, account=team.id)
    solve(ctx, gone.id, ch, blood=1, account=gone.id)
    with ctx.db.write() as s:
        s.execute(delete(t.User).where(t.User.id == gone.id))
    clock.now += timedelta(minutes=1)
    badges.catch_up(ctx)
    assert [(u, k) for u, k, _ in awards(ctx)] == [(member.id, "first-blood")]
    assert announced(ctx) == [("first-blood", member.id, "account", team.id)]


def test_a_young_gap_in_the_ids_is_waited_for() -> None:
    now = datetime(2026, 1, 1, 12, 0)
    rows = [q.LogRow(5, "solve", {}, now), q.LogRow(7, "solve", {}, now - timedelta(seconds=1))]
    assert [r.id for r in badges._taken(rows, 4, now)[0]] == [5]
    assert badges._taken(rows, 4, now)[1] is True
    old = [
        q.LogRow(5, "solve", {}, now),
        q.LogRow(7, "solve", {}, now - badges.SETTLE - timedelta(seconds=1)),
    ]
    assert [r.id for r in badges._taken(old, 4, now)[0]] == [5, 7]


def test_badges_added_to_the_definitions_later_are_awarded_by_the_recheck(
    tmp_path: Path, ctx: Context, make: Factory
) -> None:
    clock = Clock(ctx)
    user = make.user()
    for _ in range(2):
        solve(ctx, user.id, make.challenge(category="misc").id)
    clock.now += timedelta(minutes=1)
    assert badges.catch_up(ctx) == []
    extra = tmp_path / "mine.yml"
    extra.write_text(
        "badges:\n  - key: misc-2\n    name: {en: Misc pair, ja: ミスク二問}\n"
        "    description: {en: Two misc solves., ja: miscを2問解いた。}\n    icon: star\n"
        "    rule: {kind: category_mastery, category: misc, solves: 2}\n",
        encoding="utf-8",
    )
    ctx.badges = badges.load_catalogue(extra)
    assert [(e.user_id, e.badge_key) for e in badges.recheck(ctx)] == [(user.id, "misc-2")]
    assert badges.recheck(ctx) == []


def test_an_organisers_file_is_checked_at_start_up(tmp_path: Path) -> None:
    from kizuna.web.app import build_context

    bad = tmp_path / "bad.yml"
    bad.write_text("badges:\n  - key: x\n    icon: star\n", encoding="utf-8")
    settings = _settings(tmp_path, f"sqlite:///{tmp_path / 'k.db'}", badges_file=str(bad))
    with pytest.raises(SettingsError, match=r"KIZUNA_BADGES_FILE: bad.yml, badge 1 \(x\): name must give"):
        build_context(settings)
    with pytest.raises(BadgeDefinitionError, match="no such file"):
        badges.load_catalogue(tmp_path / "missing.yml")
    (tmp_path / "broken.yml").write_text("badges: [", encoding="utf-8")
    with pytest.raises(BadgeDefinitionError, match=r"broken\.yml: not valid YAML"):
        badges.load_catalogue(tmp_path / "broken.yml")


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_many_workers_award_each_badge_once(backend: str, ctx: Context, make: Factory) -> None:
    alice, bob, clock = script(ctx, make)
    clock.now += timedelta(minutes=5)

    def work(i: int) -> Any:
        # Half the workers catch up in small batches, half read the whole log again at once.
        return badges.catch_up(ctx, limit=2) if i % 2 else badges.rebuild(ctx)

    results = race(6, work)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert _by_user(ctx, alice, bob) == EXPECTED
    assert sum(len(r) for r in results if isinstance(r, list)) == 6  # each award made by one worker
    assert len(announced(ctx)) == 6
    with ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(t.BadgeAward)) == 6
