"""``/tags`` (admin): tags shown on challenge cards."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from kizuna.domain.errors import NotFound
from kizuna.domain.policy import Action
from kizuna.services import content
from kizuna.storage import tables as t
from kizuna.web.api.v1.common import done, ok, roles, tag_shape
from kizuna.web.deps import ChallengeEditor, ChallengeViewer, CtxDep

router = APIRouter(tags=["tags"])
Payload = Annotated[dict[str, Any], Body()]


@router.get("/tags", summary=f"Every tag {roles(Action.CHALLENGE_VIEW_ALL)}")
def list_tags(ctx: CtxDep, who: ChallengeViewer) -> JSONResponse:
    with ctx.db.read() as s:
        return ok([tag_shape(x) for x in s.query(t.Tag).order_by(t.Tag.id)])


@router.post("/tags", summary=f"Tag a challenge {roles(Action.CHALLENGE_EDIT)}")
def create_tag(ctx: CtxDep, who: ChallengeEditor, payload: Payload) -> JSONResponse:
    tag = content.create_tag(
        ctx, payload.get("challenge_id", payload.get("challenge")), str(payload.get("value") or "")
    )
    return ok(tag_shape(tag))


@router.get("/tags/{tag_id}", summary=f"One tag {roles(Action.CHALLENGE_VIEW_ALL)}")
def get_tag(ctx: CtxDep, who: ChallengeViewer, tag_id: int) -> JSONResponse:
    with ctx.db.read() as s:
        tag = s.get(t.Tag, tag_id)
    if tag is None:
        raise NotFound()
    return ok(tag_shape(tag))


@router.patch("/tags/{tag_id}", summary=f"Change a tag {roles(Action.CHALLENGE_EDIT)}")
def update_tag(ctx: CtxDep, who: ChallengeEditor, tag_id: int, payload: Payload) -> JSONResponse:
    return ok(tag_shape(content.update_tag(ctx, tag_id, str(payload.get("value") or ""))))


@router.delete("/tags/{tag_id}", summary=f"Delete a tag {roles(Action.CHALLENGE_EDIT)}")
def delete_tag(ctx: CtxDep, who: ChallengeEditor, tag_id: int) -> JSONResponse:
    content.delete_tag(ctx, tag_id)
    return done()
