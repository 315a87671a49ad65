"""Admins correcting the record: mark a submission right or wrong, or delete it. A correct
submission owns its solve; changing or deleting it adds or removes that solve, and a dynamic
challenge's value is recomputed in the same transaction."""

from __future__ import annotations

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.domain.events import Audience
from kizuna.services import challenges as challenge_service
from kizuna.services.context import Context
from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.storage.db import CHALLENGES, SCOREBOARD

MARKS = ("correct", "incorrect")


def mark_submission(ctx: Context, submission_id: int, kind: str) -> t.Submission:
    if kind not in MARKS:
        raise DomainError(ErrorCode.VALUE_INVALID, field="type")
    with ctx.write() as uow:
        s = uow.session
        sub = s.get(t.Submission, submission_id)
        if sub is None:
            raise NotFound()
        solve = s.query(t.Solve).filter(t.Solve.submission_id == sub.id).one_or_none()
        if kind == "correct" and solve is None:
            if repo.has_solved(s, sub.challenge_id, sub.account_id):
                raise DomainError(ErrorCode.VALUE_INVALID, field="type")  # solved by another submission
            s.add(
                t.Solve(
                    submission_id=sub.id,
                    challenge_id=sub.challenge_id,
                    user_id=sub.user_id,
                    team_id=sub.team_id,
                    account_id=sub.account_id,
                    date=sub.date,
                )
            )
        elif kind == "incorrect" and solve is not None:
            s.delete(solve)
        uow.audit(
            None, "submission.marked", "submission", sub.id, before={"type": sub.type}, after={"type": kind}
        )
        sub.type = kind
        s.flush()
        challenge_service.recompute_value(ctx, s, sub.challenge_id)
        uow.bump(SCOREBOARD, CHALLENGES)
        uow.emit("challenge_changed", {"challenge_id": sub.challenge_id}, audience=Audience.STAFF)
    return sub


def delete_submission(ctx: Context, submission_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        sub = s.get(t.Submission, submission_id)
        if sub is None:
            raise NotFound()
        challenge_id = sub.challenge_id
        uow.audit(
            None,
            "submission.deleted",
            "submission",
            sub.id,
            before={"type": sub.type, "challenge_id": sub.challenge_id, "account_id": sub.account_id},
        )
        s.query(t.Solve).filter(t.Solve.submission_id == sub.id).delete()
        s.delete(sub)
        s.flush()
        challenge_service.recompute_value(ctx, s, challenge_id)
        uow.bump(SCOREBOARD, CHALLENGES)
        uow.emit("challenge_changed", {"challenge_id": challenge_id}, audience=Audience.STAFF)
