"""``/notifications``: announcements, public to read, admin to write.

Readers get title, content and html in their language (or its fallback) plus every language's text
in ``translations`` and the announcement's own language in ``locale``; POST accepts both keys too."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse, Response

from kizuna.domain.policy import Action
from kizuna.markdown import render_markdown
from kizuna.services import notifications
from kizuna.services.context import Context
from kizuna.services.event import get_event
from kizuna.services.translations import NOTIFICATION_TEXT
from kizuna.storage import tables as t
from kizuna.web.api.v1.common import done, localized_fields, ok, roles, when
from kizuna.web.content import content_order, localized
from kizuna.web.deps import AnnouncementEditor, AnnouncementPoster, CtxDep

router = APIRouter(tags=["notifications"])
Payload = Annotated[dict[str, Any], Body()]


def _shape(n: t.Notification, order: list[str]) -> dict[str, Any]:
    texts = localized_fields(localized(n, NOTIFICATION_TEXT), NOTIFICATION_TEXT, order)
    return {
        "id": n.id,
        "title": texts["title"],
        "content": texts["content"],
        "html": render_markdown(texts["content"]),
        "date": when(n.date),
        "locale": texts["locale"],
        "translations": texts["translations"],
    }


def _order(ctx: Context) -> list[str]:
    return content_order(get_event(ctx))


@router.get("/notifications", summary="Announcements, newest first (?since_id= for newer ones)")
def list_notifications(ctx: CtxDep, since_id: int | None = None) -> JSONResponse:
    order = _order(ctx)
    return ok([_shape(n, order) for n in notifications.latest(ctx, since_id=since_id)])


@router.head("/notifications", summary="How many announcements there are (Result-Count header)")
def count_notifications(ctx: CtxDep, since_id: int | None = None) -> Response:
    return Response(headers={"Result-Count": str(len(notifications.latest(ctx, since_id=since_id)))})


@router.post("/notifications", summary=f"Announce something to everyone {roles(Action.ANNOUNCEMENT_POST)}")
def create_notification(ctx: CtxDep, who: AnnouncementPoster, payload: Payload) -> JSONResponse:
    row = notifications.announce(
        ctx,
        str(payload.get("title") or ""),
        str(payload.get("content") or ""),
        {k: payload[k] for k in ("locale", "translations") if k in payload},
    )
    return ok(_shape(row, _order(ctx)))


@router.get("/notifications/{notification_id}", summary="One announcement")
def get_notification(ctx: CtxDep, notification_id: int) -> JSONResponse:
    return ok(_shape(notifications.get_notification(ctx, notification_id), _order(ctx)))


@router.delete(
    "/notifications/{notification_id}", summary=f"Delete an announcement {roles(Action.ANNOUNCEMENT_EDIT)}"
)
def delete_notification(ctx: CtxDep, who: AnnouncementEditor, notification_id: int) -> JSONResponse:
    notifications.delete_notification(ctx, notification_id)
    return done()
