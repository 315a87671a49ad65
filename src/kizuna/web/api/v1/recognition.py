"""Skill profiles (Kizuna extension): ``/users/{id}/skills`` and ``/users/me/skills``.

A profile lists, per category the reader may see, the challenges the user solved themselves (at the
event or as practice) and their weight by difficulty (``domain/skills.py``: bands 1-5 from the
challenge's points, a dynamic challenge's initial value), out of the category's whole weight. A
hidden or banned user answers 404 exactly as a missing one, as the other ``/users/{id}`` routes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kizuna.domain.policy import Action
from kizuna.domain.skills import BAND_LIMITS
from kizuna.services import skills
from kizuna.services.accounts import Principal
from kizuna.services.event import get_event
from kizuna.web.api.v1.common import ok
from kizuna.web.content import content_order, resolve
from kizuna.web.deps import CtxDep, MaybeUser, User

router = APIRouter(tags=["users"])


def skills_shape(profile: skills.SkillProfile, order: list[str]) -> dict[str, Any]:
    return {
        "user_id": profile.user_id,
        "categories": [
            {
                "category": axis.category,
                "name": resolve(profile.text(axis.category), "name", order),
                "translations": {code: {"name": n} for code, n in profile.names.get(axis.category, {}).items()},
                "solved": axis.solved,
                "score": axis.score,
                "available": axis.available,
                "share": round(axis.share, 4),
            }
            for axis in profile.axes
        ],
        "totals": profile.totals,
        "difficulty_bands": list(BAND_LIMITS),
    }


def _cutoff(request: Request, who: Principal | None, own: bool) -> Any:
    if own or (who and who.can(Action.SCOREBOARD_LIVE)):
        return None
    return request.app.state.snapshots.state().cutoff


@router.get("/users/me/skills", summary="Your skill profile: per category, solves weighted by difficulty")
def my_skills(request: Request, ctx: CtxDep, who: User) -> JSONResponse:
    profile = skills.skill_profile(ctx, who, who.user_id, None, own=True)
    return ok(skills_shape(profile, content_order(get_event(ctx))))


@router.get(
    "/users/{user_id}/skills",
    summary="A user's skill profile: per category, solves weighted by difficulty (frozen view for players)",
)
def user_skills(request: Request, ctx: CtxDep, who: MaybeUser, user_id: int) -> JSONResponse:
    own = bool(who and who.user_id == user_id)
    profile = skills.skill_profile(ctx, who, user_id, _cutoff(request, who, own))
    return ok(skills_shape(profile, content_order(get_event(ctx))))
