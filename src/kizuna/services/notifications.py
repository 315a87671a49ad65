"""Announcements to every player. Published on the bus after commit so live screens can show them."""

from __future__ import annotations

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.services.context import Context
from kizuna.storage import tables as t


def announce(ctx: Context, title: str, content: str) -> t.Notification:
    if not (title or "").strip():
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="title")
    if not (content or "").strip():
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="content")
    with ctx.db.write() as s:
        row = t.Notification(title=title.strip()[:200], content=content, date=ctx.now())
        s.add(row)
        s.flush()
    ctx.bus.publish({"type": "notification", "notification_id": row.id})
    return row


def delete_notification(ctx: Context, notification_id: int) -> None:
    with ctx.db.write() as s:
        row = s.get(t.Notification, notification_id)
        if row is None:
            raise NotFound()
        s.delete(row)
