"""``/awards`` (admin): points granted or, negative, taken away — with a reason."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from kizuna.domain.errors import NotFound
from kizuna.domain.policy import Action
from kizuna.services import awards
from kizuna.storage import tables as t
from kizuna.web.api.v1.accounts_common import award_shape
from kizuna.web.api.v1.common import done, int_param, ok, roles
from kizuna.web.deps import AwardManager, CtxDep

router = APIRouter(tags=["awards"])
Payload = Annotated[dict[str, Any], Body()]


@router.get("/awards", summary=f"Awards, optionally of one user or team {roles(Action.AWARD_MANAGE)}")
def list_awards(
    ctx: CtxDep, who: AwardManager, user_id: int | None = None, team_id: int | None = None
) -> JSONResponse:
    with ctx.db.read() as s:
        q = s.query(t.Award)
        if user_id is not None:
            q = q.filter(t.Award.user_id == user_id)
        if team_id is not None:
            q = q.filter(t.Award.team_id == team_id)
        return ok([award_shape(a) for a in q.order_by(t.Award.id)])


@router.post("/awards", summary=f"Grant an award or a penalty (negative value) {roles(Action.AWARD_MANAGE)}")
def create_award(ctx: CtxDep, who: AwardManager, payload: Payload) -> JSONResponse:
    value = int_param(payload, "value")
    assert value is not None
    award = awards.grant_award(
        ctx,
        str(payload.get("name") or ""),
        value,
        int_param(payload, "user_id", required=False),
        int_param(payload, "team_id", required=False),
        str(payload.get("description") or ""),
        str(payload.get("category") or ""),
        str(payload.get("icon") or ""),
    )
    return ok(award_shape(award))


@router.get("/awards/{award_id}", summary=f"One award {roles(Action.AWARD_MANAGE)}")
def get_award(ctx: CtxDep, who: AwardManager, award_id: int) -> JSONResponse:
    with ctx.db.read() as s:
        award = s.get(t.Award, award_id)
    if award is None:
        raise NotFound()
    return ok(award_shape(award))


@router.delete("/awards/{award_id}", summary=f"Delete an award {roles(Action.AWARD_MANAGE)}")
def delete_award(ctx: CtxDep, who: AwardManager, award_id: int) -> JSONResponse:
    awards.delete_award(ctx, award_id)
    return done()
