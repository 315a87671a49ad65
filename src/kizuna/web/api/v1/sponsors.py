"""``/sponsors`` (Kizuna extension): the organisers, hosts, sponsors and supporters on the home page.

Anyone may read the list (it is on the public home page); ``name`` comes in the reader's language
(``Accept-Language``, ``?lang=``), falling back along the event's ``content_locales``, with every
language's text in ``translations`` and the entry's own language in ``locale``. Admins create, change
and delete entries; ``url`` must be an ``http`` or ``https`` address (or empty), ``group`` one of
``organisers``, ``hosts``, ``sponsors``, ``supporters``. ``logo`` (write only) is a PNG, JPEG or WebP
image in base64 (null or "" removes it); entries answer ``logo_url``, the image's address (or null)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from kizuna.domain.policy import Action
from kizuna.services import sponsors
from kizuna.services.event import get_event
from kizuna.storage import tables as t
from kizuna.web.api.v1.common import done, json_body, json_request, localized_fields, ok, roles
from kizuna.web.content import content_order, localized
from kizuna.web.deps import CtxDep, EventAdmin

router = APIRouter(tags=["sponsors"])

SPONSOR_FIELDS = {
    "name": "string",
    "url": "string",
    "group": "string",
    "position": "integer",
    "locale": "string",
    "translations": "object",
    "logo": "string",
}


def logo_url(sponsor_id: int, digest: str | None) -> str | None:
    """The logo's address, versioned by its digest so a new logo is never served from a cache."""
    return f"/sponsors/{sponsor_id}/logo?v={digest[:16]}" if digest else None


def sponsor_shape(row: t.Sponsor, order: list[str], digest: str | None) -> dict[str, Any]:
    return {
        "id": row.id,
        **localized_fields(localized(row, sponsors.SPONSOR_TEXT), sponsors.SPONSOR_TEXT, order),
        "url": row.url,
        "group": row.group,
        "position": row.position,
        "logo_url": logo_url(row.id, digest),
    }


def _one(ctx: Any, row: t.Sponsor) -> JSONResponse:
    digest = sponsors.logo_digests(ctx).get(row.id)
    return ok(sponsor_shape(row, content_order(get_event(ctx)), digest))


@router.get("/sponsors", summary="The organisers, hosts, sponsors and supporters, in the home page's order")
def list_sponsors(ctx: CtxDep) -> JSONResponse:
    order, logos = content_order(get_event(ctx)), sponsors.logo_digests(ctx)
    return ok([sponsor_shape(row, order, logos.get(row.id)) for row in sponsors.all_sponsors(ctx)])


@router.post(
    "/sponsors",
    summary=f"Add an organiser, host, sponsor or supporter {roles(Action.EVENT_SETTINGS)}",
    openapi_extra=json_request(SPONSOR_FIELDS, ("name",)),
)
async def create_sponsor(request: Request, ctx: CtxDep, who: EventAdmin) -> JSONResponse:
    data = await json_body(request)
    row = await run_in_threadpool(sponsors.create_sponsor, ctx, data)
    return _one(ctx, row)


@router.get("/sponsors/{sponsor_id}", summary="One organiser, host, sponsor or supporter")
def get_sponsor(ctx: CtxDep, sponsor_id: int) -> JSONResponse:
    return _one(ctx, sponsors.get_sponsor(ctx, sponsor_id))


@router.patch(
    "/sponsors/{sponsor_id}",
    summary=f"Change an organiser, host, sponsor or supporter {roles(Action.EVENT_SETTINGS)}",
    openapi_extra=json_request(SPONSOR_FIELDS),
)
async def update_sponsor(request: Request, ctx: CtxDep, who: EventAdmin, sponsor_id: int) -> JSONResponse:
    data = await json_body(request)
    row = await run_in_threadpool(sponsors.update_sponsor, ctx, sponsor_id, data)
    return _one(ctx, row)


@router.delete(
    "/sponsors/{sponsor_id}",
    summary=f"Remove an organiser, host, sponsor or supporter {roles(Action.EVENT_SETTINGS)}",
)
def delete_sponsor(ctx: CtxDep, who: EventAdmin, sponsor_id: int) -> JSONResponse:
    sponsors.delete_sponsor(ctx, sponsor_id)
    return done()
