"""``/writeups`` (Kizuna extension): write-ups (解説) of challenges.

Players send one per challenge for their account (``POST``: once the account has solved it, or after
the event if it took part; sending again changes it) and read their account's own (``GET``), with
whether a judge gave it a prize. Judges and admins (``WRITEUP_REVIEW``) read every write-up and mark
prizes (``PATCH``). Another account's write-up, or one of a hidden challenge, is 404 for a player,
exactly as one that does not exist. Exports: ``/exports/writeups`` (CSV, JSON or Markdown).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.policy import Action
from kizuna.markdown import render_markdown
from kizuna.services import writeups
from kizuna.storage.writeup_queries import WriteupRow
from kizuna.web.api.v1.common import int_param, json_request, ok, roles, when
from kizuna.web.deps import CtxDep, Player, User, WriteupReviewer

router = APIRouter(tags=["writeups"])
Payload = Annotated[dict[str, Any], Body()]


def writeup_shape(row: WriteupRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "challenge_id": row.challenge_id,
        "challenge": row.challenge,
        "account_id": row.account_id,
        "account": row.account,
        "user_id": row.user_id,
        "user": row.user,
        "content": row.content,
        "html": render_markdown(row.content),
        "locale": row.locale,
        "prize": row.prize,
        "comment": row.comment or {},
        "created": when(row.created_at),
        "updated": when(row.updated_at),
    }


def _prize_filter(value: str) -> bool | None:
    if value == "":
        return None
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise DomainError(ErrorCode.VALUE_INVALID, field="prize")


@router.get(
    "/writeups",
    summary="Write-ups: the caller's account's own; every one (filters challenge_id, prize) for "
    f"{roles(Action.WRITEUP_REVIEW)}",
)
def list_writeups(
    ctx: CtxDep,
    who: User,
    challenge_id: Annotated[int | None, Query(description="Staff: one challenge's write-ups")] = None,
    prize: Annotated[str, Query(description='Staff: "true" for prize-winning ones, "false" for others')] = "",
) -> JSONResponse:
    if who.can(Action.WRITEUP_REVIEW):
        rows = writeups.all_writeups(ctx, who, challenge_id, _prize_filter(prize))
    else:
        rows = writeups.own_writeups(ctx, who)
    return ok([writeup_shape(r) for r in rows])


@router.post(
    "/writeups",
    summary="Send or change the account's write-up of a challenge (Markdown; after solving it, or "
    f"after the event) {roles(Action.PLAY)}",
    openapi_extra=json_request(
        {"challenge_id": "integer", "content": "string", "locale": "string"}, ("challenge_id", "content")
    ),
)
def submit_writeup(ctx: CtxDep, who: Player, payload: Payload) -> JSONResponse:
    challenge_id = int_param(payload, "challenge_id")
    assert challenge_id is not None
    row = writeups.submit_writeup(ctx, who, challenge_id, payload.get("content"), payload.get("locale") or "")
    return ok(writeup_shape(row))


@router.get("/writeups/{writeup_id}", summary="One write-up: the account's own, or any for staff")
def get_writeup(ctx: CtxDep, who: User, writeup_id: int) -> JSONResponse:
    return ok(writeup_shape(writeups.get_writeup(ctx, who, writeup_id)))


@router.patch(
    "/writeups/{writeup_id}",
    summary=f"Mark or unmark a write-up's prize, with a comment per language {roles(Action.WRITEUP_REVIEW)}",
    openapi_extra=json_request({"prize": "boolean", "comment": "object"}, ("prize",)),
)
def mark_prize(ctx: CtxDep, who: WriteupReviewer, writeup_id: int, payload: Payload) -> JSONResponse:
    row = writeups.mark_prize(ctx, who, writeup_id, payload.get("prize"), payload.get("comment"))
    return ok(writeup_shape(row))
