"""``/pages``: custom pages in CTFd's shape (admin only), so ``ctf pages push/pull`` work.

Pages come back as stored: ``title`` and ``content`` in the page's own language (``locale``) and every
language's text in ``translations``; create and update accept both keys. Players read pages at
``/pages/<route>``, not through the API (as on CTFd)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from kizuna.domain.policy import Action
from kizuna.services import pages
from kizuna.services.translations import PAGE_TEXT
from kizuna.storage import tables as t
from kizuna.web.api.v1.common import done, json_body, json_request, ok, roles, stored_translations
from kizuna.web.content import localized
from kizuna.web.deps import CtxDep, PageEditor

router = APIRouter(tags=["pages"])

PAGE_FIELDS = {
    "title": "string",
    "route": "string",
    "content": "string",
    "format": "string",
    "draft": "boolean",
    "hidden": "boolean",
    "auth_required": "boolean",
    "locale": "string",
    "translations": "object",
}


def page_shape(p: t.Page) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "route": p.route,
        "content": p.content,
        "draft": p.draft,
        "hidden": p.hidden,
        "auth_required": p.auth_required,
        "format": p.format,
        "locale": p.locale,
        "translations": stored_translations(localized(p, PAGE_TEXT)),
    }


@router.get("/pages", summary=f"Every custom page {roles(Action.PAGE_EDIT)}")
def list_pages(ctx: CtxDep, who: PageEditor) -> JSONResponse:
    return ok([page_shape(p) for p in pages.all_pages(ctx)])


@router.post(
    "/pages",
    summary=f"Create a custom page {roles(Action.PAGE_EDIT)}",
    openapi_extra=json_request(PAGE_FIELDS, ("route",)),
)
async def create_page(request: Request, ctx: CtxDep, who: PageEditor) -> JSONResponse:
    data = await json_body(request)
    return ok(page_shape(await run_in_threadpool(pages.create_page, ctx, data)))


@router.get("/pages/{page_id}", summary=f"One custom page {roles(Action.PAGE_EDIT)}")
def get_page(ctx: CtxDep, who: PageEditor, page_id: int) -> JSONResponse:
    return ok(page_shape(pages.get_page(ctx, page_id)))


@router.patch(
    "/pages/{page_id}",
    summary=f"Change a custom page {roles(Action.PAGE_EDIT)}",
    openapi_extra=json_request(PAGE_FIELDS),
)
async def update_page(request: Request, ctx: CtxDep, who: PageEditor, page_id: int) -> JSONResponse:
    data = await json_body(request)
    return ok(page_shape(await run_in_threadpool(pages.update_page, ctx, page_id, data)))


@router.delete("/pages/{page_id}", summary=f"Delete a custom page {roles(Action.PAGE_EDIT)}")
def delete_page(ctx: CtxDep, who: PageEditor, page_id: int) -> JSONResponse:
    pages.delete_page(ctx, page_id)
    return done()
