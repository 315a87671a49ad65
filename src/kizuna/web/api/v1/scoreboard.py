"""``/scoreboard``: standings and the top N with their scoring history (the graph's data), and
``/ctftime``, the public board in CTFtime's scoreboard feed format.

Served from snapshots with an ETag. The public board is frozen at the freeze time; roles allowed
``Action.SCOREBOARD_LIVE`` (admins, judges) see the live board. ``?bracket_id=``, ``?country=`` (an
ISO 3166-1 alpha-2 code) and ``?affiliation=`` keep the accounts of one bracket, country or
affiliation, ranked from 1 among themselves (derived from the full board's snapshot). A bracket id
that names no bracket gives an empty board, as on CTFd; a malformed one, or a country that is not a
code, is refused with 400 in the reader's language.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from kizuna.domain.policy import Action
from kizuna.services.scoreboard import parse_filter
from kizuna.web.api.v1.common import cached, ok
from kizuna.web.deps import MaybeUser
from kizuna.web.matrix import matrix_for

router = APIRouter(tags=["scoreboard"])


@router.get("/scoreboard", summary="Ranked accounts (CTFd shape); ?bracket_id=, ?country=, ?affiliation=")
def scoreboard(
    request: Request,
    who: MaybeUser,
    bracket_id: str | None = None,
    country: str | None = None,
    affiliation: str | None = None,
) -> Response:
    which = parse_filter(bracket_id, country, affiliation)
    live = bool(who and who.can(Action.SCOREBOARD_LIVE))
    return cached(request, request.app.state.snapshots.board(live, which))


@router.get(
    "/scoreboard/top/{count}",
    summary="The top N accounts with every scoring event, for the graph; "
    "?bracket_id=, ?country=, ?affiliation=",
)
def top(
    request: Request,
    who: MaybeUser,
    count: int,
    bracket_id: str | None = None,
    country: str | None = None,
    affiliation: str | None = None,
) -> Response:
    which = parse_filter(bracket_id, country, affiliation)
    count = min(max(count, 1), 50)
    live = bool(who and who.can(Action.SCOREBOARD_LIVE))
    return cached(request, request.app.state.snapshots.top(count, live, which=which))


@router.get(
    "/ctftime",
    summary="The public scoreboard in CTFtime's feed format {standings: [{pos, team, score, lastAccept}]}; "
    "?bracket_id=, ?country=, ?affiliation= for a division's own feed",
)
def ctftime(
    request: Request,
    bracket_id: str | None = None,
    country: str | None = None,
    affiliation: str | None = None,
) -> Response:
    """Always the public board (frozen during the freeze, whoever asks), without CTFd's envelope:
    CTFtime reads ``standings`` at the top level."""
    which = parse_filter(bracket_id, country, affiliation)
    return cached(request, request.app.state.snapshots.ctftime(which))


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
