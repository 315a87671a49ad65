from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kizuna.services.event import clock_of, get_event, time_zones
from kizuna.web.render import render
from kizuna.web.zones import countdown, in_zones, viewer_zone

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """The event in the reader's language; its start, end and freeze in every event zone (and the
    reader's own, when that is another), and the time left until the start or the end."""
    ctx = request.app.state.ctx
    ev = get_event(ctx)
    now = ctx.now()
    zones = list(dict.fromkeys([*time_zones(ev), viewer_zone(request, ev)]))
    return render(
        request,
        "home.html",
        phase=clock_of(ev).phase(now).value,
        start_times=in_zones(ev.start_at, zones),
        end_times=in_zones(ev.end_at, zones),
        freeze_times=in_zones(ev.freeze_at, zones),
        countdown=countdown(ev, now),
    )
