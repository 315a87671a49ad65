"""Results exports: what can be exported, in which formats, and how a time is written.

Five exports (``ExportKind``): the final standings, the solves, the submissions, the awards and the
write-ups (解説); each as CSV or JSON (``ExportFormat``), the write-ups also as one Markdown
document. Times are stored as naive UTC and written as ISO 8601 with the offset of the zone the
organiser chose (``2026-11-29T18:00:00+09:00``), UTC by default, so one file reads right in Tokyo
and in London. Unknown kinds, formats and zones are refused with an error id, never guessed.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from enum import StrEnum

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.zones import validate_time_zone


class ExportKind(StrEnum):
    STANDINGS = "standings"
    SOLVES = "solves"
    SUBMISSIONS = "submissions"
    AWARDS = "awards"
    WRITEUPS = "writeups"


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    MARKDOWN = "md"


_TABLES = (ExportFormat.CSV, ExportFormat.JSON)
FORMATS: dict[ExportKind, tuple[ExportFormat, ...]] = {
    ExportKind.STANDINGS: _TABLES,
    ExportKind.SOLVES: _TABLES,
    ExportKind.SUBMISSIONS: _TABLES,
    ExportKind.AWARDS: _TABLES,
    ExportKind.WRITEUPS: (*_TABLES, ExportFormat.MARKDOWN),
}


DEFAULT_ZONE = "UTC"

# The columns of each export, in order: the CSV's header and the keys of each JSON object.
COLUMNS: dict[ExportKind, tuple[str, ...]] = {
    ExportKind.STANDINGS: (
        "rank",
        "account_id",
        "name",
        "score",
        "members",
        "affiliation",
        "country",
        "bracket_id",
        "bracket",
        "last_scored_at",
    ),
    ExportKind.SOLVES: (
        "id",
        "date",
        "challenge_id",
        "challenge",
        "category",
        "account_id",
        "account",
        "user_id",
        "user",
        "value",
        "scored",
    ),
    ExportKind.SUBMISSIONS: (
        "id",
        "date",
        "challenge_id",
        "challenge",
        "account_id",
        "account",
        "user_id",
        "user",
        "provided",
        "result",
        "late",
        "address",
    ),
    ExportKind.AWARDS: (
        "id",
        "date",
        "account_id",
        "account",
        "user_id",
        "user",
        "name",
        "description",
        "category",
        "value",
    ),
    ExportKind.WRITEUPS: (
        "id",
        "challenge_id",
        "challenge",
        "account_id",
        "account",
        "user_id",
        "user",
        "locale",
        "prize",
        "comment_en",
        "comment_ja",
        "created_at",
        "updated_at",
        "content",
    ),
}


def parse_kind(value: object) -> ExportKind:
    if isinstance(value, str) and value in ExportKind.__members__.values():
        return ExportKind(value)
    raise DomainError(ErrorCode.EXPORT_KIND_UNKNOWN, field="kind", kind=str(value)[:32])


def parse_format(value: object, kind: ExportKind) -> ExportFormat:
    """One of the formats of ``kind`` (``csv``, ``json``; ``md`` for write-ups); empty is CSV."""
    if value in (None, ""):
        return ExportFormat.CSV
    allowed = FORMATS[kind]
    if isinstance(value, str) and value in allowed:
        return ExportFormat(value)
    choices = ", ".join(f.value for f in allowed)
    raise DomainError(
        ErrorCode.EXPORT_FORMAT_UNKNOWN, field="format", format=str(value)[:32], choices=choices
    )


def parse_zone(value: object, field: str = "tz") -> str:
    """An IANA zone name (``Asia/Tokyo``, ``Europe/London``, ``UTC``); empty means UTC."""
    if value in (None, ""):
        return DEFAULT_ZONE
    return validate_time_zone(value, field)


_TRUE = ("", "1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def parse_bom(value: object) -> bool:
    """Whether a CSV starts with a byte order mark: yes unless ``false`` (or 0, no, off)."""
    lowered = value.strip().lower() if isinstance(value, str) else None
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise DomainError(ErrorCode.VALUE_INVALID, field="bom")


def zoned_iso(when: datetime | None, zone: tzinfo) -> str | None:
    """A stored (naive UTC) time as ISO 8601 in ``zone``, with its offset; None stays None."""
    if when is None:
        return None
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return aware.astimezone(zone).isoformat()


def file_name(kind: ExportKind, fmt: ExportFormat, now: datetime) -> str:
    """``kizuna-standings-20261129-090000.csv`` (the time in UTC)."""
    return f"kizuna-{kind.value}-{now.strftime('%Y%m%d-%H%M%S')}.{fmt.value}"
