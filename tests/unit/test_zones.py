"""Time zones: validating names, writing one instant in several zones in the reader's language, and
the countdown's sentences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.zones import validate_time_zone, validate_time_zones, zones_or_default
from kizuna.i18n import current_locale
from kizuna.web.zones import (
    clock_of,
    countdown,
    current_clock,
    format_in_zone,
    in_zones,
    zone_choices,
    zone_name,
)

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


@pytest.fixture
def clock():
    tokens: list = []

    def use(value: str) -> None:
        tokens.append(current_clock.set(value))

    yield use
    for token in reversed(tokens):
        current_clock.reset(token)


def test_a_twelve_hour_clock_when_the_reader_asks_for_one(locale, clock):
    evening = datetime(2025, 7, 1, 20, 5)  # 21:05 in London, 05:05 next day in Tokyo
    locale("en")
    clock("12")
    assert format_in_zone(evening, "Europe/London") == "1 Jul 2025, 9:05 pm BST"
    assert format_in_zone(evening, "Asia/Tokyo") == "2 Jul 2025, 5:05 am JST"
    locale("ja")
    assert format_in_zone(evening, "Asia/Tokyo") == "2025/07/02 午前5:05 JST"
    clock("24")
    assert format_in_zone(evening, "Asia/Tokyo") == "2025/07/02 5:05 JST"
    locale("en")
    assert format_in_zone(evening, "Europe/London") == "1 Jul 2025, 21:05 BST"
    clock("")  # the language's own: British English writes a 24-hour clock
    assert format_in_zone(evening, "Europe/London") == "1 Jul 2025, 21:05 BST"
    assert clock_of("12") == "12" and clock_of("24") == "24"
    assert clock_of("13") == clock_of("") == clock_of(None) == ""


def test_zones_are_named_by_city_country_and_offset(locale):
    locale("en")
    assert zone_name("Asia/Tokyo", "en", SUMMER) == "Tokyo — Japan Time (GMT+9)"
    assert zone_name("Europe/London", "en", SUMMER) == "London — United Kingdom Time (GMT+1)"
    assert zone_name("Europe/London", "en", WINTER) == "London — United Kingdom Time (GMT)"
    assert zone_name("UTC", "en", SUMMER) == "UTC — Coordinated Universal Time"
    assert zone_name("Etc/GMT+5", "en", SUMMER) == "Etc/GMT+5 (GMT-5)"  # no city: the id and offset
    locale("ja")
    assert zone_name("Asia/Tokyo", "ja", SUMMER) == "東京 — 日本時間（GMT+9）"
    assert zone_name("Europe/London", "ja", SUMMER) == "ロンドン — イギリス時間（GMT+1）"
    assert zone_name("UTC", "ja", SUMMER) == "UTC — 協定世界時"


def test_zone_choices_put_the_events_zones_first_then_west_to_east(locale):
    locale("en")
    choices = zone_choices("Asia/Kathmandu", ["Asia/Tokyo", "Europe/London"], WINTER)
    ids = [zone for zone, _label in choices]
    assert ids[:2] == ["Asia/Tokyo", "Europe/London"]
    assert len(ids) == len(set(ids)) and "Asia/Kathmandu" in ids  # the reader's own choice is kept
    offsets = [WINTER.replace(tzinfo=UTC).astimezone(ZoneInfo(z)).utcoffset() for z in ids[2:]]
    assert offsets == sorted(offsets)
    assert dict(choices)["America/New_York"] == "New York — Eastern Time (GMT-5)"


def test_in_both_languages_cities_and_dates_are_written_in_each(locale):
    """日英併記: the review found the cities and dates in the first language only."""
    from kizuna.i18n import BOTH, current_display

    locale("ja")
    token = current_display.set(BOTH)
    try:
        shown = in_zones(SUMMER, ["Asia/Tokyo", "UTC"])
    finally:
        current_display.reset(token)
    assert [(z.label, z.text) for z in shown] == [
        ("東京 / Tokyo", "2025/07/01 17:00 JST / 1 Jul 2025, 17:00 JST"),
        ("UTC", "2025/07/01 8:00 UTC / 1 Jul 2025, 08:00 UTC"),
    ]


def test_zone_names_in_both_languages_are_written_in_each(locale):
    from kizuna.i18n import BOTH, current_display

    locale("ja")
    token = current_display.set(BOTH)
    try:
        named = zone_name("Asia/Tokyo", "ja", SUMMER)
        assert named == "東京 — 日本時間（GMT+9） / Tokyo — Japan Time (GMT+9)"
    finally:
        current_display.reset(token)
