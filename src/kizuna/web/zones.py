"""Times for readers: which zone a reader sees, and a time written in one or several zones.

The reader's zone is decided here and nowhere else (``viewer_zone``): the account's choice, else the
``tz`` cookie our script sets from the browser, else the event's first zone. Formatting uses Babel's
patterns for the reader's language and names the zone, so "9:00" is never ambiguous. English is
written in British style ("28 Nov 2026, 06:03", a 24-hour clock: :data:`PATTERN_LOCALES`), for the
joint events' audience in the UK and Japan; a reader may ask for a 12-hour clock instead (the ``clock``
cookie, :data:`current_clock`: "9:05 pm", 「午後9:05」).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_time, get_timezone_location, get_timezone_name
from fastapi import Request

from kizuna.domain.clock import Phase, utc
from kizuna.domain.zones import COMMON_TIME_ZONES, is_time_zone
from kizuna.i18n import current_locale, display_locales, gettext, gettext_in, joined, lazy, ngettext
from kizuna.services.event import clock_of as event_clock
from kizuna.services.event import time_zones

TZ_COOKIE = "tz"
# The Babel locale whose date and time patterns a language is written with.
PATTERN_LOCALES = {"en": "en_GB"}
# The reader's clock, set per request from the ``clock`` cookie (GET /clock/12|24|auto): "12" for a
# 12-hour clock; anything else is the language's own (24-hour in British English and Japanese).
CLOCK_COOKIE = "clock"
CLOCKS = ("24", "12")
current_clock: ContextVar[str] = ContextVar("kizuna_clock", default="")


def clock_of(cookie: str | None) -> str:
    """The clock a cookie value asks for: "12", "24", or "" (the language's own)."""
    return cookie if cookie in CLOCKS else ""


def time_of_day(local: datetime, locale: str) -> str:
    """The time of day in the reader's language and clock: "21:05" or "9:05 pm"; 「21:05」 or 「午後9:05」."""
    patterns = pattern_locale(locale)
    if current_clock.get() == "12":
        skeleton = Locale.parse(patterns).datetime_skeletons.get("hm")
        if skeleton is not None:
            return format_time(local, skeleton, locale=patterns)
    elif current_clock.get() == "24":
        skeleton = Locale.parse(patterns).datetime_skeletons.get("Hm")
        if skeleton is not None:
            return format_time(local, skeleton, locale=patterns)
    return format_time(local, "short", locale=patterns)


def pattern_locale(locale: str) -> str:
    """The locale of the date and time patterns for ``locale`` ("en" → British English)."""
    return PATTERN_LOCALES.get(locale, locale)


def viewer_zone(request: Request, ev: Any) -> str:
    """The zone the reader sees times in: account > browser (``tz`` cookie) > the event's first."""
    from kizuna.web.deps import optional_principal

    who = optional_principal(request)
    chosen = getattr(who, "time_zone", "") if who is not None else ""
    if is_time_zone(chosen):
        return str(chosen)
    browser = request.cookies.get(TZ_COOKIE, "")
    if is_time_zone(browser):
        return browser
    return time_zones(ev)[0]


def _aware(value: datetime) -> datetime:
    out = utc(value)
    assert out is not None
    return out


def utc_iso(value: datetime) -> str:
    """An instant as ISO 8601 in UTC ("2025-06-01T08:00:00Z"), for ``<time datetime>`` and scripts."""
    return _aware(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_locale(code: str) -> Locale | None:
    try:
        return Locale.parse(code)
    except (ValueError, UnknownLocaleError):
        return None


def zone_abbreviation(local: datetime, zone: str, locale: str) -> str:
    """A short name for ``zone`` at that moment: "BST", "JST", else a GMT offset such as "GMT+9".

    Babel's data holds a zone's abbreviation in the languages of the country it belongs to (British
    English has "BST", Japanese "JST"), so the reader's language in the zone's country is tried first.
    """
    territory = get_global("zone_territories").get(zone, "")
    language = locale.split("_")[0]
    candidates = [f"{language}_{territory}" if territory else "", locale]
    if language == "en" and territory:
        # English readers know a zone by its country's own abbreviation where CLDR's English has
        # none ("JST", not "GMT+9"); Japanese keeps CLDR's own names ("JST", "GMT+1").
        candidates.append(_country_locale(territory))
    for candidate in candidates:
        parsed = _parse_locale(candidate) if candidate else None
        if parsed is None:
            continue
        name = get_timezone_name(local, "short", locale=parsed)
        if name.isalpha() and len(name) <= 5:
            return name
    return gmt_offset(local, locale)


def _country_locale(territory: str) -> str:
    """The locale of a country's most spoken official language ("JP" → "ja_JP"), or ""."""
    from babel.languages import get_official_languages

    languages = get_official_languages(territory, de_facto=True)
    return f"{languages[0]}_{territory}" if languages else ""


def gmt_offset(local: datetime, locale: str) -> str:
    """The offset in the language's GMT pattern, as short as it goes: "GMT+9", "GMT+5:30", "GMT"."""
    minutes = int((local.utcoffset() or timedelta(0)) // timedelta(minutes=1))
    hours, rest = divmod(abs(minutes), 60)
    offset = (
        "" if minutes == 0 else f"{'-' if minutes < 0 else '+'}{hours}" + (f":{rest:02d}" if rest else "")
    )
    return str(Locale.parse(locale).zone_formats["gmt"] % offset)


def zone_label(zone: str, locale: str) -> str:
    """The zone's city in the reader's language (London, ロンドン); the IANA name when there is none."""
    city = get_timezone_location(ZoneInfo(zone), locale=locale, return_city=True)
    return city or zone


def format_in_zone(value: datetime, zone: str, fmt: str = "medium", locale: str | None = None) -> str:
    """``value`` (UTC) in ``zone``: the language's date and time patterns, then the zone's short name."""
    locale = locale or current_locale.get()
    local = _aware(value).astimezone(ZoneInfo(zone))
    patterns = pattern_locale(locale)
    date = format_date(local, fmt, locale=patterns)
    time = time_of_day(local, locale)
    joined = Locale.parse(patterns).datetime_formats[fmt].format(time, date)
    return f"{joined} {zone_abbreviation(local, zone, locale)}"


UTC_NAME = lazy("UTC — Coordinated Universal Time")
ZONE_NAME = lazy("%(city)s — %(name)s (%(offset)s)")
ZONE_AND_OFFSET = lazy("%(zone)s (%(offset)s)")


def zone_name(zone: str, locale: str, now: datetime | None = None) -> str:
    """A zone as a reader knows it: its city, the country's or region's time and the offset now —
    "Tokyo — Japan Time (GMT+9)", 「東京 — 日本時間（GMT+9）」; UTC is "UTC — Coordinated Universal Time".
    In both-languages mode, written in each language, reader's first."""
    shown = display_locales() if locale == current_locale.get() else [locale]
    return joined([_zone_name_in(zone, code, now) for code in shown])


def _zone_name_in(zone: str, locale: str, now: datetime | None) -> str:
    if zone == "UTC":
        return gettext_in(locale, UTC_NAME)
    local = _aware(now or datetime.now(UTC)).astimezone(ZoneInfo(zone))
    city = zone_label(zone, locale)
    generic = get_timezone_name(ZoneInfo(zone), "long", locale=locale)
    offset = gmt_offset(local, locale)
    if city == zone or not generic or zone.startswith("Etc/"):
        return gettext_in(locale, ZONE_AND_OFFSET, zone=zone, offset=offset)
    return gettext_in(locale, ZONE_NAME, city=city, name=generic, offset=offset)


def zone_choices(
    chosen: str, event_zones: Sequence[str], now: datetime | None = None
) -> list[tuple[str, str]]:
    """Zones to pick from, each named as :func:`zone_name` does: the event's first, in its order, then
    the common ones and the current choice from west to east (by their offset now)."""
    locale = current_locale.get()
    when = _aware(now or datetime.now(UTC))
    others = [z for z in dict.fromkeys([*COMMON_TIME_ZONES, *([chosen] if is_time_zone(chosen) else [])])]
    others = [z for z in others if z not in event_zones]
    others.sort(key=lambda z: (when.astimezone(ZoneInfo(z)).utcoffset() or timedelta(0), z))
    return [(zone, zone_name(zone, locale, when)) for zone in dict.fromkeys([*event_zones, *others])]


@dataclass(frozen=True)
class ZonedTime:
    """One instant written for one zone: its IANA id, the city, and the local date and time."""

    zone: str
    label: str
    text: str
    iso: str  # the instant in UTC, for <time datetime>


def in_zones(value: datetime | None, zones: Sequence[str]) -> list[ZonedTime]:
    """``value`` written once in each of ``zones``, side by side; [] when there is no time."""
    if value is None:
        return []
    iso = utc_iso(value)
    # In both-languages mode the city and the date are written in each language ("東京 / Tokyo").
    shown = display_locales()
    return [
        ZonedTime(
            z,
            joined([zone_label(z, code) for code in shown]),
            joined([format_in_zone(value, z, locale=code) for code in shown]),
            iso,
        )
        for z in zones
    ]


# --- the countdown to the start (before it) or to the end (while it runs) ----------------------------

PLACEHOLDER_DAYS, PLACEHOLDER_CLOCK = "{days}", "{clock}"


@dataclass(frozen=True)
class Countdown:
    """Time left until ``target``; ``texts`` are what the page says now and the sentence patterns
    our script fills in as it ticks, so its words come from the catalogs too."""

    kind: str  # "start" | "end"
    target: str  # ISO 8601 UTC
    left: int  # seconds, when the page was made
    text: str
    patterns: dict[str, str]  # "short" (under a day), "one" (1 day), "other" (days); and "done"


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds % 86400, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _sentences(kind: str, days: int, **values: object) -> str:
    """The sentence for ``days`` whole days left (0: under a day), in the reader's language(s)."""
    if kind == "start":
        if days == 0:
            return gettext("The event starts in %(clock)s.", **values)
        return ngettext(
            "The event starts in %(num)s day and %(clock)s.",
            "The event starts in %(num)s days and %(clock)s.",
            days,
            **values,
        )
    if days == 0:
        return gettext("The event ends in %(clock)s.", **values)
    return ngettext(
        "The event ends in %(num)s day and %(clock)s.",
        "The event ends in %(num)s days and %(clock)s.",
        days,
        **values,
    )


def countdown(ev: Any, now: datetime) -> Countdown | None:
    """To the start before the event, to the end while it runs (or is paused); None otherwise."""
    phase = event_clock(ev).phase(now)
    if phase is Phase.NOT_STARTED and ev.start_at is not None:
        kind, target = "start", _aware(ev.start_at)
    elif phase in (Phase.RUNNING, Phase.PAUSED) and ev.end_at is not None:
        kind, target = "end", _aware(ev.end_at)
    else:
        return None
    left = max(0, int((target - _aware(now)) // timedelta(seconds=1)))
    days = left // 86400
    text = _sentences(kind, days, num=days, clock=_clock(left))
    marks = {"num": PLACEHOLDER_DAYS, "clock": PLACEHOLDER_CLOCK}
    # ngettext with 1 and 2 picks the singular and plural patterns (English and Japanese need no more).
    patterns = {
        "short": _sentences(kind, 0, **marks),
        "one": _sentences(kind, 1, **marks),
        "other": _sentences(kind, 2, **marks),
        "done": gettext("The event is running.") if kind == "start" else gettext("The event has ended."),
    }
    return Countdown(kind, utc_iso(target), left, text, patterns)
