"""``/submissions`` (admin): every attempt, with filters; admins can correct the record."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from kizuna.domain.errors import NotFound
from kizuna.domain.policy import Action
from kizuna.services import admin_submissions
from kizuna.storage import tables as t
from kizuna.web.api.v1.accounts_common import paginate
from kizuna.web.api.v1.common import done, ok, roles, when
from kizuna.web.deps import CtxDep, SubmissionEditor, SubmissionViewer

router = APIRouter(tags=["submissions"])
Payload = Annotated[dict[str, Any], Body()]


def _shape(
    sub: t.Submission, ch: t.Challenge | None, user: t.User | None, team: t.Team | None
) -> dict[str, Any]:
    return {
        "id": sub.id,
        "challenge_id": sub.challenge_id,
        "challenge": {"id": ch.id, "name": ch.name, "category": ch.category, "value": ch.value}
        if ch
        else None,
        "user_id": sub.user_id,
        "user": {"id": user.id, "name": user.name} if user else None,
        "team_id": sub.team_id,
        "team": {"id": team.id, "name": team.name} if team else None,
        "ip": sub.ip,
        "provided": sub.provided,
        "type": sub.type,
        "date": when(sub.date),
        # Kizuna's addition: sent after the event ended (recorded, never scored or counted).
        "late": bool(sub.late),
    }


def _query(s: Any) -> Any:
    return (
        s.query(t.Submission, t.Challenge, t.User, t.Team)
        .outerjoin(t.Challenge, t.Challenge.id == t.Submission.challenge_id)
        .outerjoin(t.User, t.User.id == t.Submission.user_id)
        .outerjoin(t.Team, t.Team.id == t.Submission.team_id)
    )


@router.get(
    "/submissions", summary=f"Attempts, newest first, 50 a page, with filters {roles(Action.SUBMISSION_VIEW)}"
)
def list_submissions(
    ctx: CtxDep,
    who: SubmissionViewer,
    page: int = 1,
    challenge_id: int | None = None,
    user_id: int | None = None,
    team_id: int | None = None,
    type: str = "",
) -> JSONResponse:
    with ctx.db.read() as s:
        q = _query(s).order_by(t.Submission.id.desc())
        for column, value in (
            (t.Submission.challenge_id, challenge_id),
            (t.Submission.user_id, user_id),
            (t.Submission.team_id, team_id),
        ):
            if value is not None:
                q = q.filter(column == value)
        if type:
            q = q.filter(t.Submission.type == type)
        rows, meta = paginate(q, page)
    return ok([_shape(*row) for row in rows], meta=meta)


def _one(ctx: Any, submission_id: int) -> dict[str, Any]:
    with ctx.db.read() as s:
        row = _query(s).filter(t.Submission.id == submission_id).one_or_none()
    if row is None:
        raise NotFound()
    return _shape(*row)


@router.get("/submissions/{submission_id}", summary=f"One attempt {roles(Action.SUBMISSION_VIEW)}")
def get_submission(ctx: CtxDep, who: SubmissionViewer, submission_id: int) -> JSONResponse:
    return ok(_one(ctx, submission_id))


@router.patch(
    "/submissions/{submission_id}",
    summary=f"Mark an attempt correct or incorrect {roles(Action.SUBMISSION_EDIT)}",
)
def mark(ctx: CtxDep, who: SubmissionEditor, submission_id: int, payload: Payload) -> JSONResponse:
    admin_submissions.mark_submission(ctx, submission_id, str(payload.get("type") or ""))
    return ok(_one(ctx, submission_id))


@router.delete(
    "/submissions/{submission_id}",
    summary=f"Delete an attempt and any solve it made {roles(Action.SUBMISSION_EDIT)}",
)
def delete(ctx: CtxDep, who: SubmissionEditor, submission_id: int) -> JSONResponse:
    admin_submissions.delete_submission(ctx, submission_id)
    return done()
