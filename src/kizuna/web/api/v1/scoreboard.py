"""``/scoreboard``: standings and the top N with their scoring history (the graph's data).

Served from snapshots with an ETag. The public board is frozen at the freeze time; roles allowed
``Action.SCOREBOARD_LIVE`` (admins, judges) see the live board.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from kizuna.domain.policy import Action
from kizuna.web.api.v1.common import cached, ok
from kizuna.web.deps import MaybeUser
from kizuna.web.matrix import matrix_for

router = APIRouter(tags=["scoreboard"])


@router.get("/scoreboard", summary="Ranked accounts (CTFd shape)")
def scoreboard(request: Request, who: MaybeUser) -> Response:
    snap = request.app.state.snapshots.scoreboard(live=bool(who and who.can(Action.SCOREBOARD_LIVE)))
    return cached(request, snap)


@router.get("/scoreboard/top/{count}", summary="The top N accounts with every scoring event, for the graph")
def top(request: Request, who: MaybeUser, count: int) -> Response:
    count = min(max(count, 1), 50)
    snap = request.app.state.snapshots.top(count, live=bool(who and who.can(Action.SCOREBOARD_LIVE)))
    return cached(request, snap)


@router.get(
    "/scoreboard/matrix",
    summary="The solve matrix: ranked accounts × challenges, each account's solves and each "
    "challenge's first solver (Kizuna extension; frozen for the public as the scoreboard is)",
)
def matrix(request: Request, who: MaybeUser) -> JSONResponse:
    """``challenges`` [{id, name, category, value}] in board order (names in the reader's language),
    ``accounts`` [{account_id, account_url, name, pos, score, solves: [challenge ids]}] in
    scoreboard order, ``first_bloods`` {challenge id: account id}."""
    return ok(matrix_for(request, who))
