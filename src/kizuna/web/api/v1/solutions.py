"""``/solutions``: challenge write-ups (ctfcli uploads them; players read visible ones)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from kizuna.domain.errors import NotFound
from kizuna.domain.policy import Action
from kizuna.markdown import render_markdown
from kizuna.services import board, content
from kizuna.services import challenges as challenge_service
from kizuna.services.event import get_event
from kizuna.storage import tables as t
from kizuna.web.api.v1.common import done, ok, roles
from kizuna.web.deps import ChallengeEditor, ChallengeViewer, CtxDep, User

router = APIRouter(tags=["solutions"])
Payload = Annotated[dict[str, Any], Body()]


def _shape(row: t.Solution) -> dict[str, Any]:
    return {
        "id": row.id,
        "challenge_id": row.challenge_id,
        "challenge": row.challenge_id,
        "content": row.content,
        "html": render_markdown(row.content),
        "state": row.state,
    }


@router.get("/solutions", summary=f"Every write-up {roles(Action.CHALLENGE_VIEW_ALL)}")
def list_solutions(ctx: CtxDep, who: ChallengeViewer) -> JSONResponse:
    with ctx.db.read() as s:
        return ok([_shape(x) for x in s.query(t.Solution).order_by(t.Solution.id)])


@router.post("/solutions", summary=f"Add a challenge's write-up {roles(Action.CHALLENGE_EDIT)}")
def create_solution(ctx: CtxDep, who: ChallengeEditor, payload: Payload) -> JSONResponse:
    row = content.create_solution(
        ctx,
        payload.get("challenge_id", payload.get("challenge")),
        str(payload.get("content") or ""),
        payload.get("state"),
    )
    return ok(_shape(row))


@router.get("/solutions/{solution_id}", summary="A write-up, when its state lets the caller read it")
def get_solution(ctx: CtxDep, who: User, solution_id: int) -> JSONResponse:
    with ctx.db.read() as s:
        row = s.get(t.Solution, solution_id)
    if row is None:
        raise NotFound()
    if not who.can(Action.CHALLENGE_VIEW_ALL):
        acct = board.viewer_account(get_event(ctx).mode, who)
        challenge_service.get_for_player(ctx, row.challenge_id, acct, False)
        solved = row.challenge_id in board.solved_ids(ctx, acct)
        if row.state == "hidden" or (row.state == "solved" and not solved):
            raise NotFound()
    return ok(_shape(row))


@router.patch("/solutions/{solution_id}", summary=f"Change a write-up {roles(Action.CHALLENGE_EDIT)}")
def update_solution(ctx: CtxDep, who: ChallengeEditor, solution_id: int, payload: Payload) -> JSONResponse:
    return ok(_shape(content.update_solution(ctx, solution_id, payload)))


@router.delete("/solutions/{solution_id}", summary=f"Delete a write-up {roles(Action.CHALLENGE_EDIT)}")
def delete_solution(ctx: CtxDep, who: ChallengeEditor, solution_id: int) -> JSONResponse:
    content.delete_solution(ctx, solution_id)
    return done()
