"""Running the event live: the rules of the event control actions and of the clock's milestones.

An admin starts the event now, pauses it with a reason in each language, resumes it, extends the end
and freezes or unfreezes the scoreboard. Each action is first *planned* from the event's clock and
the time (``plan``): a refused transition raises a ``DomainError`` and nothing is stored; an accepted
one says which event columns change and which ``event_state`` it broadcasts. The same plan is made
again inside the write transaction, so two admins pressing buttons at once cannot both succeed on a
stale view.

The clock also reaches milestones with no write at all: the start, the scoreboard freeze and the
end pass by time. ``due_milestones`` says which of them fell in a window; every process checks it
about once a second and appends each milestone's ``event_state`` under its ``milestone_key``, which
the event log stores at most once, so several workers and replicas announce it exactly once.

All times here are UTC; values to store are naive (how the database keeps them), truncated to whole
seconds so a milestone's key is the same however the time is read back.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from kizuna.domain.clock import EventClock, Phase, utc
from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.events import EventState
from kizuna.domain.text import MAX_LOCALES, validate_locale

MAX_REASON = 500  # characters per language
MAX_EXTEND_MINUTES = 7 * 24 * 60  # one "+N minutes" step: at most a week
# A milestone is announced only if it passed at most this long ago, so a process started long after
# the start (or a restart after a quiet night) does not announce stale news; one process running
# through the moment, or back within this window, is enough.
MILESTONE_GRACE = timedelta(minutes=5)
CONFLICT = 409  # a transition the event's current state refuses

# Bidirectional controls can make a banner read differently from what was typed; refused.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class ControlAction(StrEnum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    EXTEND = "extend"
    FREEZE = "freeze"
    UNFREEZE = "unfreeze"


# The audit trail's name for each action.
AUDIT_ACTIONS: dict[ControlAction, str] = {
    ControlAction.START: "event.started",
    ControlAction.PAUSE: "event.paused",
    ControlAction.RESUME: "event.resumed",
    ControlAction.EXTEND: "event.extended",
    ControlAction.FREEZE: "event.frozen",
    ControlAction.UNFREEZE: "event.unfrozen",
}


def stored_time(value: datetime) -> datetime:
    """A time as the database keeps it: naive UTC, whole seconds."""
    out = utc(value)
    assert out is not None
    return out.replace(tzinfo=None, microsecond=0)


def iso_utc(value: datetime | None) -> str | None:
    """An instant as ISO 8601 in UTC with a ``Z`` ("2026-11-28T10:00:00Z"), as events carry it."""
    if value is None:
        return None
    out = utc(value)
    assert out is not None
    return out.strftime("%Y-%m-%dT%H:%M:%SZ")


def milestone_key(state: EventState | str, at: datetime) -> str:
    """The event log key of a clock milestone: one per state and time, whoever appends it."""
    return f"event_state:{EventState(state).value}:{stored_time(at).isoformat()}"


def clean_reason(reason: Any) -> dict[str, str]:
    """Why the event is paused, per language (``{"en": …, "ja": …}``): plain text, white space
    collapsed, at most ``MAX_REASON`` characters each; empty languages are dropped and at least
    one must remain. Control and bidirectional characters are refused, not silently removed."""
    if not isinstance(reason, Mapping) or len(reason) > MAX_LOCALES:
        raise DomainError(ErrorCode.VALUE_INVALID, field="reason")
    out: dict[str, str] = {}
    for code, text in reason.items():
        validate_locale(code, "reason")
        where = f"reason.{code}"
        if text is None:
            continue
        if not isinstance(text, str):
            raise DomainError(ErrorCode.VALUE_INVALID, field=where)
        if any(ch in _BIDI or _control(ch) for ch in text):
            raise DomainError(ErrorCode.REASON_INVALID, field=where)
        cleaned = " ".join(unicodedata.normalize("NFC", text).split())
        if len(cleaned) > MAX_REASON:
            raise DomainError(ErrorCode.REASON_TOO_LONG, field=where, max=MAX_REASON)
        if cleaned:
            out[code] = cleaned
    if not out:
        raise DomainError(ErrorCode.REASON_REQUIRED, field="reason")
    return out


def _control(ch: str) -> bool:
    # Tabs and line breaks are white space (collapsed to one space); other controls are not text.
    return unicodedata.category(ch) == "Cc" and ch not in "\t\n\r"


@dataclass(frozen=True)
class Plan:
    """An accepted action: the event columns to set and the ``event_state`` to broadcast."""

    action: ControlAction
    state: EventState
    changes: dict[str, Any] = field(default_factory=dict)
    key: str | None = None  # the milestone key when the action reaches a clock milestone now

    @property
    def reason(self) -> dict[str, str]:
        """The ``event_state`` event's reason: the pause reason per language, ``{}`` otherwise."""
        return dict(self.changes.get("pause_reason") or {}) if self.state is EventState.PAUSED else {}


def _started(clock: EventClock, now: datetime) -> bool:
    # An event without a start time is open from the beginning.
    return clock.phase(now) is not Phase.NOT_STARTED


def _ended(clock: EventClock, now: datetime) -> bool:
    end, at = utc(clock.end_at), utc(now)
    return end is not None and at is not None and end <= at


def plan(
    action: ControlAction | str,
    clock: EventClock,
    now: datetime,
    *,
    reason: Any = None,
    end_at: datetime | None = None,
    minutes: Any = None,
) -> Plan:
    """What ``action`` would do to an event with ``clock`` at ``now``, or the ``DomainError`` that
    refuses it. ``reason`` is for pause; ``end_at`` (an instant) or ``minutes`` (added to the
    current end) for extend."""
    action = ControlAction(action)
    at = stored_time(now)
    if action is ControlAction.START:
        if _started(clock, now):
            raise DomainError(ErrorCode.EVENT_ALREADY_STARTED, status=CONFLICT)
        if _ended(clock, now):
            raise DomainError(ErrorCode.EVENT_ENDED, status=CONFLICT)
        return Plan(action, EventState.STARTED, {"start_at": at}, milestone_key(EventState.STARTED, at))
    if action is ControlAction.PAUSE:
        # Reason first: a form with a bad reason is corrected before anything else is said.
        cleaned = clean_reason(reason)
        if clock.paused:
            raise DomainError(ErrorCode.EVENT_ALREADY_PAUSED, status=CONFLICT)
        if _ended(clock, now):
            raise DomainError(ErrorCode.EVENT_ENDED, status=CONFLICT)
        return Plan(action, EventState.PAUSED, {"paused": True, "pause_reason": cleaned})
    if action is ControlAction.RESUME:
        if not clock.paused:
            raise DomainError(ErrorCode.EVENT_NOT_PAUSED, status=CONFLICT)
        return Plan(action, EventState.RESUMED, {"paused": False, "pause_reason": None})
    if action is ControlAction.EXTEND:
        return Plan(action, EventState.EXTENDED, {"end_at": _new_end(clock, now, end_at, minutes)})
    if action is ControlAction.FREEZE:
        if clock.frozen(now):
            raise DomainError(ErrorCode.SCOREBOARD_ALREADY_FROZEN, status=CONFLICT)
        if not _started(clock, now):
            raise DomainError(ErrorCode.EVENT_NOT_STARTED, status=CONFLICT)
        if _ended(clock, now):
            raise DomainError(ErrorCode.EVENT_ENDED, status=CONFLICT)
        return Plan(action, EventState.FROZEN, {"freeze_at": at}, milestone_key(EventState.FROZEN, at))
    # UNFREEZE: only a freeze in force; a scheduled one is changed in the event settings.
    if not clock.frozen(now):
        raise DomainError(ErrorCode.SCOREBOARD_NOT_FROZEN, status=CONFLICT)
    return Plan(action, EventState.UNFROZEN, {"freeze_at": None})


def parse_minutes(value: Any) -> int:
    """A "+N minutes" extension: a whole number from 1 to ``MAX_EXTEND_MINUTES``."""
    if isinstance(value, bool):
        raise DomainError(ErrorCode.MINUTES_INVALID, field="minutes", max=MAX_EXTEND_MINUTES)
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit()):
            raise DomainError(ErrorCode.MINUTES_INVALID, field="minutes", max=MAX_EXTEND_MINUTES)
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        raise DomainError(ErrorCode.MINUTES_INVALID, field="minutes", max=MAX_EXTEND_MINUTES) from None
    if isinstance(value, float) and value != minutes:
        raise DomainError(ErrorCode.MINUTES_INVALID, field="minutes", max=MAX_EXTEND_MINUTES)
    if not 1 <= minutes <= MAX_EXTEND_MINUTES:
        raise DomainError(ErrorCode.MINUTES_INVALID, field="minutes", max=MAX_EXTEND_MINUTES)
    return minutes


def _new_end(clock: EventClock, now: datetime, end_at: datetime | None, minutes: Any) -> datetime:
    """The extended end: later than now and than the current end (an ended event may be reopened)."""
    given_minutes = minutes not in (None, "")
    if end_at is not None and given_minutes:
        raise DomainError(ErrorCode.EXTEND_ONE_OF, field="end_at")
    if end_at is None and not given_minutes:
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="end_at")
    # Validate what was typed before saying anything about the event's state.
    step = parse_minutes(minutes) if given_minutes else 0
    if clock.end_at is None:
        raise DomainError(ErrorCode.EVENT_NO_END, status=CONFLICT)
    current = stored_time(clock.end_at)
    new = current + timedelta(minutes=step) if given_minutes else stored_time(end_at)  # type: ignore[arg-type]
    if new <= current or new <= stored_time(now):
        raise DomainError(ErrorCode.END_TOO_EARLY, field="minutes" if given_minutes else "end_at")
    return new


# --- milestones reached by the clock ----------------------------------------------------------------


@dataclass(frozen=True)
class Milestone:
    state: EventState
    at: datetime  # naive UTC, whole seconds

    @property
    def key(self) -> str:
        return milestone_key(self.state, self.at)


def due_milestones(clock: EventClock, now: datetime, since: datetime) -> list[Milestone]:
    """The clock milestones reached in ``(since, now]``, earliest first.

    - ``started``: the start time, unless the event is paused then (it does not start running; the
      ``resumed`` event will say when it does) or the start is not before the end;
    - ``frozen``: the freeze time, when it falls while the event runs (from the start, before the end);
    - ``ended``: the end time.
    """
    lo, hi = stored_time(since), stored_time(now)
    start = stored_time(clock.start_at) if clock.start_at is not None else None
    end = stored_time(clock.end_at) if clock.end_at is not None else None
    freeze = stored_time(clock.freeze_at) if clock.freeze_at is not None else None
    found: list[Milestone] = []
    if start is not None and not clock.paused and (end is None or start < end):
        found.append(Milestone(EventState.STARTED, start))
    if freeze is not None and (start is None or freeze >= start) and (end is None or freeze < end):
        found.append(Milestone(EventState.FROZEN, freeze))
    if end is not None:
        found.append(Milestone(EventState.ENDED, end))
    return sorted((m for m in found if lo < m.at <= hi), key=lambda m: (m.at, _ORDER[m.state]))


_ORDER = {EventState.STARTED: 0, EventState.FROZEN: 1, EventState.ENDED: 2}
