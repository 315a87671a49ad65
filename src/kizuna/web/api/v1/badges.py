"""``/badges``: the badge definitions (バッジ) with how many listed players hold each, and a user's
badges. A hidden or banned user, or a member of a hidden or banned team, answers
``/users/{id}/badges`` as a missing one (404) to everyone but the staff who watch the rosters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from kizuna.domain.badges import Badge
from kizuna.domain.policy import Action
from kizuna.services import badges
from kizuna.web.api.v1.common import ok, when
from kizuna.web.content import resolve, translations_out
from kizuna.web.deps import CtxDep, MaybeUser

router = APIRouter(tags=["badges"])


def _rule(badge: Badge) -> dict[str, Any]:
    r = badge.rule
    out: dict[str, Any] = {"kind": r.kind}
    if r.kind == "track_completed":
        out["track"] = r.track or None
    elif r.kind == "category_mastery":
        out.update(category=r.category, solves=r.count)
    elif r.kind == "streak":
        out["days"] = r.count
    else:
        out["count"] = r.count
    return out


def shape(badge: Badge) -> dict[str, Any]:
    """A badge in the reader's language (``translations``: every language's text)."""
    return {
        "key": badge.key,
        "name": resolve(badge.text, "name", ()),
        "description": resolve(badge.text, "description", ()),
        "icon": f"/static/badges/{badge.icon}.svg",
        "rule": _rule(badge),
        "translations": translations_out(badge.text),
    }


@router.get("/badges", summary="Every badge, with how many players hold it")
def badge_list(ctx: CtxDep) -> JSONResponse:
    return ok([{**shape(s.badge), "earned_by": s.earned_by} for s in badges.overview(ctx)])


@router.get("/users/{user_id}/badges", summary="A user's badges, oldest first")
def user_badges(ctx: CtxDep, who: MaybeUser, user_id: int) -> JSONResponse:
    user = badges.listed_user(ctx, user_id, bool(who and who.can(Action.ROSTER_VIEW)))
    return ok([{**shape(h.badge), "awarded_at": when(h.awarded_at)} for h in badges.held_by(ctx, user.id)])
