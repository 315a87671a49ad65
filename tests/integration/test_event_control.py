"""Event control through the services (kizuna.services.event_control) on a real database: each
action changes the event, bumps the revisions, appends its ``event_state`` and an audit entry in one
transaction, refusals store nothing, and the clock's milestones are appended once however many
processes notice them."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from kizuna.bus.memory import MemoryBus
from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.event_state import AUDIT_ACTIONS, MILESTONE_GRACE, EventState, Milestone
from kizuna.jobs.event_clock import ClockWatch
from kizuna.services import event, event_control
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import tables as t
from kizuna.storage.db import CHALLENGES, SCOREBOARD, Database, revisions

T0 = datetime(2026, 11, 28, 12, 0, 0)


@pytest.fixture
def clock(ctx: Context) -> dict[str, datetime]:
    """A settable clock for the context: ``clock["now"]``."""
    box = {"now": T0}
    ctx.now = lambda: box["now"]
    return box


@pytest.fixture
def admin(make: Any) -> Principal:
    return replace(Principal.of(make.admin("chief")), address="203.0.113.9")


def events(ctx: Context, type: str | None = None) -> list[t.EventLog]:
    with ctx.db.read() as s:
        query = select(t.EventLog).order_by(t.EventLog.id)
        if type:
            query = query.where(t.EventLog.type == type)
        return list(s.scalars(query))


def audits(ctx: Context) -> list[t.AuditEntry]:
    """The audit entries of event control actions (not the settings form's)."""
    with ctx.db.read() as s:
        query = select(t.AuditEntry).where(t.AuditEntry.action.in_(list(AUDIT_ACTIONS.values())))
        return list(s.scalars(query.order_by(t.AuditEntry.id)))


def revs(ctx: Context) -> dict[str, int]:
    with ctx.db.read() as s:
        return revisions(s)


def schedule(ctx: Context, **times: Any) -> None:
    event.update_event(ctx, times)


def test_start_now(backend: str, ctx: Context, clock: dict[str, datetime], admin: Principal) -> None:
    schedule(ctx, start_at=T0 + timedelta(hours=1), end_at=T0 + timedelta(hours=9))
    clock["now"] = T0 + timedelta(microseconds=250_000)
    published: list[dict[str, Any]] = []
    ctx.bus.subscribe(published.append)
    before = revs(ctx)

    ev = event_control.start_now(ctx, admin)

    assert ev.start_at == T0 and event.phase(ctx).value == "running"
    [state] = events(ctx, "event_state")
    assert state.data == {"state": "started", "reason": {}, "end_at": "2026-11-28T21:00:00Z"}
    assert (state.audience, state.key) == ("public", "event_state:started:2026-11-28T12:00:00")
    after = revs(ctx)
    assert after[SCOREBOARD] == before[SCOREBOARD] + 1 and after[CHALLENGES] == before[CHALLENGES] + 1
    # The bumped scoreboard appends its own event; both are published after the commit.
    assert [e["type"] for e in published] == ["event_state", "scoreboard"]
    [entry] = audits(ctx)
    assert (entry.action, entry.actor_name, entry.actor_role, entry.target_type, entry.target_id) == (
        "event.started",
        "chief",
        "admin",
        "event",
        "1",
    )
    assert entry.address == "203.0.113.9"
    assert entry.before == {"start_at": "2026-11-28T13:00:00"} and entry.after == {
        "start_at": "2026-11-28T12:00:00"
    }


def test_refusals_store_nothing(
    backend: str, ctx: Context, clock: dict[str, datetime], admin: Principal
) -> None:
    schedule(ctx, start_at=T0 - timedelta(hours=1), end_at=T0 + timedelta(hours=1))
    before = (len(events(ctx)), revs(ctx), len(audits(ctx)))
    for call, code in (
        (lambda: event_control.start_now(ctx, admin), ErrorCode.EVENT_ALREADY_STARTED),
        (lambda: event_control.resume(ctx, admin), ErrorCode.EVENT_NOT_PAUSED),
        (lambda: event_control.unfreeze(ctx, admin), ErrorCode.SCOREBOARD_NOT_FROZEN),
        (lambda: event_control.pause(ctx, admin, {"en": ""}), ErrorCode.REASON_REQUIRED),
        (lambda: event_control.pause(ctx, admin, {"en": "x" * 501}), ErrorCode.REASON_TOO_LONG),
        (lambda: event_control.extend(ctx, admin, minutes=0), ErrorCode.MINUTES_INVALID),
        (lambda: event_control.extend(ctx, admin, end_at=T0), ErrorCode.END_TOO_EARLY),
    ):
        with pytest.raises(DomainError) as caught:
            call()
        assert caught.value.code is code
    assert (len(events(ctx)), revs(ctx), len(audits(ctx))) == before
    ev = event.get_event(ctx)
    assert (ev.paused, ev.pause_reason, ev.end_at) == (False, None, T0 + timedelta(hours=1))


def test_pause_and_resume(backend: str, ctx: Context, clock: dict[str, datetime], admin: Principal) -> None:
    schedule(ctx, start_at=T0 - timedelta(hours=1), end_at=T0 + timedelta(hours=1))
    reason = {"en": "Network maintenance.", "ja": "ネットワーク保守中です。"}

    ev = event_control.pause(ctx, admin, reason)
    assert (ev.paused, ev.pause_reason, event.phase(ctx).value) == (True, reason, "paused")
    with pytest.raises(DomainError) as caught:
        event_control.pause(ctx, admin, {"en": "again"})
    assert caught.value.code is ErrorCode.EVENT_ALREADY_PAUSED

    ev = event_control.resume(ctx, admin)
    assert (ev.paused, ev.pause_reason, event.phase(ctx).value) == (False, None, "running")

    paused, resumed = events(ctx, "event_state")
    assert paused.data == {"state": "paused", "reason": reason, "end_at": "2026-11-28T13:00:00Z"}
    assert resumed.data == {"state": "resumed", "reason": {}, "end_at": "2026-11-28T13:00:00Z"}
    assert paused.key is None and resumed.key is None
    assert [(a.action, a.before, a.after) for a in audits(ctx)] == [
        ("event.paused", {"paused": False, "pause_reason": None}, {"paused": True, "pause_reason": reason}),
        ("event.resumed", {"paused": True, "pause_reason": reason}, {"paused": False, "pause_reason": None}),
    ]


def test_extend(backend: str, ctx: Context, clock: dict[str, datetime], admin: Principal) -> None:
    schedule(ctx, start_at=T0 - timedelta(hours=1), end_at=T0 + timedelta(hours=1))
    ev = event_control.extend(ctx, admin, minutes=30)
    assert ev.end_at == T0 + timedelta(hours=1, minutes=30)
    ev = event_control.extend(ctx, admin, end_at=datetime(2026, 11, 28, 23, 0, 0))
    assert ev.end_at == datetime(2026, 11, 28, 23, 0)
    assert [e.data for e in events(ctx, "event_state")] == [
        {"state": "extended", "reason": {}, "end_at": "2026-11-28T13:30:00Z"},
        {"state": "extended", "reason": {}, "end_at": "2026-11-28T23:00:00Z"},
    ]
    assert [(a.action, a.before, a.after) for a in audits(ctx)] == [
        ("event.extended", {"end_at": "2026-11-28T13:00:00"}, {"end_at": "2026-11-28T13:30:00"}),
        ("event.extended", {"end_at": "2026-11-28T13:30:00"}, {"end_at": "2026-11-28T23:00:00"}),
    ]


def test_freeze_and_unfreeze(
    backend: str, ctx: Context, clock: dict[str, datetime], admin: Principal
) -> None:
    schedule(ctx, start_at=T0 - timedelta(hours=1), end_at=T0 + timedelta(hours=1))
    ev = event_control.freeze_now(ctx, admin)
    assert ev.freeze_at == T0 and event.clock_of(ev).frozen(T0)
    with pytest.raises(DomainError) as caught:
        event_control.freeze_now(ctx, admin)
    assert caught.value.code is ErrorCode.SCOREBOARD_ALREADY_FROZEN
    ev = event_control.unfreeze(ctx, admin)
    assert ev.freeze_at is None
    frozen, unfrozen = events(ctx, "event_state")
    assert frozen.data == {"state": "frozen", "reason": {}, "end_at": "2026-11-28T13:00:00Z"}
    assert frozen.key == "event_state:frozen:2026-11-28T12:00:00"
    assert unfrozen.data == {"state": "unfrozen", "reason": {}, "end_at": "2026-11-28T13:00:00Z"}
    assert [a.action for a in audits(ctx)] == ["event.frozen", "event.unfrozen"]


def test_attempts_are_refused_while_paused(
    ctx: Context, clock: dict[str, datetime], admin: Principal, make: Any
) -> None:
    from kizuna.services import submissions

    schedule(ctx, start_at=T0 - timedelta(hours=1), end_at=T0 + timedelta(hours=1))
    user, _team = make.player_in_team()
    ch = make.challenge(flag="flag{live}")
    event_control.pause(ctx, admin, {"en": "Hold on."})
    player = Principal.of(user)
    result = submissions.submit_flag(ctx, player, ch.id, "flag{live}")
    assert result.status == "paused"
    event_control.resume(ctx, admin)
    assert submissions.submit_flag(ctx, player, ch.id, "flag{live}").status == "correct"


# --- milestones reached by the clock ----------------------------------------------------------------


def test_the_clock_watch_appends_each_milestone_once(
    backend: str, ctx: Context, clock: dict[str, datetime]
) -> None:
    schedule(ctx, start_at=T0, end_at=T0 + timedelta(hours=2), freeze_at=T0 + timedelta(hours=1))
    watch = ClockWatch(ctx)
    clock["now"] = T0 - timedelta(seconds=1)
    assert watch.check() == []
    clock["now"] = T0 + timedelta(seconds=1)
    assert watch.check() == [Milestone(EventState.STARTED, T0)]
    assert watch.check() == []
    # A second process (its own memory) finds it already stored.
    assert ClockWatch(ctx).check() == []
    clock["now"] = T0 + timedelta(hours=1, seconds=1)
    assert [m.state for m in watch.check()] == [EventState.FROZEN]
    clock["now"] = T0 + timedelta(hours=2, seconds=1)
    assert [m.state for m in watch.check()] == [EventState.ENDED]
    assert [(e.data["state"], e.key) for e in events(ctx, "event_state")] == [
        ("started", "event_state:started:2026-11-28T12:00:00"),
        ("frozen", "event_state:frozen:2026-11-28T13:00:00"),
        ("ended", "event_state:ended:2026-11-28T14:00:00"),
    ]
    assert events(ctx, "event_state")[-1].data == {
        "state": "ended",
        "reason": {},
        "end_at": "2026-11-28T14:00:00Z",
    }
    # Reading the clock writes nothing: no audit entry, no revision change.
    assert audits(ctx) == []


def test_stale_milestones_are_not_announced(ctx: Context, clock: dict[str, datetime]) -> None:
    schedule(ctx, start_at=T0 - MILESTONE_GRACE - timedelta(seconds=1), end_at=T0 + timedelta(hours=2))
    assert ClockWatch(ctx).check() == []
    assert events(ctx, "event_state") == []


def test_start_now_is_the_start_milestone(ctx: Context, clock: dict[str, datetime], admin: Principal) -> None:
    schedule(ctx, start_at=T0 + timedelta(hours=1), end_at=T0 + timedelta(hours=2))
    event_control.start_now(ctx, admin)
    clock["now"] = T0 + timedelta(seconds=2)
    assert ClockWatch(ctx).check() == []
    assert [e.data["state"] for e in events(ctx, "event_state")] == ["started"]


def test_a_milestone_no_longer_due_is_not_appended(
    ctx: Context, clock: dict[str, datetime], admin: Principal
) -> None:
    schedule(
        ctx,
        start_at=T0 - timedelta(hours=1),
        end_at=T0 + timedelta(hours=1),
        freeze_at=T0 - timedelta(seconds=5),
    )
    due = event_control.due(ctx)
    assert [m.state for m in due] == [EventState.FROZEN]
    event_control.unfreeze(ctx, admin)  # between the read and the write
    assert event_control.record_milestones(ctx, due) == []
    assert [e.data["state"] for e in events(ctx, "event_state")] == ["unfrozen"]


def test_two_processes_append_a_milestone_once(
    backend: str, ctx: Context, clock: dict[str, datetime]
) -> None:
    """Two emitters with their own engines (as two workers or replicas have) race for the same
    start: the event log keeps exactly one."""
    schedule(ctx, start_at=T0 - timedelta(seconds=1), end_at=T0 + timedelta(hours=1))
    contexts = [ctx, Context(db=Database(ctx.db.url), types=ctx.types, bus=MemoryBus(), now=ctx.now)]
    due = event_control.due(ctx)
    assert len(due) == 1
    barrier = threading.Barrier(len(contexts))
    results: list[list[Milestone]] = []
    failures: list[BaseException] = []

    def emit(c: Context) -> None:
        try:
            barrier.wait(timeout=30)
            results.append(event_control.record_milestones(c, due))
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=emit, args=(c,)) for c in contexts]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        contexts[1].db.dispose()
    assert failures == []
    assert sorted(len(r) for r in results) == [0, 1]
    with ctx.db.read() as s:
        stored = s.scalar(select(func.count()).select_from(t.EventLog).where(t.EventLog.key == due[0].key))
    assert stored == 1


def test_the_app_runs_the_clock_watch(client: Any, ctx: Context) -> None:
    """Started with the app: a start reached by the real clock is announced within seconds."""
    now = ctx.now()
    schedule(ctx, start_at=now - timedelta(seconds=1), end_at=now + timedelta(hours=1))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not events(ctx, "event_state"):
        time.sleep(0.1)
    [state] = events(ctx, "event_state")
    assert state.data["state"] == "started"
    assert (
        state.key == f"event_state:started:{(now - timedelta(seconds=1)).replace(microsecond=0).isoformat()}"
    )


def test_the_settings_form_pausing_resuming_and_moving_the_end_is_heard_live(
    backend: str, ctx: Context, clock: dict[str, datetime], admin: Principal
) -> None:
    event.update_event(ctx, {"start_at": T0 - timedelta(hours=1), "end_at": T0 + timedelta(hours=1)})
    event_control.pause(ctx, admin, {"en": "Network down", "ja": "ネットワーク障害"})
    event.update_event(ctx, {"paused": False})
    # Resuming from the settings form clears the reason, so a later pause there shows no stale one.
    assert event.get_event(ctx).pause_reason is None
    event.update_event(ctx, {"paused": True})
    event.update_event(ctx, {"end_at": T0 + timedelta(hours=3)})
    states = [(e.data["state"], e.data["reason"]) for e in events(ctx, "event_state")]
    assert states[-3:] == [("resumed", {}), ("paused", {}), ("extended", {})]
    assert events(ctx, "event_state")[-1].data["end_at"] == "2026-11-28T15:00:00Z"
    # Settings that are not about the clock say nothing of the event's state.
    before = len(events(ctx, "event_state"))
    event.update_event(ctx, {"registration_open": False})
    assert len(events(ctx, "event_state")) == before
