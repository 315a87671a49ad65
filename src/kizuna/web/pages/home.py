from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kizuna.services.event import clock_of, get_event
from kizuna.web.pages.player_helpers import milestone
from kizuna.web.render import render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    ctx = request.app.state.ctx
    ev = get_event(ctx)
    return render(
        request,
        "home.html",
        phase=clock_of(ev).phase(ctx.now()).value,
        start_times=milestone(ev.start_at),
        end_times=milestone(ev.end_at),
    )
