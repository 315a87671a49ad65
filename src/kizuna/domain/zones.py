"""Time zones: the event's home zones and a reader's own, as IANA names ("Europe/London").

Times are stored and compared in UTC; zones only decide how a time is written for a reader. An
event lists one to four zones (a joint UK–Japan event shows both sides' local times together).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from kizuna.domain.errors import DomainError, ErrorCode

DEFAULT_TIME_ZONES = ("Europe/London", "Asia/Tokyo")
MAX_TIME_ZONES = 4
# Entries of the system's zone directory that are not zones a person would choose.
_NOT_ZONES = {"localtime", "posixrules", "posixrules.dst", "Factory"}

# Offered in the account page's list, west to east; any other IANA name is accepted too.
COMMON_TIME_ZONES = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Helsinki",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)


@cache
def _known() -> frozenset[str]:
    return frozenset(available_timezones() - _NOT_ZONES)


def is_time_zone(name: object) -> bool:
    """True for an IANA zone name this machine knows ("Asia/Tokyo", "UTC")."""
    return isinstance(name, str) and name in _known()


def validate_time_zone(name: object, field: str = "time_zone") -> str:
    if not is_time_zone(name):
        raise DomainError(ErrorCode.TIME_ZONE_INVALID, field=field, zone=str(name)[:64])
    assert isinstance(name, str)
    return name


def validate_time_zones(values: Any, field: str = "time_zones") -> list[str]:
    """One to four zone names, without repeats, in the order given."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise DomainError(ErrorCode.VALUE_INVALID, field=field)
    zones = list(dict.fromkeys(validate_time_zone(v, field) for v in values))
    if not 1 <= len(zones) <= MAX_TIME_ZONES:
        raise DomainError(ErrorCode.VALUE_INVALID, field=field)
    return zones


def zones_or_default(stored: Any) -> list[str]:
    """An event's stored zones, leaving out any this machine no longer knows; the default if none."""
    zones = [z for z in (stored or []) if is_time_zone(z)]
    return zones or list(DEFAULT_TIME_ZONES)


def wall_time_to_utc(local: datetime, zone: str, field: str = "") -> datetime:
    """A clock time typed in ``zone`` (naive: what a ``datetime-local`` input sends) as an aware UTC
    instant. A time with an offset of its own is that instant, whatever the zone.

    Twice a year a zone with summer time breaks the one-to-one match between clock times and
    instants, and neither case is guessed: a time the clocks skip (01:30 on the last Sunday of March
    in London, when 01:00 becomes 02:00) raises ``TIME_SKIPPED``; a time they pass twice (01:30 on
    the last Sunday of October, once in summer time and once after) raises ``TIME_REPEATED``. The
    organiser then types the time in another zone (UTC is always offered), where it is unambiguous.
    """
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    tz = ZoneInfo(validate_time_zone(zone, field or "time_zone"))
    earlier, later = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    if earlier.utcoffset() != later.utcoffset():
        shown = local.strftime("%Y-%m-%d %H:%M")
        # In a gap, the instant read with the earlier offset comes back as another clock time.
        if earlier.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
            raise DomainError(ErrorCode.TIME_SKIPPED, field=field, time=shown, zone=zone)
        raise DomainError(ErrorCode.TIME_REPEATED, field=field, time=shown, zone=zone)
    return earlier.astimezone(UTC)


def utc_to_wall_time(instant: datetime, zone: str) -> datetime:
    """An instant (naive means UTC, as stored) as the naive clock time in ``zone``."""
    aware = instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant
    return aware.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
