"""``/brackets``: divisions (部門) in CTFd's shape ``{id, name, description, type}``.

Anyone may list them (registration offers them; ``?type=users|teams`` keeps one kind); admins create,
change and delete them. ``name`` and ``description`` come in the reader's language (``?lang=``,
``Accept-Language``), falling back along the event's ``content_locales``, with every language's text
in ``translations`` and the bracket's own language in ``locale`` (additive, like other content)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from kizuna.domain.policy import Action
from kizuna.services import brackets
from kizuna.services.event import get_event
from kizuna.storage import tables as t
from kizuna.web.api.v1.common import done, json_body, json_request, localized_fields, ok, roles
from kizuna.web.content import content_order, localized
from kizuna.web.deps import CtxDep, EventAdmin

router = APIRouter(tags=["brackets"])

BRACKET_FIELDS = {
    "name": "string",
    "description": "string",
    "type": "string",
    "locale": "string",
    "translations": "object",
}


def bracket_shape(row: t.Bracket, order: list[str]) -> dict[str, Any]:
    return {
        "id": row.id,
        **localized_fields(localized(row, brackets.BRACKET_TEXT), brackets.BRACKET_TEXT, order),
        "type": row.type,
    }


@router.get("/brackets", summary="The brackets (divisions); ?type=users or ?type=teams keeps one kind")
def list_brackets(ctx: CtxDep, type: str | None = None) -> JSONResponse:
    kind = brackets.validate_type(type) if type else None
    order = content_order(get_event(ctx))
    return ok([bracket_shape(row, order) for row in brackets.all_brackets(ctx, kind)])


@router.post(
    "/brackets",
    summary=f"Add a bracket {roles(Action.EVENT_SETTINGS)}",
    openapi_extra=json_request(BRACKET_FIELDS, ("name",)),
)
async def create_bracket(request: Request, ctx: CtxDep, who: EventAdmin) -> JSONResponse:
    data = await json_body(request)
    row = await run_in_threadpool(brackets.create_bracket, ctx, data)
    return ok(bracket_shape(row, content_order(get_event(ctx))))


@router.patch(
    "/brackets/{bracket_id}",
    summary=f"Change a bracket {roles(Action.EVENT_SETTINGS)}",
    openapi_extra=json_request(BRACKET_FIELDS),
)
async def update_bracket(request: Request, ctx: CtxDep, who: EventAdmin, bracket_id: int) -> JSONResponse:
    data = await json_body(request)
    row = await run_in_threadpool(brackets.update_bracket, ctx, bracket_id, data)
    return ok(bracket_shape(row, content_order(get_event(ctx))))


@router.delete("/brackets/{bracket_id}", summary=f"Remove a bracket {roles(Action.EVENT_SETTINGS)}")
def delete_bracket(ctx: CtxDep, who: EventAdmin, bracket_id: int) -> JSONResponse:
    brackets.delete_bracket(ctx, bracket_id)
    return done()
