"""Learning progress: ``/users/{id}/progress`` (and ``/users/me/progress``) — XP, level, streaks and
the one-year activity calendar — and the learning leaderboards ``/learning/leaderboard`` (players)
and ``/learning/crews`` (affiliations), per period and track.

Read from the tables the statistics job derives from the event log (``services.learning_stats``);
a request computes nothing from the log. A hidden or banned user (or a member of a hidden or banned
team) answers ``/users/{id}/progress`` exactly as a missing one, as the other user routes do."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from kizuna.services import progress
from kizuna.services.progress import Board, CrewBoard, Progress
from kizuna.web.api.v1.common import ok
from kizuna.web.api.v1.users import _visible_user
from kizuna.web.deps import CtxDep, MaybeUser, User

router = APIRouter(tags=["learning"])


def _progress(p: Progress) -> dict[str, Any]:
    return {
        "user_id": p.user_id,
        "xp": p.xp,
        "level": {
            "number": p.level.number,
            "floor": p.level.floor,
            "next_at": p.level.next_at,
            "to_next": p.to_next,
            "progress": p.level.progress(p.xp),
        },
        "streak": {
            "current": p.current_streak,
            "longest": p.longest_streak,
            "last_active": p.last_active.isoformat() if p.last_active else None,
        },
        "activities": p.activities,
        "time_zone": p.zone,
        "today": p.today.isoformat(),
        "calendar": {
            "start": p.weeks[0][0].day.isoformat(),
            "end": p.today.isoformat(),
            "active_days": p.active_days,
            # Only the days with something in them, oldest first.
            "days": [
                {"date": d.day.isoformat(), "count": d.count, "xp": d.xp, "shade": d.shade}
                for d in p.days
                if d.count or d.xp
            ],
        },
    }


@router.get(
    "/users/me/progress",
    summary="Your learning progress: XP, level, streaks and the one-year activity calendar",
)
def my_progress(ctx: CtxDep, who: User) -> JSONResponse:
    user = _visible_user(ctx, who.user_id, who, own=True)
    return ok(_progress(progress.user_progress(ctx, user)))


@router.get(
    "/users/{user_id}/progress",
    summary="A user's learning progress: XP, level, streaks and the one-year activity calendar",
)
def user_progress(ctx: CtxDep, who: MaybeUser, user_id: int) -> JSONResponse:
    user = _visible_user(ctx, user_id, who)
    return ok(_progress(progress.user_progress(ctx, user)))


def _meta(board: Board | CrewBoard) -> dict[str, Any]:
    return {
        "period": board.period,
        "track": board.track or None,
        "scope": board.scope,
        "pagination": {
            "page": board.page,
            "next": board.page + 1 if board.page < board.pages else None,
            "prev": board.page - 1 if board.page > 1 else None,
            "pages": board.pages,
            "per_page": board.per_page,
            "total": board.total,
        },
    }


@router.get(
    "/learning/leaderboard",
    summary="Players ranked by learning XP; ?period=week|month|all (the current week or month in the "
    "event's first time zone), ?track=<key>, ?page=",
)
def leaderboard(ctx: CtxDep, period: str = "all", track: str = "", page: int = 1) -> JSONResponse:
    board = progress.leaderboard(ctx, period, track, page)
    data = [
        {
            "pos": e.pos,
            "user_id": e.user_id,
            "name": e.name,
            "affiliation": e.affiliation,
            "xp": e.xp,
            "level": e.level,
        }
        for e in board.entries
    ]
    return ok(data, meta=_meta(board))


@router.get(
    "/learning/crews",
    summary="Affiliations (crews) ranked by their members' learning XP summed; ?period=, ?track=, ?page=",
)
def crews(ctx: CtxDep, period: str = "all", track: str = "", page: int = 1) -> JSONResponse:
    board = progress.crews(ctx, period, track, page)
    data = [
        {"pos": e.pos, "affiliation": e.name, "xp": e.xp, "members": e.members, "mean_xp": e.mean}
        for e in board.entries
    ]
    return ok(data, meta=_meta(board))
