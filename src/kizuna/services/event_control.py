"""Running the event live: start now, pause with a reason, resume, extend the end, freeze and
unfreeze the scoreboard — and the milestones the clock reaches by itself.

Each action is one unit of work: the event row is read (locked, on PostgreSQL) and the action is
planned again on what is stored (``domain.event_state.plan``), so a refused transition stores
nothing; an accepted one changes the event, bumps the scoreboard and challenge revisions, appends
an ``event_state`` event and an audit entry, all in one transaction. ``preview`` plans without
writing, for the confirmation step of the event control page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kizuna.domain.clock import EventClock
from kizuna.domain.event_state import (
    AUDIT_ACTIONS,
    MILESTONE_GRACE,
    ControlAction,
    Milestone,
    Plan,
    due_milestones,
    iso_utc,
    plan,
)
from kizuna.services.context import Context
from kizuna.services.event import clock_of, get_event
from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.storage.db import CHALLENGES, SCOREBOARD
from kizuna.storage.uow import Actor, UnitOfWork


@dataclass(frozen=True)
class Inputs:
    """What an action was given: a pause reason per language, a new end or a number of minutes."""

    reason: Any = None
    end_at: datetime | None = None
    minutes: Any = None


@dataclass(frozen=True)
class Preview:
    """An accepted action before it is confirmed: the plan and the event as it is now."""

    plan: Plan
    clock: EventClock


def _plan(action: ControlAction | str, clock: EventClock, now: datetime, given: Inputs) -> Plan:
    return plan(action, clock, now, reason=given.reason, end_at=given.end_at, minutes=given.minutes)


def preview(ctx: Context, action: ControlAction | str, given: Inputs | None = None) -> Preview:
    """What ``action`` would do now, or the ``DomainError`` refusing it; nothing is written."""
    clock = clock_of(get_event(ctx))
    return Preview(_plan(action, clock, ctx.now(), given or Inputs()), clock)


def _locked_event(uow: UnitOfWork) -> t.Event:
    # FOR UPDATE on PostgreSQL (SQLite's BEGIN IMMEDIATE already serialises writers), so two admins
    # acting at once are planned one after the other on what the first one stored.
    ev = uow.session.get(t.Event, 1, with_for_update=True)
    return ev if ev is not None else repo.event(uow.session)


def apply(ctx: Context, who: Actor, action: ControlAction | str, given: Inputs | None = None) -> t.Event:
    """Take ``action`` as ``who``: change the event, broadcast its ``event_state`` and audit it."""
    action = ControlAction(action)
    with ctx.write() as uow:
        ev = _locked_event(uow)
        accepted = _plan(action, clock_of(ev), ctx.now(), given or Inputs())
        before = {name: getattr(ev, name) for name in accepted.changes}
        for name, value in accepted.changes.items():
            setattr(ev, name, value)
        uow.bump(SCOREBOARD, CHALLENGES)
        # A start or freeze made now is also the clock milestone: under the same key, so the
        # background check of every process sees it already announced.
        uow.emit(
            "event_state",
            {"state": accepted.state.value, "reason": accepted.reason, "end_at": iso_utc(ev.end_at)},
            key=accepted.key,
        )
        uow.audit(
            who,
            AUDIT_ACTIONS[action],
            "event",
            ev.id,
            before=before,
            after={name: getattr(ev, name) for name in accepted.changes},
        )
    return ev


def start_now(ctx: Context, who: Actor) -> t.Event:
    return apply(ctx, who, ControlAction.START)


def pause(ctx: Context, who: Actor, reason: Any) -> t.Event:
    """Pause with a reason per language (``{"en": …, "ja": …}``, at least one)."""
    return apply(ctx, who, ControlAction.PAUSE, Inputs(reason=reason))


def resume(ctx: Context, who: Actor) -> t.Event:
    return apply(ctx, who, ControlAction.RESUME)


def extend(ctx: Context, who: Actor, end_at: datetime | None = None, minutes: Any = None) -> t.Event:
    """Move the end to ``end_at`` or ``minutes`` later; the new end must be in the future."""
    return apply(ctx, who, ControlAction.EXTEND, Inputs(end_at=end_at, minutes=minutes))


def freeze_now(ctx: Context, who: Actor) -> t.Event:
    return apply(ctx, who, ControlAction.FREEZE)


def unfreeze(ctx: Context, who: Actor) -> t.Event:
    return apply(ctx, who, ControlAction.UNFREEZE)


# --- milestones reached by the clock ----------------------------------------------------------------


def due(ctx: Context, now: datetime | None = None) -> list[Milestone]:
    """The milestones the clock reached in the last ``MILESTONE_GRACE`` (a read, no write)."""
    now = now or ctx.now()
    return due_milestones(clock_of(get_event(ctx)), now, now - MILESTONE_GRACE)


def record_milestones(ctx: Context, wanted: list[Milestone]) -> list[Milestone]:
    """Append the ``event_state`` of each milestone in ``wanted`` that is still due on the stored
    event, under its key: another process that got there first makes it a no-op. Returns the ones
    this call appended."""
    appended: list[Milestone] = []
    with ctx.write() as uow:
        ev = repo.event(uow.session)
        now = ctx.now()
        still = {m.key for m in due_milestones(clock_of(ev), now, now - MILESTONE_GRACE)}
        for milestone in wanted:
            if milestone.key not in still:
                continue  # the event changed since it was read (an unfreeze, a new end)
            row = uow.emit(
                "event_state",
                {"state": milestone.state.value, "reason": {}, "end_at": iso_utc(ev.end_at)},
                key=milestone.key,
            )
            if row is not None:
                appended.append(milestone)
    return appended
