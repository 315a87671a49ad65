"""``/flags`` (admin): the flags of every challenge, CTFd's shapes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from kizuna.domain.errors import NotFound
from kizuna.domain.flags import FLAG_TYPES
from kizuna.domain.policy import Action
from kizuna.services import content
from kizuna.storage import tables as t
from kizuna.web.api.v1.common import done, flag_shape, ok, roles
from kizuna.web.deps import ChallengeEditor, ChallengeViewer, CtxDep

router = APIRouter(tags=["flags"])
Payload = Annotated[dict[str, Any], Body()]


@router.get("/flags", summary=f"Every flag {roles(Action.CHALLENGE_VIEW_ALL)}")
def list_flags(ctx: CtxDep, who: ChallengeViewer) -> JSONResponse:
    with ctx.db.read() as s:
        return ok([flag_shape(f) for f in s.query(t.Flag).order_by(t.Flag.id)])


@router.post("/flags", summary=f"Add a flag to a challenge {roles(Action.CHALLENGE_EDIT)}")
def create_flag(ctx: CtxDep, who: ChallengeEditor, payload: Payload) -> JSONResponse:
    flag = content.create_flag(
        ctx,
        payload.get("challenge_id", payload.get("challenge")),
        str(payload.get("type") or "static"),
        str(payload.get("content") or ""),
        payload.get("data"),
    )
    return ok(flag_shape(flag))


@router.get("/flags/types", summary=f"Flag types {roles(Action.CHALLENGE_EDIT)}")
def flag_types(who: ChallengeEditor) -> JSONResponse:
    return ok({name: {"name": name, "templates": {}} for name in FLAG_TYPES})


@router.get("/flags/types/{name}", summary=f"One flag type {roles(Action.CHALLENGE_EDIT)}")
def flag_type(who: ChallengeEditor, name: str) -> JSONResponse:
    if name not in FLAG_TYPES:
        raise NotFound()
    return ok({"name": name, "templates": {}})


def _flag(ctx: Any, flag_id: int) -> t.Flag:
    with ctx.db.read() as s:
        flag = s.get(t.Flag, flag_id)
    if flag is None:
        raise NotFound()
    return flag


@router.get("/flags/{flag_id}", summary=f"One flag {roles(Action.CHALLENGE_VIEW_ALL)}")
def get_flag(ctx: CtxDep, who: ChallengeViewer, flag_id: int) -> JSONResponse:
    return ok(flag_shape(_flag(ctx, flag_id)))


@router.patch("/flags/{flag_id}", summary=f"Change a flag {roles(Action.CHALLENGE_EDIT)}")
def update_flag(ctx: CtxDep, who: ChallengeEditor, flag_id: int, payload: Payload) -> JSONResponse:
    return ok(flag_shape(content.update_flag(ctx, flag_id, payload)))


@router.delete("/flags/{flag_id}", summary=f"Delete a flag {roles(Action.CHALLENGE_EDIT)}")
def delete_flag(ctx: CtxDep, who: ChallengeEditor, flag_id: int) -> JSONResponse:
    content.delete_flag(ctx, flag_id)
    return done()
