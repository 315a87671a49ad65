"""Flag submission — the hot write path.

Everything happens in one short write transaction (on SQLite it begins IMMEDIATE, so concurrent
submissions queue on the lock; on PostgreSQL the solves table's unique key on (challenge, account)
arbitrates). Every attempt is stored, right or wrong. A correct answer inserts the solve inside a
savepoint: if another request of the same team got there first the unique key refuses the row and
this attempt is reported as already solved — so a solve, and its points, are recorded exactly once.
Events go out only after the commit.

Order of checks, as a player would expect: event not started / ended (refused, nothing stored),
paused (refused), challenge not visible or locked (not found), already solved (told so, with whether
this answer was right), rate limit (too many wrong answers in the last minute), max attempts, then
the flags.

Staff do not play (``Action.PLAY`` is the players'): an answer from a judge, marshal, author or admin
is only checked against the flags of a challenge they may see — at any time, with no limits — and
nothing is stored, so it never scores, counts as an attempt or reaches the activity feed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from kizuna.domain.clock import Phase
from kizuna.domain.errors import DomainError, ErrorCode, Forbidden, NotFound
from kizuna.domain.events import Audience
from kizuna.domain.flags import FlagSpec
from kizuna.domain.policy import Action
from kizuna.services import challenges as challenge_service
from kizuna.services.accounts import Principal, account_id, ensure_may_play
from kizuna.services.context import Context
from kizuna.services.event import clock_of
from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.storage.db import CHALLENGES, SCOREBOARD

RATE_WINDOW = timedelta(seconds=60)
FIRST_BLOODS = 3  # the first three solves of a challenge are announced (first, second, third blood)


@dataclass(frozen=True)
class AttemptResult:
    """``status`` is CTFd's; ``message`` is a message id rendered by the adapter with ``params``."""

    status: str
    message: str
    http_status: int = 200
    params: dict[str, Any] = field(default_factory=dict)
    remaining: int | None = None


def check_flag(ctx: Context, who: Principal, challenge_id: int, provided: str) -> AttemptResult:
    """Whether ``provided`` is right, storing nothing: how staff try a challenge's flags."""
    with ctx.db.read() as s:
        ch = s.get(t.Challenge, challenge_id)
        user = s.get(t.User, who.user_id)
        acct = account_id(repo.event(s).mode, who.user_id, user.team_id if user else None)
        solved = repo.solved_ids(s, acct) if acct is not None else set()
        if ch is None or not challenge_service.access(ch, solved, who.can(Action.CHALLENGE_VIEW_ALL)).visible:
            raise NotFound(field="challenge_id")
        flags = [FlagSpec(f.type, f.content, f.data) for f in repo.flags_for(s, ch.id)]
    correct = ctx.types.get(ch.type).attempt(flags, provided)
    return AttemptResult("correct" if correct else "incorrect", "correct" if correct else "incorrect")


def submit_flag(
    ctx: Context, who: Principal, challenge_id: int, provided: str, ip: str = "", preview: bool = False
) -> AttemptResult:
    """A player's attempt, stored and scored. Staff answers are only checked (``check_flag``): that
    is what CTFd's admin ``preview`` asks for, so ``preview`` changes nothing (a player's answer is
    always recorded — a preview must never let a player try flags unrecorded and unlimited)."""
    provided = provided if isinstance(provided, str) else str(provided)
    if not who.can(Action.PLAY):
        return check_flag(ctx, who, challenge_id, provided)
    with ctx.write() as uow:
        s = uow.session
        ev = repo.event(s)
        now = ctx.now()
        phase = clock_of(ev).phase(now)
        if phase is Phase.NOT_STARTED:
            raise Forbidden(ErrorCode.EVENT_NOT_STARTED)
        if phase is Phase.ENDED:
            raise Forbidden(ErrorCode.EVENT_ENDED)
        if phase is Phase.PAUSED:
            return AttemptResult("paused", "paused", 403, {"name": ev.name})
        user = s.get(t.User, who.user_id)
        if user is None:
            raise DomainError(ErrorCode.AUTH_REQUIRED, status=401)
        ensure_may_play(ev, user)  # a verified address first, when the event asks
        acct = account_id(ev.mode, user.id, user.team_id)
        if acct is None:
            raise Forbidden(ErrorCode.TEAM_REQUIRED)
        if user.banned or (ev.mode == "teams" and user.team is not None and user.team.banned):
            raise Forbidden(ErrorCode.ACCOUNT_BANNED)
        ch = s.get(t.Challenge, challenge_id)
        solved = repo.solved_ids(s, acct)
        if ch is None or not challenge_service.access(ch, solved, False).visible:
            raise NotFound(field="challenge_id")
        ctype = ctx.types.get(ch.type)
        flags = [FlagSpec(f.type, f.content, f.data) for f in repo.flags_for(s, ch.id)]
        correct = ctype.attempt(flags, provided)

        def record(kind: str) -> t.Submission:
            sub = t.Submission(
                challenge_id=ch.id,
                user_id=user.id,
                team_id=user.team_id,
                account_id=acct,
                ip=ip[:64],
                provided=provided[:4096],
                type=kind,
                date=now,
            )
            s.add(sub)
            s.flush()
            # The activity feed's line: staff only (it carries the address).
            uow.emit(
                "submission",
                {
                    "submission_id": sub.id,
                    "challenge_id": ch.id,
                    "account_id": acct,
                    "user_id": user.id,
                    "result": kind,
                    "address": sub.ip,
                },
                audience=Audience.STAFF,
                account_id=acct,
            )
            return sub

        if ch.id in solved:
            record("already_solved")
            return AttemptResult(
                "already_solved", "already_solved_correct" if correct else "already_solved_incorrect"
            )
        if ctx.attempt_rate_limit > 0:
            recent = repo.recent_wrong(s, acct, now - RATE_WINDOW)
            if recent >= ctx.attempt_rate_limit:
                record("ratelimited")
                return AttemptResult(
                    "ratelimited", "ratelimited", 429, {"seconds": int(RATE_WINDOW.total_seconds())}
                )
        if ch.max_attempts:
            used = repo.counted_attempts(s, ch.id, acct)
            if used >= ch.max_attempts:
                record("ratelimited")
                return AttemptResult("ratelimited", "no_attempts_left", 403, remaining=0)
        if not correct:
            record("incorrect")
            if ch.max_attempts:
                remaining = max(ch.max_attempts - repo.counted_attempts(s, ch.id, acct), 0)
                return AttemptResult(
                    "incorrect", "incorrect_remaining", 200, {"remaining": remaining}, remaining
                )
            return AttemptResult("incorrect", "incorrect")
        sub = record("correct")
        # Lock the challenge row (PostgreSQL; SQLite's write lock already serialises) so concurrent
        # solves count each other's rows: the decayed value and first blood are then exact. NO KEY
        # UPDATE, because the submission's foreign key already holds a KEY SHARE lock on the row.
        s.refresh(ch, with_for_update={"key_share": True})
        try:
            with s.begin_nested():
                s.add(
                    t.Solve(
                        submission_id=sub.id,
                        challenge_id=ch.id,
                        user_id=user.id,
                        team_id=user.team_id,
                        account_id=acct,
                        date=now,
                    )
                )
        except repo.IntegrityError:
            # A concurrent request from the same account recorded the solve first.
            sub.type = "already_solved"
            return AttemptResult("already_solved", "already_solved_correct")
        rank = repo.solve_count(s, ch.id)
        challenge_service.recompute_value(ctx, s, ch.id)
        uow.bump(SCOREBOARD, CHALLENGES)
        uow.emit(
            "solve",
            {
                "challenge_id": ch.id,
                "account_id": acct,
                "user_id": user.id,
                "first_blood": rank if rank <= FIRST_BLOODS else 0,
                "value": ch.value,
            },
            # A solve of a challenge players cannot see (an admin's preview of a hidden one) is staff news.
            audience=Audience.PUBLIC if ch.state == "visible" else Audience.STAFF,
            account_id=acct,
        )
    return AttemptResult("correct", "correct")
