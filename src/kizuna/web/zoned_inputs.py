"""Date and time inputs of the staff forms, typed in a zone chosen beside each of them.

A time input ``start_at`` comes with a select ``start_at_zone`` offering the event's zones and UTC,
the event's first zone chosen by default (or the zone last chosen for that field, remembered in the
session). The server reads the clock time in the chosen zone, stores the instant in UTC, and shows a
stored time back as a clock time in the zone chosen. Under each input the same instant is written in
UTC and in the event's zones: by the server for the stored (or typed) time, and by
``/static/kizuna-admin.js`` as the organiser types (its words come from the page, never from the
script). A clock time that a zone skips or repeats is refused (``domain.zones.wall_time_to_utc``).

A form posted without a zone (an API-like client, or a page from before zones were offered) is read
as UTC, as the forms always were.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from starlette.requests import Request

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.zones import is_time_zone, utc_to_wall_time, wall_time_to_utc
from kizuna.i18n import current_locale, display_locales, joined
from kizuna.services.event import time_zones
from kizuna.web.messages import message_for
from kizuna.web.zones import (
    ZonedTime,
    current_clock,
    in_zones,
    pattern_locale,
    time_of_day,
    zone_abbreviation,
    zone_label,
    zone_name,
)

ZONE_SUFFIX = "_zone"
SESSION_KEY = "admin_input_zones"
UTC_ZONE = "UTC"


def input_zones(ev: Any) -> list[str]:
    """The zones a time may be typed in: the event's, then UTC (always offered)."""
    return list(dict.fromkeys([*time_zones(ev), UTC_ZONE]))


def zone_options(zones: Sequence[str]) -> list[tuple[str, str]]:
    """(zone, its name as the account page writes it: "Tokyo — Japan Time (GMT+9)") for the select."""
    locale = current_locale.get()
    return [(zone, zone_name(zone, locale)) for zone in zones]


def remembered(request: Request, key: str, zones: Sequence[str]) -> str:
    """The zone last chosen for ``key`` in this session if still offered, else the event's first."""
    stored = request.session.get(SESSION_KEY)
    chosen = stored.get(key) if isinstance(stored, dict) else None
    return chosen if isinstance(chosen, str) and chosen in zones else zones[0]


def remember(request: Request, chosen: Mapping[str, str]) -> None:
    """Keep the zones chosen on a saved form, so the page after the redirect shows the same."""
    stored = request.session.get(SESSION_KEY)
    request.session[SESSION_KEY] = {**(stored if isinstance(stored, dict) else {}), **chosen}


def chosen_zone(form: Mapping[str, object], key: str, zones: Sequence[str], default: str = UTC_ZONE) -> str:
    """The zone posted beside ``key``; ``default`` (UTC) when the form has none. An unknown or
    unoffered zone is refused (a crafted form: our page only offers ``zones``)."""
    value = form.get(key + ZONE_SUFFIX)
    if value is None:
        return default
    if not isinstance(value, str) or value not in zones or not is_time_zone(value):
        raise DomainError(ErrorCode.TIME_ZONE_INVALID, field=key, zone=str(value)[:64])
    return value


def read_time(typed: str, zone: str, field: str) -> datetime | None:
    """A ``datetime-local`` value typed in ``zone`` as a naive UTC datetime; None when empty."""
    typed = typed.strip()
    if not typed:
        return None
    try:
        local = datetime.fromisoformat(typed)
    except ValueError:
        raise DomainError(ErrorCode.VALUE_INVALID, field=field) from None
    return wall_time_to_utc(local, zone, field).replace(tzinfo=None)


def wall_value(value: datetime | None, zone: str) -> str:
    """A stored (naive UTC) time as a ``datetime-local`` value in ``zone``; seconds only if any."""
    if value is None:
        return ""
    local = utc_to_wall_time(value, zone)
    return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class TimeInput:
    """What the ``ui.zoned_time`` macro needs for one input: the zone chosen and offered, and the
    instant already known (stored, or typed and valid) in UTC and every event zone."""

    zone: str
    options: list[tuple[str, str]]
    preview_zones: list[tuple[str, str, str]]  # (zone, city, short names as JSON) of the preview lines
    times: list[ZonedTime]  # the known instant in each preview zone; [] when there is none
    patterns: dict[str, str]  # the sentences kizuna-admin.js shows for a skipped or repeated time
    locales: str  # the BCP 47 tags kizuna-admin.js writes the preview in ("en-GB"; "ja en-GB" in 日英併記)
    hour_cycle: str  # the reader's clock for Intl: "h12", "h23", or "" for the language's own
    # JSON, per tag: the pattern joining time {0} and date {1} ("{1}, {0}") and whether the hour has
    # two digits ("09:00") or as many as it needs ("9:00"), as the server writes them.
    patterns_by_tag: str


def preview_zones(zones: Sequence[str]) -> list[str]:
    """The preview's zones: UTC first, then the event's."""
    return list(dict.fromkeys([UTC_ZONE, *zones]))


def _tag(locale: str) -> str:
    """The BCP 47 tag of a language's date patterns ("en" → "en-GB")."""
    return pattern_locale(locale).replace("_", "-")


def short_names(zone: str, locales: Sequence[str], year: int) -> str:
    """The zone's short names in each language by offset in minutes, as JSON
    ({"en-GB": {"0": "GMT", "60": "BST"}}), from midwinter and midsummer of ``year``:
    kizuna-admin.js names a previewed time as the server does ("JST", where the browser would write
    "GMT+9"), and falls back to the browser's name for an offset not listed."""
    names: dict[str, dict[str, str]] = {}
    for locale in locales:
        by_offset = names.setdefault(_tag(locale), {})
        for month in (1, 7):
            local = datetime(year, month, 1, 12, tzinfo=UTC).astimezone(ZoneInfo(zone))
            minutes = int((local.utcoffset() or timedelta(0)) // timedelta(minutes=1))
            by_offset[str(minutes)] = zone_abbreviation(local, zone, locale)
    return json.dumps(names, ensure_ascii=False, sort_keys=True)


def time_input(zone: str, zones: Sequence[str], instant: datetime | None) -> TimeInput:
    """One time input: ``zone`` chosen among ``zones`` (``input_zones``), ``instant`` to preview."""
    shown = preview_zones(zones)
    year = (instant or datetime.now(UTC)).year
    # As ``zones.in_zones`` writes them: in both-languages mode, in each language (reader's first).
    locales = display_locales()
    return TimeInput(
        zone=zone,
        options=zone_options(zones),
        preview_zones=[
            (z, joined([zone_label(z, code) for code in locales]), short_names(z, locales, year))
            for z in shown
        ],
        times=in_zones(instant, shown),
        patterns={
            "skipped": message_for(DomainError(ErrorCode.TIME_SKIPPED, time="{time}", zone="{zone}")),
            "repeated": message_for(DomainError(ErrorCode.TIME_REPEATED, time="{time}", zone="{zone}")),
        },
        locales=" ".join(_tag(code) for code in locales),
        hour_cycle={"12": "h12", "24": "h23"}.get(current_clock.get(), ""),
        patterns_by_tag=json.dumps(
            {_tag(code): _clock_pattern(code) for code in locales}, ensure_ascii=False
        ),
    )


def _clock_pattern(locale: str) -> dict[str, str]:
    """How ``zones.format_in_zone`` writes a date and time in ``locale`` and the reader's clock, in
    the terms of the browser's ``Intl.DateTimeFormat``: the join and the hour's digits."""
    join = str(Locale.parse(pattern_locale(locale)).datetime_formats["medium"])
    sample = time_of_day(datetime(2000, 1, 1, 9, 5), locale)  # "09:05", "9:05", "9:05 am", 「午前9:05」
    return {"join": join, "hour": "2-digit" if "09" in sample else "numeric"}
