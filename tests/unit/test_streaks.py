from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kizuna.domain.streaks import local_day, player_zone, streak

D = date(2026, 11, 1)


def test_days_are_counted_in_the_players_zone() -> None:
    # 15:30 UTC is 00:30 the next day in Tokyo and still the same day in London.
    instant = datetime(2026, 11, 1, 15, 30)
    assert local_day(instant, "Asia/Tokyo") == date(2026, 11, 2)
    assert local_day(instant, "Europe/London") == date(2026, 11, 1)


def test_player_zone_falls_back_to_the_event_then_utc() -> None:
    assert player_zone("Asia/Tokyo", ["Europe/London"]) == "Asia/Tokyo"
    assert player_zone("", ["Europe/London"]) == "Europe/London"
    assert player_zone("Not/AZone", ["Bad/Zone"]) == "UTC"


def test_runs() -> None:
    days = [D, D + timedelta(1), D + timedelta(2), D + timedelta(5), D + timedelta(6)]
    s = streak(days, today=D + timedelta(6))
    assert (s.current, s.longest, s.last_day) == (2, 3, D + timedelta(6))
    # Yesterday's run still counts today; the day after, it is gone.
    assert streak(days, today=D + timedelta(7)).current == 2
    assert streak(days, today=D + timedelta(8)).current == 0
    assert streak([], today=D) == streak([], today=D + timedelta(1))
    assert streak([], today=D).current == 0


@given(st.lists(st.integers(0, 60), max_size=40), st.integers(0, 70))
def test_streak_properties(offsets: list[int], today_offset: int) -> None:
    days = [D + timedelta(o) for o in offsets]
    today = D + timedelta(today_offset)
    s = streak(days, today)
    assert s == streak(list(reversed(days + days)), today)  # order and repeats do not matter
    assert 0 <= s.current <= s.longest <= len(set(days))
    if days:
        assert s.longest >= 1
