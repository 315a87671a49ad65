"""Reading the audit trail (``audit_log``): filters, pages newest first, and every matching entry in
batches for the CSV export. Plain dataclasses out; this module only reads — the application never
changes or removes an audit entry (``tests/meta/test_audit_append_only.py`` checks that).

Filters arrive as text from a query string and are checked by :func:`parse_filters`, which raises
``DomainError(VALUE_INVALID, field=...)`` for anything malformed (the caller answers 400 in the
reader's language, or shows the message next to the field).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.storage import tables as t
from kizuna.storage.admin_queries import Page

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_PAGE = 100_000
MAX_TEXT = 100  # a search text longer than this is refused, not cut
BATCH = 500  # rows read at a time by the export


@dataclass(frozen=True)
class AuditFilter:
    """What to show. Times are naive UTC, like every stored time; ``until`` is exclusive."""

    actor_id: int | None = None
    actor_name: str = ""
    action: str = ""  # a prefix: "challenge." or "challenge.updated"
    target_type: str = ""
    target_id: str = ""
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""

    def params(self, zone: tzinfo = UTC) -> dict[str, str]:
        """The query-string form of this filter (times written in ``zone``), for links."""
        out: dict[str, str] = {}
        if self.actor_id is not None:
            out["actor"] = str(self.actor_id)
        elif self.actor_name:
            out["actor"] = self.actor_name
        for key, value in (
            ("action", self.action),
            ("target_type", self.target_type),
            ("target_id", self.target_id),
            ("q", self.text),
        ):
            if value:
                out[key] = value
        for key, when in (("from", self.since), ("to", self.until)):
            if when is not None:
                local = when.replace(tzinfo=UTC).astimezone(zone)
                out[key] = local.strftime("%Y-%m-%dT%H:%M") if zone is not UTC else _iso_utc(when)
        return out


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    actor_role: str
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    address: str


def _iso_utc(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _invalid(field: str) -> DomainError:
    return DomainError(ErrorCode.VALUE_INVALID, field=field)


def _short(raw: Mapping[str, Any], key: str, limit: int) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _invalid(key)
    value = value.strip()
    if len(value) > limit or "\x00" in value:
        raise _invalid(key)
    return value


def parse_time(value: str, field: str, zone: tzinfo = UTC, end: bool = False) -> datetime | None:
    """An ISO 8601 date or date-time as naive UTC. Without an offset it is read in ``zone``; a bare
    date is its first moment (or, with ``end``, the first moment of the next day)."""
    if not value:
        return None
    if len(value) > 40:
        raise _invalid(field)
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            parsed = datetime.combine(day + timedelta(days=1) if end else day, time())
        else:
            parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _invalid(field) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    try:
        return parsed.astimezone(UTC).replace(tzinfo=None)
    except (OverflowError, ValueError):
        raise _invalid(field) from None


def parse_filters(raw: Mapping[str, Any], zone: tzinfo = UTC) -> AuditFilter:
    """The filter from query parameters ``actor``, ``action``, ``target_type``, ``target_id``,
    ``from``, ``to`` and ``q``. Times without an offset are in ``zone``."""
    actor = _short(raw, "actor", 128)
    actor_id: int | None = None
    actor_name = ""
    if actor.isascii() and actor.isdigit():
        if len(actor) > 12:
            raise _invalid("actor")
        actor_id = int(actor)
    else:
        actor_name = actor
    since = parse_time(_short(raw, "from", 40), "from", zone)
    until = parse_time(_short(raw, "to", 40), "to", zone, end=True)
    if since is not None and until is not None and until <= since:
        raise _invalid("to")
    return AuditFilter(
        actor_id=actor_id,
        actor_name=actor_name,
        action=_short(raw, "action", 64),
        target_type=_short(raw, "target_type", 32),
        target_id=_short(raw, "target_id", 64),
        since=since,
        until=until,
        text=_short(raw, "q", MAX_TEXT),
    )


def parse_number(value: Any, field: str, default: int, maximum: int) -> int:
    """A positive whole number from a query string (``default`` when absent), at most ``maximum``."""
    if value in (None, ""):
        return default
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise _invalid(field)
    number = int(text)
    if number < 1 or number > maximum:
        raise _invalid(field)
    return number


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(query: Any, f: AuditFilter) -> Any:
    e = t.AuditEntry
    if f.actor_id is not None:
        query = query.where(e.actor_id == f.actor_id)
    if f.actor_name:
        query = query.where(func.lower(e.actor_name) == f.actor_name.lower())
    if f.action:
        query = query.where(e.action.like(_like(f.action) + "%", escape="\\"))
    if f.target_type:
        query = query.where(e.target_type == f.target_type)
    if f.target_id:
        query = query.where(e.target_id == f.target_id)
    if f.since is not None:
        query = query.where(e.at >= f.since)
    if f.until is not None:
        query = query.where(e.at < f.until)
    if f.text:
        pattern = "%" + _like(f.text.lower()) + "%"
        query = query.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (
                        e.actor_name,
                        e.action,
                        e.target_type,
                        e.target_id,
                        e.address,
                        cast(e.before, String),
                        cast(e.after, String),
                    )
                )
            )
        )
    return query


def _row(e: t.AuditEntry) -> AuditRow:
    return AuditRow(
        id=e.id,
        at=e.at,
        actor_id=e.actor_id,
        actor_name=e.actor_name or "",
        actor_role=e.actor_role or "",
        action=e.action,
        target_type=e.target_type or "",
        target_id=e.target_id or "",
        before=dict(e.before) if e.before else None,
        after=dict(e.after) if e.after else None,
        address=e.address or "",
    )


def audit_page(s: Session, f: AuditFilter, page: int = 1, limit: int = DEFAULT_LIMIT) -> Page[AuditRow]:
    """One page of matching entries, newest first (``limit`` a page, at most :data:`MAX_LIMIT`);
    a page past the last one is clamped to the last."""
    limit = min(max(limit, 1), MAX_LIMIT)
    total = s.scalar(_filtered(select(func.count(t.AuditEntry.id)), f)) or 0
    pages = max(1, -(-total // limit))
    page = min(max(page, 1), pages)
    query = _filtered(select(t.AuditEntry), f).order_by(t.AuditEntry.id.desc())
    rows = s.scalars(query.offset((page - 1) * limit).limit(limit)).all()
    return Page([_row(e) for e in rows], page, limit, total)


def iter_entries(read: Any, f: AuditFilter, batch: int = BATCH) -> Iterator[AuditRow]:
    """Every matching entry, newest first, read ``batch`` at a time by id (keyset), each batch in a
    short read transaction of its own: ``read`` is ``ctx.db.read``. Entries appended meanwhile are
    not included (they are newer than the first one read)."""
    last: int | None = None
    while True:
        with read() as s:
            query = _filtered(select(t.AuditEntry), f)
            if last is not None:
                query = query.where(t.AuditEntry.id < last)
            rows = [_row(e) for e in s.scalars(query.order_by(t.AuditEntry.id.desc()).limit(batch))]
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1].id


def known_actions(s: Session) -> list[str]:
    """Every action recorded so far, for the filter's suggestions."""
    return sorted(a for a in s.scalars(select(t.AuditEntry.action).distinct()) if a)


def known_target_types(s: Session) -> list[str]:
    return sorted(a for a in s.scalars(select(t.AuditEntry.target_type).distinct()) if a)
