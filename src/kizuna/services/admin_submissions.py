"""Admins correcting the record: mark a submission right or wrong, or delete it. A correct
submission owns its solve; changing or deleting it adds or removes that solve, and a dynamic
challenge's value is recomputed in the same transaction. A solve added here goes through
``solves.record_solve``, as every solve does (exactly once per account and challenge; scored,
counted for first blood and announced like one made by a flag)."""

from __future__ import annotations

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.domain.events import Audience
from kizuna.services import challenges as challenge_service
from kizuna.services.context import Context
from kizuna.services.solves import record_solve
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
            recorded = record_solve(
                ctx,
                uow,
                submission_id=sub.id,
                challenge_id=sub.challenge_id,
                user_id=sub.user_id,
                team_id=sub.team_id,
                account_id=sub.account_id,
                mode=repo.event(s).mode,
                date=sub.date,
            )
            if recorded is None:
                raise DomainError(ErrorCode.VALUE_INVALID, field="type")  # solved by another submission
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
