"""``/flags`` (admin): the flags of every challenge, CTFd's shapes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from kizuna.domain.errors import NotFound
from kizuna.domain.flags import FLAG_TYPES
from kizuna.services import content
from kizuna.storage import tables as t
from kizuna.web.api.v1.common import done, flag_shape, ok
from kizuna.web.deps import Admin, CtxDep

router = APIRouter(tags=["flags"])
Payload = Annotated[dict[str, Any], Body()]


@router.get("/flags", summary="Every flag (admin)")
def list_flags(ctx: CtxDep, who: Admin) -> JSONResponse:
    with ctx.db.read() as s:
        return ok([flag_shape(f) for f in s.query(t.Flag).order_by(t.Flag.id)])


@router.post("/flags", summary="Add a flag to a challenge (admin)")
def create_flag(ctx: CtxDep, who: Admin, payload: Payload) -> JSONResponse:
    flag = content.create_flag(
        ctx,
        payload.get("challenge_id", payload.get("challenge")),
        str(payload.get("type") or "static"),
        str(payload.get("content") or ""),
        payload.get("data"),
    )
    return ok(flag_shape(flag))


@router.get("/flags/types", summary="Flag types (admin)")
def flag_types(who: Admin) -> JSONResponse:
    return ok({name: {"name": name, "templates": {}} for name in FLAG_TYPES})


@router.get("/flags/types/{name}", summary="One flag type (admin)")
def flag_type(who: Admin, name: str) -> JSONResponse:
    if name not in FLAG_TYPES:
        raise NotFound()
    return ok({"name": name, "templates": {}})


def _flag(ctx: Any, flag_id: int) -> t.Flag:
    with ctx.db.read() as s:
        flag = s.get(t.Flag, flag_id)
    if flag is None:
        raise NotFound()
    return flag


@router.get("/flags/{flag_id}", summary="One flag (admin)")
def get_flag(ctx: CtxDep, who: Admin, flag_id: int) -> JSONResponse:
    return ok(flag_shape(_flag(ctx, flag_id)))


@router.patch("/flags/{flag_id}", summary="Change a flag (admin)")
def update_flag(ctx: CtxDep, who: Admin, flag_id: int, payload: Payload) -> JSONResponse:
    return ok(flag_shape(content.update_flag(ctx, flag_id, payload)))


@router.delete("/flags/{flag_id}", summary="Delete a flag (admin)")
def delete_flag(ctx: CtxDep, who: Admin, flag_id: int) -> JSONResponse:
    content.delete_flag(ctx, flag_id)
    return done()
