"""A challenge's own schedule (domain.schedule) and the first-blood bonus setting (domain.scoring)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kizuna.domain.schedule import boundaries_passed, closed, player_visible, released, schedule_state
from kizuna.domain.scoring import bonus_for, first_blood_bonus

T = datetime(2030, 1, 2, 0, 0)


def test_states_at_their_boundaries() -> None:
    release, close = T, T + timedelta(hours=2)
    assert schedule_state(release, close, T - timedelta(microseconds=1)) == "scheduled"
    assert schedule_state(release, close, T) == "open"  # released at its time exactly
    assert schedule_state(release, close, close - timedelta(microseconds=1)) == "open"
    assert schedule_state(release, close, close) == "closed"  # closed at its time exactly
    assert schedule_state(None, None, T) == "open"
    assert schedule_state(None, close, close) == "closed"


def test_aware_and_naive_times_are_the_same_instant() -> None:
    tokyo = timezone(timedelta(hours=9))
    assert released(T, datetime(2030, 1, 2, 9, 0, tzinfo=tokyo))
    assert not released(T, datetime(2030, 1, 2, 8, 59, tzinfo=tokyo))
    assert closed(T.replace(tzinfo=UTC), T)


def test_players_see_only_visible_released_challenges() -> None:
    assert player_visible("visible", None, T)
    assert player_visible("visible", T, T)
    assert not player_visible("visible", T + timedelta(seconds=1), T)
    assert not player_visible("hidden", None, T)  # a hidden challenge stays hidden whatever its schedule
    assert not player_visible("hidden", T - timedelta(days=1), T)


def test_the_boundary_count_changes_exactly_when_a_time_passes() -> None:
    times = [T, T + timedelta(hours=1)]
    assert boundaries_passed(times, T - timedelta(seconds=1)) == 0
    assert boundaries_passed(times, T) == 1
    assert boundaries_passed(times, T + timedelta(hours=2)) == 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ([], None),
        ([0, 0, 0], None),
        ([30, 20, 10], (30, 20, 10)),
        ([5], (5, 0, 0)),
        ((1, 2), (1, 2, 0)),
    ],
)
def test_bonus_setting(raw: object, expected: object) -> None:
    assert first_blood_bonus(raw) == expected


@pytest.mark.parametrize("raw", [[1, 2, 3, 4], [-1], ["1"], [1.5], [True], "30", {"a": 1}, [100_001]])
def test_bad_bonus_settings_are_refused(raw: object) -> None:
    with pytest.raises(ValueError):
        first_blood_bonus(raw)


def test_bonus_by_rank() -> None:
    assert [bonus_for((30, 20, 10), rank) for rank in (0, 1, 2, 3, 4)] == [0, 30, 20, 10, 0]
    assert bonus_for(None, 1) == 0
