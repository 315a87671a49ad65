"""The learning leaderboards page (``/learn/leaderboard``): players and crews (affiliations) ranked
by learning XP, per period (this week, this month, all time) and per track — separate from the
event's scoreboard. Read from the statistics job's tables (``services.progress``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kizuna.domain.errors import DomainError
from kizuna.services import progress, tracks
from kizuna.web.deps import CtxDep, optional_principal
from kizuna.web.messages import message_for
from kizuna.web.pages.tracks import texts as track_texts
from kizuna.web.render import render

router = APIRouter()


@router.get("/learn/leaderboard", response_class=HTMLResponse)
def learn_leaderboard(request: Request, ctx: CtxDep) -> HTMLResponse:
    """``?period=week|month|all&track=<key>&page=N``, a GET form; a refused value is said on the
    page, over the all-time board."""
    params = request.query_params
    period = (params.get("period") or "all")[:16]
    track = (params.get("track") or "")[:200]
    page_text = (params.get("page") or "1")[:8]
    error = ""
    try:
        page = int(page_text) if page_text.isdigit() else progress.parse_page(0)
        board = progress.leaderboard(ctx, period, track, page)
        crews = progress.crews(ctx, period, track, 1)
    except DomainError as exc:
        error = message_for(exc)
        period, track = "all", ""
        board = progress.leaderboard(ctx)
        crews = progress.crews(ctx)
    return render(
        request,
        "learn_leaderboard.html",
        status_code=400 if error else 200,
        board=board,
        crews=crews,
        # The filter offers the tracks the reader may see, by title (keys only for the query).
        tracks=tracks.track_names(ctx, optional_principal(request)),
        track_texts=track_texts,
        home_zone=progress.home_zone(ctx),
        period=period,
        track=track,
        error=error,
    )
