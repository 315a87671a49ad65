"""Time zones: validating names, writing one instant in several zones in the reader's language, and
the countdown's sentences."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.zones import validate_time_zone, validate_time_zones, zones_or_default
from kizuna.i18n import current_locale
from kizuna.web.zones import countdown, format_in_zone, in_zones

SUMMER = datetime(2025, 7, 1, 8, 0)  # naive = UTC, as stored
WINTER = datetime(2025, 12, 1, 8, 0)


@pytest.fixture
def locale():
    def use(code: str) -> None:
        tokens.append(current_locale.set(code))

    tokens: list = []
    yield use
    for token in reversed(tokens):
        current_locale.reset(token)


def test_zone_names_are_checked():
    assert validate_time_zone("Asia/Tokyo") == "Asia/Tokyo"
    for bad in ("Mars/Olympus", "localtime", "", None, "../etc/passwd", 9):
        with pytest.raises(DomainError) as err:
            validate_time_zone(bad)
        assert err.value.code is ErrorCode.TIME_ZONE_INVALID
    assert validate_time_zones(["UTC", "Asia/Tokyo", "UTC"]) == ["UTC", "Asia/Tokyo"]
    for bad in ([], "UTC", ["UTC", "Asia/Tokyo", "Europe/Paris", "Europe/Berlin", "Asia/Seoul"]):
        with pytest.raises(DomainError):
            validate_time_zones(bad)
    assert zones_or_default(None) == ["Europe/London", "Asia/Tokyo"]
    assert zones_or_default(["Gone/Zone", "Asia/Tokyo"]) == ["Asia/Tokyo"]


def test_times_in_english_are_british_and_name_the_zone(locale):
    """British style (day month year, 24-hour clock) and the zone's own abbreviation: JST, not GMT+9."""
    locale("en")
    assert format_in_zone(SUMMER, "Europe/London") == "1 Jul 2025, 09:00 BST"
    assert format_in_zone(WINTER, "Europe/London") == "1 Dec 2025, 08:00 GMT"
    assert format_in_zone(SUMMER, "Asia/Tokyo") == "1 Jul 2025, 17:00 JST"
    assert format_in_zone(WINTER, "Asia/Tokyo") == "1 Dec 2025, 17:00 JST"
    assert format_in_zone(SUMMER, "America/New_York") == "1 Jul 2025, 04:00 EDT"
    assert format_in_zone(SUMMER, "Asia/Kolkata").endswith("GMT+5:30")  # no abbreviation to give
    assert format_in_zone(SUMMER, "UTC") == "1 Jul 2025, 08:00 UTC"


def test_times_in_japanese_use_japanese_patterns(locale):
    locale("ja")
    assert format_in_zone(SUMMER, "Asia/Tokyo") == "2025/07/01 17:00 JST"
    assert format_in_zone(SUMMER, "Europe/London") == "2025/07/01 9:00 GMT+1"
    assert format_in_zone(WINTER, "Europe/London") == "2025/12/01 8:00 GMT"
    assert format_in_zone(SUMMER, "Asia/Tokyo", "short") == "2025/07/01 17:00 JST"


def test_one_instant_side_by_side(locale):
    locale("ja")
    shown = in_zones(SUMMER, ["Europe/London", "Asia/Tokyo"])
    assert [(z.zone, z.label, z.text) for z in shown] == [
        ("Europe/London", "ロンドン", "2025/07/01 9:00 GMT+1"),
        ("Asia/Tokyo", "東京", "2025/07/01 17:00 JST"),
    ]
    assert {z.iso for z in shown} == {"2025-07-01T08:00:00Z"}
    assert in_zones(None, ["UTC"]) == []


def _event(**times):
    return SimpleNamespace(**{"start_at": None, "end_at": None, "freeze_at": None, "paused": False, **times})


def test_countdown_to_the_start_then_to_the_end(locale):
    locale("en")
    now = datetime(2025, 7, 1, 8, 0)
    before = countdown(_event(start_at=now + timedelta(days=2, hours=3, seconds=5)), now)
    assert before is not None and before.kind == "start"
    assert before.text == "The event starts in 2 days and 03:00:05."
    assert before.left == 2 * 86400 + 3 * 3600 + 5
    assert before.target == "2025-07-03T11:00:05Z"
    assert before.patterns == {
        "short": "The event starts in {clock}.",
        "one": "The event starts in {days} day and {clock}.",
        "other": "The event starts in {days} days and {clock}.",
        "done": "The event is running.",
    }
    one = countdown(_event(start_at=now + timedelta(days=1)), now)
    assert one is not None and one.text == "The event starts in 1 day and 00:00:00."
    running = countdown(_event(start_at=now - timedelta(hours=1), end_at=now + timedelta(minutes=90)), now)
    assert running is not None and running.kind == "end"
    assert running.text == "The event ends in 01:30:00."
    assert countdown(_event(end_at=now - timedelta(seconds=1)), now) is None  # ended
    assert countdown(_event(), now) is None  # no end: nothing to count down to


def test_countdown_in_japanese(locale):
    locale("ja")
    now = datetime(2025, 7, 1, 8, 0)
    c = countdown(_event(start_at=now + timedelta(days=3, minutes=1)), now)
    assert c is not None
    assert c.text == "大会開始まで あと3日 00:01:00"
    assert c.patterns["other"] == "大会開始まで あと{days}日 {clock}"
