"""Clock times typed in a zone and stored in UTC (``domain.zones.wall_time_to_utc``), including the
two hours a year when London's clocks skip or repeat an hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.zones import utc_to_wall_time, wall_time_to_utc


@pytest.mark.parametrize(
    ("local", "zone", "expected"),
    [
        # Japan has no summer time: always UTC+9.
        (datetime(2026, 11, 28, 18, 0), "Asia/Tokyo", datetime(2026, 11, 28, 9, 0, tzinfo=UTC)),
        (datetime(2026, 7, 1, 9, 0), "Asia/Tokyo", datetime(2026, 7, 1, 0, 0, tzinfo=UTC)),
        # London: UTC+0 in winter, UTC+1 in summer.
        (datetime(2026, 11, 28, 9, 0), "Europe/London", datetime(2026, 11, 28, 9, 0, tzinfo=UTC)),
        (datetime(2026, 7, 1, 9, 0), "Europe/London", datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),
        # Just outside the changes of 2026 (29 March, 25 October) the offset is already settled.
        (datetime(2026, 3, 29, 0, 59), "Europe/London", datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),
        (datetime(2026, 3, 29, 2, 0), "Europe/London", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        (datetime(2026, 10, 25, 0, 59), "Europe/London", datetime(2026, 10, 24, 23, 59, tzinfo=UTC)),
        (datetime(2026, 10, 25, 2, 0), "Europe/London", datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),
        (datetime(2026, 10, 25, 1, 30), "UTC", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
    ],
)
def test_a_clock_time_in_a_zone_is_one_instant(local, zone, expected):
    assert wall_time_to_utc(local, zone) == expected
    assert utc_to_wall_time(expected, zone) == local
    assert utc_to_wall_time(expected.replace(tzinfo=None), zone) == local  # stored naive = UTC


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(DomainError) as err:
        wall_time_to_utc(datetime(2026, 3, 29, 1, 30), "Europe/London", "start_at")
    assert err.value.code is ErrorCode.TIME_SKIPPED
    assert err.value.field == "start_at"
    assert err.value.params == {"time": "2026-03-29 01:30", "zone": "Europe/London"}


def test_a_time_the_clocks_repeat_is_refused():
    with pytest.raises(DomainError) as err:
        wall_time_to_utc(datetime(2026, 10, 25, 1, 30), "Europe/London", "end_at")
    assert err.value.code is ErrorCode.TIME_REPEATED
    assert err.value.field == "end_at"
    # The same moments typed in UTC are unambiguous.
    first, second = (wall_time_to_utc(datetime(2026, 10, 25, h, 30), "UTC") for h in (0, 1))
    assert utc_to_wall_time(first, "Europe/London") == utc_to_wall_time(second, "Europe/London")


def test_a_time_with_its_own_offset_wins_over_the_zone():
    typed = datetime(2026, 11, 28, 18, 0, tzinfo=timezone(timedelta(hours=9)))
    assert wall_time_to_utc(typed, "Europe/London") == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_an_unknown_zone_is_refused():
    with pytest.raises(DomainError) as err:
        wall_time_to_utc(datetime(2026, 11, 28, 9, 0), "Mars/Olympus", "start_at")
    assert err.value.code is ErrorCode.TIME_ZONE_INVALID
