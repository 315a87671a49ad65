"""The rules of event control and of the clock's milestones (kizuna.domain.event_state), without a
database: which transitions are allowed, what they change, what they broadcast, which milestones
are due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kizuna.domain.clock import EventClock
from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.event_state import (
    MAX_EXTEND_MINUTES,
    MAX_REASON,
    ControlAction,
    EventState,
    Milestone,
    clean_reason,
    due_milestones,
    iso_utc,
    milestone_key,
    parse_minutes,
    plan,
)

START = datetime(2026, 11, 28, 9, 0)
END = datetime(2026, 11, 28, 17, 0)
RUNNING = EventClock(START, END)
DURING = datetime(2026, 11, 28, 12, 0, 0, 500_000)  # with microseconds, as ctx.now() gives them
JST = timezone(timedelta(hours=9))


def refused(code: ErrorCode, action: ControlAction, clock: EventClock, now: datetime, **kw: object) -> None:
    with pytest.raises(DomainError) as caught:
        plan(action, clock, now, **kw)
    assert caught.value.code is code


# --- start ----------------------------------------------------------------------------------------


def test_start_now_sets_the_start_to_now_in_whole_seconds_under_the_milestone_key() -> None:
    before = datetime(2026, 11, 28, 8, 30, 5, 999_999)
    p = plan(ControlAction.START, RUNNING, before)
    assert p.state is EventState.STARTED
    assert p.changes == {"start_at": datetime(2026, 11, 28, 8, 30, 5)}
    assert p.key == "event_state:started:2026-11-28T08:30:05"
    assert (p.state, p.reason) == (EventState.STARTED, {})


def test_start_is_refused_once_started_or_without_a_start_time() -> None:
    refused(ErrorCode.EVENT_ALREADY_STARTED, ControlAction.START, RUNNING, DURING)
    refused(ErrorCode.EVENT_ALREADY_STARTED, ControlAction.START, RUNNING, START)
    # No start time: the event is open from the beginning (kizuna.domain.clock).
    refused(ErrorCode.EVENT_ALREADY_STARTED, ControlAction.START, EventClock(None, END), DURING)
    # A refusal of the state is a conflict, not bad input.
    with pytest.raises(DomainError) as caught:
        plan(ControlAction.START, RUNNING, DURING)
    assert caught.value.status == 409


def test_start_is_refused_when_the_end_has_passed() -> None:
    odd = EventClock(datetime(2026, 12, 1), datetime(2026, 11, 28))  # end before start
    refused(ErrorCode.EVENT_ENDED, ControlAction.START, odd, datetime(2026, 11, 29))


# --- pause and resume -------------------------------------------------------------------------------


def test_pause_stores_the_cleaned_reason_and_broadcasts_it() -> None:
    p = plan(
        ControlAction.PAUSE, RUNNING, DURING, reason={"en": "  Network\n issue ", "ja": "ネットワーク障害"}
    )
    assert p.changes == {"paused": True, "pause_reason": {"en": "Network issue", "ja": "ネットワーク障害"}}
    assert p.key is None
    assert p.reason == {"en": "Network issue", "ja": "ネットワーク障害"}


def test_pause_is_refused_when_paused_or_ended_but_allowed_before_the_start() -> None:
    refused(
        ErrorCode.EVENT_ALREADY_PAUSED,
        ControlAction.PAUSE,
        EventClock(START, END, paused=True),
        DURING,
        reason={"en": "x"},
    )
    refused(ErrorCode.EVENT_ENDED, ControlAction.PAUSE, RUNNING, END, reason={"en": "x"})
    # Holding the start: the event is paused when its start comes.
    assert plan(ControlAction.PAUSE, RUNNING, START - timedelta(hours=1), reason={"ja": "遅延"}).changes[
        "paused"
    ]


def test_pause_checks_the_reason_before_the_state() -> None:
    refused(
        ErrorCode.REASON_REQUIRED, ControlAction.PAUSE, EventClock(START, END, paused=True), DURING, reason={}
    )


def test_resume_clears_the_reason_and_is_refused_when_not_paused() -> None:
    p = plan(ControlAction.RESUME, EventClock(START, END, paused=True), DURING)
    assert p.changes == {"paused": False, "pause_reason": None}
    assert (p.state, p.reason) == (EventState.RESUMED, {})
    refused(ErrorCode.EVENT_NOT_PAUSED, ControlAction.RESUME, RUNNING, DURING)


@pytest.mark.parametrize(
    ("reason", "code", "field"),
    [
        ({}, ErrorCode.REASON_REQUIRED, "reason"),
        ({"en": "   ", "ja": ""}, ErrorCode.REASON_REQUIRED, "reason"),
        ({"en": None}, ErrorCode.REASON_REQUIRED, "reason"),
        ("paused", ErrorCode.VALUE_INVALID, "reason"),
        (None, ErrorCode.VALUE_INVALID, "reason"),
        ({"en": 5}, ErrorCode.VALUE_INVALID, "reason.en"),
        ({"english": "x"}, ErrorCode.LOCALE_INVALID, "reason"),
        ({"en": "x" * (MAX_REASON + 1)}, ErrorCode.REASON_TOO_LONG, "reason.en"),
        ({"ja": "停止\x00中"}, ErrorCode.REASON_INVALID, "reason.ja"),
        ({"en": "abc\u202edcba"}, ErrorCode.REASON_INVALID, "reason.en"),
        (
            {f"{chr(97 + i // 26)}{chr(97 + i % 26)}": "t" for i in range(30)},
            ErrorCode.VALUE_INVALID,
            "reason",
        ),
    ],
)
def test_bad_reasons_are_refused_naming_the_field(reason: object, code: ErrorCode, field: str) -> None:
    with pytest.raises(DomainError) as caught:
        clean_reason(reason)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_reason_is_plain_text_kept_as_typed_apart_from_white_space() -> None:
    assert clean_reason({"en": "<b>Back</b>\tsoon", "ja": "", "fr": None}) == {"en": "<b>Back</b> soon"}
    assert clean_reason({"en": "x" * MAX_REASON}) == {"en": "x" * MAX_REASON}
    # Composed characters count once (NFC), so a Japanese reason is measured as it is read.
    assert clean_reason({"ja": "か\u3099"}) == {"ja": "が"}


# --- extend -----------------------------------------------------------------------------------------


def test_extend_to_a_time_or_by_minutes() -> None:
    later = datetime(2026, 11, 28, 18, 30, tzinfo=UTC)
    assert plan(ControlAction.EXTEND, RUNNING, DURING, end_at=later).changes == {
        "end_at": datetime(2026, 11, 28, 18, 30)
    }
    # An offset is honoured: 03:30 in Tokyo the next day is 18:30 UTC.
    in_tokyo = datetime(2026, 11, 29, 3, 30, tzinfo=JST)
    assert plan(ControlAction.EXTEND, RUNNING, DURING, end_at=in_tokyo).changes == {
        "end_at": datetime(2026, 11, 28, 18, 30)
    }
    p = plan(ControlAction.EXTEND, RUNNING, DURING, minutes="30")
    assert p.changes == {"end_at": END + timedelta(minutes=30)}
    assert (p.state, p.reason) == (EventState.EXTENDED, {})


def test_an_ended_event_can_be_reopened_by_extending_past_now() -> None:
    after = END + timedelta(minutes=10)
    assert plan(ControlAction.EXTEND, RUNNING, after, minutes=20).changes == {
        "end_at": END + timedelta(minutes=20)
    }
    refused(ErrorCode.END_TOO_EARLY, ControlAction.EXTEND, RUNNING, after, minutes=5)


@pytest.mark.parametrize(
    ("kw", "code", "field"),
    [
        ({}, ErrorCode.FIELD_REQUIRED, "end_at"),
        ({"minutes": ""}, ErrorCode.FIELD_REQUIRED, "end_at"),
        ({"end_at": datetime(2026, 11, 28, 20, 0), "minutes": 5}, ErrorCode.EXTEND_ONE_OF, "end_at"),
        ({"end_at": END}, ErrorCode.END_TOO_EARLY, "end_at"),
        ({"end_at": END - timedelta(hours=1)}, ErrorCode.END_TOO_EARLY, "end_at"),
        ({"minutes": 0}, ErrorCode.MINUTES_INVALID, "minutes"),
        ({"minutes": -5}, ErrorCode.MINUTES_INVALID, "minutes"),
        ({"minutes": "ten"}, ErrorCode.MINUTES_INVALID, "minutes"),
        ({"minutes": "1e3"}, ErrorCode.MINUTES_INVALID, "minutes"),
        ({"minutes": "３０"}, ErrorCode.MINUTES_INVALID, "minutes"),
        ({"minutes": 2.5}, ErrorCode.MINUTES_INVALID, "minutes"),
        ({"minutes": True}, ErrorCode.MINUTES_INVALID, "minutes"),
        ({"minutes": MAX_EXTEND_MINUTES + 1}, ErrorCode.MINUTES_INVALID, "minutes"),
    ],
)
def test_bad_extensions_are_refused_naming_the_field(
    kw: dict[str, object], code: ErrorCode, field: str
) -> None:
    with pytest.raises(DomainError) as caught:
        plan(ControlAction.EXTEND, RUNNING, DURING, **kw)  # type: ignore[arg-type]
    assert (caught.value.code, caught.value.field) == (code, field)


def test_extend_needs_an_end_to_move() -> None:
    refused(ErrorCode.EVENT_NO_END, ControlAction.EXTEND, EventClock(START, None), DURING, minutes=10)


def test_minutes_limits() -> None:
    assert (
        parse_minutes(1) == 1
        and parse_minutes(" 15 ") == 15
        and parse_minutes(MAX_EXTEND_MINUTES) == MAX_EXTEND_MINUTES
    )


# --- freeze and unfreeze ----------------------------------------------------------------------------


def test_freeze_now_and_unfreeze() -> None:
    p = plan(ControlAction.FREEZE, RUNNING, DURING)
    assert p.changes == {"freeze_at": datetime(2026, 11, 28, 12, 0, 0)}
    assert p.key == "event_state:frozen:2026-11-28T12:00:00"
    frozen = EventClock(START, END, freeze_at=p.changes["freeze_at"])
    assert frozen.frozen(DURING)
    refused(ErrorCode.SCOREBOARD_ALREADY_FROZEN, ControlAction.FREEZE, frozen, DURING)
    u = plan(ControlAction.UNFREEZE, frozen, DURING)
    assert u.changes == {"freeze_at": None} and u.state is EventState.UNFROZEN


def test_freeze_needs_a_running_event_and_unfreeze_a_freeze_in_force() -> None:
    refused(ErrorCode.EVENT_NOT_STARTED, ControlAction.FREEZE, RUNNING, START - timedelta(minutes=1))
    refused(ErrorCode.EVENT_ENDED, ControlAction.FREEZE, RUNNING, END)
    refused(ErrorCode.SCOREBOARD_NOT_FROZEN, ControlAction.UNFREEZE, RUNNING, DURING)
    scheduled = EventClock(START, END, freeze_at=datetime(2026, 11, 28, 16, 0))
    refused(ErrorCode.SCOREBOARD_NOT_FROZEN, ControlAction.UNFREEZE, scheduled, DURING)
    # A scheduled freeze can be brought forward to now.
    assert plan(ControlAction.FREEZE, scheduled, DURING).changes == {
        "freeze_at": datetime(2026, 11, 28, 12, 0)
    }


# --- the clock's milestones -------------------------------------------------------------------------


def test_milestones_reached_in_the_window_earliest_first() -> None:
    clock = EventClock(START, END, freeze_at=datetime(2026, 11, 28, 16, 0))
    assert due_milestones(clock, START, START - timedelta(seconds=1)) == [
        Milestone(EventState.STARTED, START)
    ]
    assert due_milestones(clock, START - timedelta(seconds=1), START - timedelta(minutes=5)) == []
    everything = due_milestones(clock, END + timedelta(seconds=1), START - timedelta(seconds=1))
    assert [m.state for m in everything] == [EventState.STARTED, EventState.FROZEN, EventState.ENDED]
    # The window is open at its start: a milestone exactly at ``since`` was the previous window's.
    assert due_milestones(clock, END, START) == [
        Milestone(EventState.FROZEN, datetime(2026, 11, 28, 16, 0)),
        Milestone(EventState.ENDED, END),
    ]


def test_no_start_milestone_while_paused_and_no_freeze_outside_the_event() -> None:
    paused = EventClock(START, END, paused=True)
    assert due_milestones(paused, START + timedelta(seconds=1), START - timedelta(seconds=1)) == []
    late_freeze = EventClock(START, END, freeze_at=END + timedelta(hours=1))
    assert [m.state for m in due_milestones(late_freeze, END + timedelta(hours=2), START)] == [
        EventState.ENDED
    ]
    early_freeze = EventClock(START, END, freeze_at=START - timedelta(hours=1))
    assert due_milestones(early_freeze, START - timedelta(minutes=30), START - timedelta(hours=2)) == []


def test_milestones_use_utc_whatever_the_offset() -> None:
    clock = EventClock(datetime(2026, 11, 28, 18, 0, tzinfo=JST), None)  # 09:00 UTC
    due = due_milestones(clock, START, START - timedelta(seconds=2))
    assert due == [Milestone(EventState.STARTED, START)]
    assert due[0].key == milestone_key("started", START) == "event_state:started:2026-11-28T09:00:00"


def test_times_in_events_are_iso_utc() -> None:
    assert iso_utc(None) is None
    assert iso_utc(datetime(2026, 11, 28, 18, 0, tzinfo=JST)) == "2026-11-28T09:00:00Z"
    assert iso_utc(END) == "2026-11-28T17:00:00Z"
