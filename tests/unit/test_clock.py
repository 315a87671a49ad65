"""The event clock: phases, pause, freeze cutoff; naive times are UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kizuna.domain.clock import EventClock, Phase, utc

START = datetime(2026, 3, 1, 9, 0)
END = datetime(2026, 3, 2, 9, 0)
FREEZE = datetime(2026, 3, 2, 8, 0)
JST = timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    ("now", "phase"),
    [
        (START - timedelta(seconds=1), Phase.NOT_STARTED),
        (START, Phase.RUNNING),
        (END - timedelta(microseconds=1), Phase.RUNNING),
        (END, Phase.ENDED),
        (END + timedelta(days=3), Phase.ENDED),
    ],
)
def test_phases(now: datetime, phase: Phase) -> None:
    assert EventClock(START, END).phase(now) is phase


def test_open_ended_event_runs_forever() -> None:
    clock = EventClock()
    assert clock.phase(datetime(1999, 1, 1)) is Phase.RUNNING
    assert clock.phase(datetime(2999, 1, 1)) is Phase.RUNNING
    assert EventClock(start_at=START).phase(START + timedelta(days=999)) is Phase.RUNNING
    assert EventClock(end_at=END).phase(datetime(1999, 1, 1)) is Phase.RUNNING


def test_pause_applies_only_between_start_and_end() -> None:
    clock = EventClock(START, END, paused=True)
    assert clock.phase(START - timedelta(hours=1)) is Phase.NOT_STARTED
    assert clock.phase(START + timedelta(hours=1)) is Phase.PAUSED
    assert clock.phase(END) is Phase.ENDED


def test_freeze_cutoff() -> None:
    clock = EventClock(START, END, freeze_at=FREEZE)
    before = FREEZE - timedelta(seconds=1)
    assert not clock.frozen(before)
    assert clock.public_cutoff(before) is None
    assert clock.frozen(FREEZE)
    assert clock.public_cutoff(FREEZE) == FREEZE.replace(tzinfo=UTC)
    assert clock.public_cutoff(END + timedelta(days=1)) == FREEZE.replace(tzinfo=UTC)


def test_no_freeze_means_no_cutoff() -> None:
    assert EventClock(START, END).public_cutoff(END) is None


def test_naive_times_are_utc() -> None:
    assert utc(None) is None
    assert utc(START) == START.replace(tzinfo=UTC)
    # 18:00 in Japan is 09:00 UTC, the same instant as the naive start.
    assert utc(datetime(2026, 3, 1, 18, 0, tzinfo=JST)) == START.replace(tzinfo=UTC)


def test_aware_and_naive_times_mix() -> None:
    clock = EventClock(start_at=datetime(2026, 3, 1, 18, 0, tzinfo=JST), end_at=END)
    assert clock.phase(START - timedelta(seconds=1)) is Phase.NOT_STARTED
    assert clock.phase(START) is Phase.RUNNING
    london_summer = timezone(timedelta(hours=1))
    assert clock.phase(datetime(2026, 3, 2, 10, 0, tzinfo=london_summer)) is Phase.ENDED
    frozen = EventClock(freeze_at=datetime(2026, 3, 2, 17, 0, tzinfo=JST))
    assert frozen.frozen(FREEZE)
    assert not frozen.frozen(FREEZE - timedelta(microseconds=1))
