"""``/tokens``: a user's API tokens. The value is shown once, at creation; only its hash is kept."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.domain.policy import Action
from kizuna.services import accounts
from kizuna.storage import tables as t
from kizuna.web.api.v1.common import done, ok, roles, when
from kizuna.web.deps import CtxDep, User, recheck_streams

router = APIRouter(tags=["tokens"])
Payload = Annotated[dict[str, Any], Body()]


def _shape(tok: t.Token) -> dict[str, Any]:
    return {
        "id": tok.id,
        "type": tok.type,
        "user_id": tok.user_id,
        "created": when(tok.created_at),
        "expiration": when(tok.expires_at),
        "description": tok.description,
        "prefix": tok.prefix,
    }


@router.get("/tokens", summary="Your API tokens (never their values)")
def list_tokens(ctx: CtxDep, who: User) -> JSONResponse:
    with ctx.db.read() as s:
        rows = s.query(t.Token).filter(t.Token.user_id == who.user_id).order_by(t.Token.id).all()
    return ok([_shape(x) for x in rows])


@router.post("/tokens", summary="Create an API token; its value is in this answer only")
def create_token(ctx: CtxDep, who: User, payload: Payload) -> JSONResponse:
    days = None
    if payload.get("expiration"):
        try:
            expires = datetime.fromisoformat(str(payload["expiration"])[:10])
        except ValueError:
            raise DomainError(ErrorCode.VALUE_INVALID, field="expiration") from None
        days = (expires - ctx.now()).days + 1
        if days <= 0:
            raise DomainError(ErrorCode.VALUE_INVALID, field="expiration")
    issued = accounts.create_token(ctx, who.user_id, str(payload.get("description") or ""), days)
    return ok({**_shape(issued.token), "value": issued.value})


@router.get(
    "/tokens/{token_id}",
    summary=f"One of your tokens; any account's {roles(Action.TOKEN_MANAGE)}",
)
def get_token(ctx: CtxDep, who: User, token_id: int) -> JSONResponse:
    with ctx.db.read() as s:
        tok = s.get(t.Token, token_id)
    if tok is None or (tok.user_id != who.user_id and not who.can(Action.TOKEN_MANAGE)):
        raise NotFound()
    return ok(_shape(tok))


@router.delete(
    "/tokens/{token_id}",
    summary=f"Delete one of your tokens; any account's {roles(Action.TOKEN_MANAGE)}",
)
def delete_token(request: Request, ctx: CtxDep, who: User, token_id: int) -> JSONResponse:
    accounts.delete_token(ctx, token_id, who)
    recheck_streams(request)  # a stream opened with it closes now
    return done()
