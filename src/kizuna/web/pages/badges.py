"""``/badges``: every badge (バッジ) with its icon, name, description and how many players hold it.
A player's own badges are on their page (``templates/_badges.html``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.services import badges
from kizuna.web.deps import CtxDep
from kizuna.web.render import render

router = APIRouter()


@router.get("/badges", response_class=HTMLResponse)
def badge_list(request: Request, ctx: CtxDep) -> Response:
    return render(request, "badges.html", badges=badges.overview(ctx))
