"""``/hints`` and ``/unlocks``. Players see a hint's content only after unlocking it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.policy import Action
from kizuna.services import content, hints
from kizuna.services.event import get_event
from kizuna.storage import tables as t
from kizuna.web.api.v1.common import done, hint_shape, int_param, ok, roles, when
from kizuna.web.content import content_order
from kizuna.web.deps import ChallengeEditor, ChallengeViewer, CtxDep, Player, SubmissionViewer, User

router = APIRouter(tags=["hints"])
Payload = Annotated[dict[str, Any], Body()]


def _full(h: t.Hint) -> dict[str, Any]:
    return hint_shape(h, True)


@router.get("/hints", summary=f"Every hint with its content {roles(Action.CHALLENGE_VIEW_ALL)}")
def list_hints(ctx: CtxDep, who: ChallengeViewer) -> JSONResponse:
    with ctx.db.read() as s:
        return ok([_full(h) for h in s.query(t.Hint).order_by(t.Hint.id)])


@router.post("/hints", summary=f"Add a hint to a challenge {roles(Action.CHALLENGE_EDIT)}")
def create_hint(ctx: CtxDep, who: ChallengeEditor, payload: Payload) -> JSONResponse:
    hint = content.create_hint(
        ctx,
        payload.get("challenge_id", payload.get("challenge")),
        str(payload.get("content") or ""),
        payload.get("cost", 0),
        str(payload.get("title") or ""),
        payload.get("requirements"),
        text={k: payload[k] for k in ("locale", "translations") if k in payload},
    )
    return ok(_full(hint))


@router.get(
    "/hints/{hint_id}",
    summary=f"One hint; its content once unlocked, always {roles(Action.CHALLENGE_VIEW_ALL)}",
)
def get_hint(ctx: CtxDep, who: User, hint_id: int) -> JSONResponse:
    hint, shown = hints.hint_for_player(ctx, who, hint_id)
    return ok(hint_shape(hint, shown, content_order(get_event(ctx))))


@router.patch("/hints/{hint_id}", summary=f"Change a hint {roles(Action.CHALLENGE_EDIT)}")
def update_hint(ctx: CtxDep, who: ChallengeEditor, hint_id: int, payload: Payload) -> JSONResponse:
    return ok(_full(content.update_hint(ctx, hint_id, payload)))


@router.delete("/hints/{hint_id}", summary=f"Delete a hint {roles(Action.CHALLENGE_EDIT)}")
def delete_hint(ctx: CtxDep, who: ChallengeEditor, hint_id: int) -> JSONResponse:
    content.delete_hint(ctx, hint_id)
    return done()


def _unlock_shape(u: t.Unlock) -> dict[str, Any]:
    return {
        "id": u.id,
        "target": u.target,
        "type": u.type,
        "user_id": u.user_id,
        "team_id": u.team_id,
        "date": when(u.date),
    }


@router.get("/unlocks", summary=f"Every unlock {roles(Action.SUBMISSION_VIEW)}")
def list_unlocks(ctx: CtxDep, who: SubmissionViewer) -> JSONResponse:
    with ctx.db.read() as s:
        return ok([_unlock_shape(u) for u in s.query(t.Unlock).order_by(t.Unlock.id)])


@router.post("/unlocks", summary=f"Unlock a hint, paying its cost in points {roles(Action.PLAY)}")
def unlock(ctx: CtxDep, who: Player, payload: Payload) -> JSONResponse:
    if (payload.get("type") or "hints") != "hints":
        raise DomainError(ErrorCode.VALUE_INVALID, field="type")
    target = int_param(payload, "target")
    assert target is not None
    return ok(_unlock_shape(hints.unlock_hint(ctx, who, target)))
