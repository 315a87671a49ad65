"""The venue screen (会場表示モード): the big screen at the venue shows the event, the time left, the
public top of the scoreboard with its graph, and the latest announcements, large and in both
languages by default (``?display=single`` shows the viewer's language only). htmx refreshes it every
15 seconds; without JavaScript a meta refresh does. Everything comes from the scoreboard snapshots,
so a room full of screens costs no more than one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kizuna.i18n import BOTH, current_display
from kizuna.web.pages.scoreboard import board_context
from kizuna.web.render import render
from kizuna.web.site_content import announcements
from kizuna.web.zones import countdown

router = APIRouter()

TOP = 10
ANNOUNCEMENTS = 3
REFRESH_SECONDS = 15


def _context(request: Request) -> dict[str, Any]:
    if "display" not in request.query_params:
        current_display.set(BOTH)  # this request only: the screen is for readers of either language
    ctx = request.app.state.ctx
    board = board_context(request, live=False)  # the screen is public: it honours the freeze
    return {
        **board,
        "rows": board["rows"][:TOP],
        "announcements": announcements(ctx, ANNOUNCEMENTS),
        "countdown": countdown(board["event"], ctx.now()),
        "display_param": "both" if current_display.get() == BOTH else "single",
        "refresh": REFRESH_SECONDS,
    }


@router.get("/venue", response_class=HTMLResponse)
def venue(request: Request) -> HTMLResponse:
    return render(request, "venue.html", **_context(request))


@router.get("/venue/fragment", response_class=HTMLResponse)
def venue_fragment(request: Request) -> HTMLResponse:
    """The screen's body alone, for htmx's periodic refresh."""
    return render(request, "_venue_body.html", **_context(request))
