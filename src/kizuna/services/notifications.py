"""Announcements to every player, in as many languages as the organisers write them.

The title and content in the announcement's own language (``locale``, default the event's) are the
plain columns; other languages are in ``translations`` (see ``services.translations``). Published on
the bus after commit so live screens can show them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.services.context import Context
from kizuna.services.rows import delete_row, get_row
from kizuna.services.translations import NOTIFICATION_TEXT, apply_text
from kizuna.storage import repo
from kizuna.storage import tables as t

MAX_TITLE = 200


def announce(ctx: Context, title: str, content: str, text: Mapping[str, Any] | None = None) -> t.Notification:
    """A new announcement. ``title`` and ``content`` are in ``text["locale"]`` (default: the event's
    language); ``text["translations"]`` may add other languages, or give the own language's text."""
    given = dict(text or {})
    with ctx.write() as uow:
        s = uow.session
        row = t.Notification(
            title=(title or "").strip(),
            content=content or "",
            date=ctx.now(),
            locale=str(given.get("locale") or "") or repo.event(s).default_locale or "en",
            translations=None,
        )
        apply_text(row, given, NOTIFICATION_TEXT, required=NOTIFICATION_TEXT)
        for name in NOTIFICATION_TEXT:
            if not getattr(row, name).strip():
                raise DomainError(ErrorCode.FIELD_REQUIRED, field=name)
        row.title = row.title[:MAX_TITLE]
        s.add(row)
        s.flush()
        uow.emit("announcement", {"notification_id": row.id})
        uow.audit(
            None,
            "announcement.created",
            "announcement",
            row.id,
            after={"title": row.title, "locale": row.locale, "translations": row.translations},
        )
    return row


def latest(ctx: Context, limit: int | None = None, since_id: int | None = None) -> list[t.Notification]:
    """Announcements, newest first (at most ``limit``; only those after ``since_id`` when given)."""
    with ctx.db.read() as s:
        q = s.query(t.Notification)
        if since_id is not None:
            q = q.filter(t.Notification.id > since_id)
        q = q.order_by(t.Notification.id.desc())
        return list(q.limit(limit) if limit is not None else q)


def get_notification(ctx: Context, notification_id: int) -> t.Notification:
    return get_row(ctx, t.Notification, notification_id)


def delete_notification(ctx: Context, notification_id: int) -> None:
    delete_row(ctx, t.Notification, notification_id, "announcement")
