"""``/notifications``: announcements, public to read, admin to write."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse, Response

from kizuna.domain.errors import NotFound
from kizuna.markdown import render_markdown
from kizuna.services import notifications
from kizuna.storage import tables as t
from kizuna.web.api.v1.common import done, ok, when
from kizuna.web.deps import Admin, CtxDep

router = APIRouter(tags=["notifications"])
Payload = Annotated[dict[str, Any], Body()]


def _shape(n: t.Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "title": n.title,
        "content": n.content,
        "html": render_markdown(n.content),
        "date": when(n.date),
    }


def _rows(ctx: Any, since_id: int | None) -> list[t.Notification]:
    with ctx.db.read() as s:
        q = s.query(t.Notification)
        if since_id is not None:
            q = q.filter(t.Notification.id > since_id)
        return q.order_by(t.Notification.id.desc()).all()


@router.get("/notifications", summary="Announcements, newest first (?since_id= for newer ones)")
def list_notifications(ctx: CtxDep, since_id: int | None = None) -> JSONResponse:
    return ok([_shape(n) for n in _rows(ctx, since_id)])


@router.head("/notifications", summary="How many announcements there are (Result-Count header)")
def count_notifications(ctx: CtxDep, since_id: int | None = None) -> Response:
    return Response(headers={"Result-Count": str(len(_rows(ctx, since_id)))})


@router.post("/notifications", summary="Announce something to everyone (admin)")
def create_notification(ctx: CtxDep, who: Admin, payload: Payload) -> JSONResponse:
    return ok(
        _shape(
            notifications.announce(ctx, str(payload.get("title") or ""), str(payload.get("content") or ""))
        )
    )


@router.get("/notifications/{notification_id}", summary="One announcement")
def get_notification(ctx: CtxDep, notification_id: int) -> JSONResponse:
    with ctx.db.read() as s:
        row = s.get(t.Notification, notification_id)
    if row is None:
        raise NotFound()
    return ok(_shape(row))


@router.delete("/notifications/{notification_id}", summary="Delete an announcement (admin)")
def delete_notification(ctx: CtxDep, who: Admin, notification_id: int) -> JSONResponse:
    notifications.delete_notification(ctx, notification_id)
    return done()
