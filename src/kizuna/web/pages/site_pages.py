"""Pages of organiser content for everyone: the announcements and the custom pages (rules, venue…),
each in the reader's language with a note on any text shown in another language."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError
from kizuna.domain.policy import Action
from kizuna.services import pages
from kizuna.services.translations import PAGE_TEXT
from kizuna.web.content import localized
from kizuna.web.deps import CtxDep, optional_principal
from kizuna.web.messages import message_for
from kizuna.web.pages.player_helpers import login_redirect
from kizuna.web.render import render, render_error
from kizuna.web.site_content import announcements

router = APIRouter()


@router.get("/announcements", response_class=HTMLResponse)
def announcement_list(request: Request, ctx: CtxDep) -> HTMLResponse:
    return render(request, "announcements.html", announcements=announcements(ctx))


@router.get("/pages/{route:path}", response_class=HTMLResponse)
def custom_page(request: Request, ctx: CtxDep, route: str) -> Response:
    who = optional_principal(request)
    try:
        page = pages.page_for_reader(ctx, route, who is not None and who.can(Action.PAGE_EDIT))
    except DomainError as exc:
        return render_error(request, exc.status, message_for(exc))
    if page.auth_required and who is None:
        return login_redirect(request)
    return render(request, "page.html", page=page, ptext=localized(page, PAGE_TEXT))
