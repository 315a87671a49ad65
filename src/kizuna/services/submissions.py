"""Flag submission — the hot write path.

No flag that can take long is ever evaluated while a write lock is held. An attempt at a challenge
with a regex flag (or of a plugin's type) goes in three steps:

1. **Read** (no lock): the event's phase, the player, the challenge and its flags, whether the
   account has solved it, and the limits. An attempt over a limit is recorded as ``ratelimited`` and
   answered without evaluating anything.
2. **Evaluate** the flags, outside any transaction (a regex flag has a time bound:
   ``kizuna.domain.flags.MATCH_TIMEOUT``).
3. **Write**: one short transaction that first locks the account's row (the team's in team mode,
   the user's otherwise; on SQLite the transaction already begins IMMEDIATE), then re-checks
   "already solved" and the limits — now exactly, since every attempt of the account waits for that
   lock — and records the attempt (a wrong answer to a challenge a teammate solved meanwhile as
   ``already_solved``). A correct answer inserts the solve unless the account has one
   (``ON CONFLICT DO NOTHING`` on the solves table's unique key on (challenge, account)), so a
   solve, and its points, are recorded exactly once. Events are appended in the same transaction
   and go out only after the commit.

Static flags of the built-in types (a constant-time comparison of at most 4096 characters, in
microseconds) take the same steps on SQLite, but with no limits in step 1 and the comparison in
step 3, after the limits, so a limited attempt is never evaluated: every writer of the server waits
for SQLite's one write lock, so the write is kept to ``BEGIN IMMEDIATE``, one query for the limits
and "solved", the comparison, the attempt and its feed event, the commit — and everything else is
read before it (issue 9: with the whole attempt inside the lock, the lock, not the CPU, bounded
W4). On PostgreSQL, where the write waits only for the account's row, they take one transaction:
read, lock, limits, compare, record.

The cost of an attempt (issue 9; ``bench/attempt_profile.py`` measures it): prebuilt Core
statements, no ORM rows — ``attempt_queries.facts`` (event, user, team, challenge, whether solved,
flags: one query), ``attempt_queries.limits`` (both rate limits, the count toward a maximum and
whether solved: one query), and the two inserts. Nothing about a challenge is cached between
attempts: the flags come with the facts, and a flag changed by an admin counts from the next
attempt in every worker. Wrong attempts are not grouped into shared commits either: a commit in
SQLite's WAL mode with ``synchronous=NORMAL`` is a write without ``fsync`` (about a tenth of the
attempt's time), and grouping would make each answer wait for the group and the limits count
attempts not yet stored.

Limits, over a sliding minute (:data:`RATE_WINDOW`), counting wrong answers that were evaluated
(``incorrect``; attempts refused as rate limited and late ones do not count):

* per **user**: ``attempt_rate_limit`` wrong answers a minute, across challenges;
* per **team and challenge**: ``team_challenge_factor`` times that (setting
  ``KIZUNA_TEAM_CHALLENGE_ATTEMPT_FACTOR``, default 2), so one member flooding a challenge neither
  locks the team out of other challenges nor uses up its budget on that one;
* per **team** across challenges (team mode): ``team_factor`` times that (setting
  ``KIZUNA_TEAM_ATTEMPT_FACTOR``, default 3), so a team of five cannot guess five times as fast as
  one player.

All three come from the one ``attempt_queries.limits`` query, on the (account, date) index.

Over a limit the answer is 429 with the seconds until the window frees (``retry_after``, sent as
``Retry-After``). A challenge's maximum number of attempts counts its wrong answers, exactly.

Order of checks, as a player would expect: event not started (refused, nothing stored), paused
(refused), challenge not visible or locked (not found; before its release time a challenge is as
if hidden), event ended or the challenge's close time passed (recorded as a *late* attempt —
evaluated for the record, never scored or counted — and refused as CTFd does for an ended event,
without saying whether it was right), already solved (told so, with whether this answer was
right), rate limits, max attempts, then the flags.

Staff do not play (``Action.PLAY`` is the players'): an answer from a judge, marshal, author or admin
is only checked against the flags of a challenge they may see — at any time, with no limits — and
nothing is stored, so it never scores, counts as an attempt or reaches the activity feed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, cast

from kizuna.challenge_types.builtin import StandardType
from kizuna.domain import schedule
from kizuna.domain.clock import Phase
from kizuna.domain.errors import DomainError, ErrorCode, Forbidden, NotFound
from kizuna.domain.events import Audience
from kizuna.domain.flags import MAX_SUBMISSION_LENGTH, FlagSpec
from kizuna.domain.policy import Action
from kizuna.domain.verdict import Verdict
from kizuna.services import challenges as challenge_service
from kizuna.services import practice as practice_service
from kizuna.services import reviews as review_service
from kizuna.services.accounts import Principal, account_id, ensure_may_play
from kizuna.services.context import Context
from kizuna.services.event import clock_of
from kizuna.services.solves import FIRST_BLOODS, record_solve
from kizuna.storage import attempt_queries, repo
from kizuna.storage import tables as t
from kizuna.storage.uow import UnitOfWork

# Set by a caller that limits how many attempts run at once (kizuna.web.attempt_gate): a flag that
# may take long is evaluated outside that limit, so it never holds up the quick ones.
outside_limit: ContextVar[Callable[[], AbstractContextManager[None]] | None] = ContextVar(
    "kizuna_attempt_outside_limit", default=None
)

RATE_WINDOW = timedelta(seconds=60)
__all__ = ["FIRST_BLOODS", "AttemptResult", "check_flag", "check_guess", "submit_flag"]


@dataclass(frozen=True)
class AttemptResult:
    """``status`` is CTFd's; ``message`` is a message id rendered by the adapter with ``params``."""

    status: str
    message: str
    http_status: int = 200
    params: dict[str, Any] = field(default_factory=dict)
    remaining: int | None = None
    retry_after: int | None = None  # seconds until a rate limit frees (429 answers)
    practice: bool = False  # answered as practice (kizuna.services.practice): never scored


def check_flag(ctx: Context, who: Principal, challenge_id: int, provided: str) -> AttemptResult:
    """Whether ``provided`` is right, storing nothing: how staff try a challenge's flags."""
    with ctx.db.read() as s:
        ch = s.get(t.Challenge, challenge_id)
        user = s.get(t.User, who.user_id)
        acct = account_id(repo.event(s).mode, who.user_id, user.team_id if user else None)
        solved = repo.solved_ids(s, acct) if acct is not None else set()
        if (
            ch is None
            or not challenge_service.access(
                ch, solved, who.can(Action.CHALLENGE_VIEW_ALL), now=ctx.now()
            ).visible
        ):
            raise NotFound(field="challenge_id")
        flags = [FlagSpec(f.type, f.content, f.data) for f in repo.flags_for(s, ch.id)]
    verdict = ctx.types.get(ch.type).attempt(flags, provided)
    if verdict.kind == "pending":
        return AttemptResult("pending", "pending_not_stored")
    correct = verdict.solves
    return AttemptResult("correct" if correct else "incorrect", "correct" if correct else "incorrect")


def check_guess(provided: str) -> None:
    """Refuse, before anything else, a guess no flag can be: longer than the limit (it is not worth
    evaluating), or text that cannot be stored (NUL, lone surrogates)."""
    if len(provided) > MAX_SUBMISSION_LENGTH:
        raise DomainError(
            ErrorCode.SUBMISSION_TOO_LONG, field="submission", status=400, max=MAX_SUBMISSION_LENGTH
        )
    if "\x00" in provided:
        raise DomainError(ErrorCode.VALUE_INVALID, field="submission")
    try:
        provided.encode("utf-8")
    except UnicodeEncodeError:
        raise DomainError(ErrorCode.VALUE_INVALID, field="submission") from None


@dataclass(frozen=True)
class _Attempt:
    """What the read step learnt, for the write step."""

    user_id: int
    team_id: int | None
    account: int
    mode: str
    challenge_id: int
    max_attempts: int
    now: datetime
    late: bool
    logic: str = "any"
    flag_ids: tuple[int, ...] = ()
    attachment: review_service.Attachment | None = None
    closed: bool = False  # late because the challenge's close time passed (the event still runs)
    practice: bool = False  # a practice challenge, or any challenge after the event ended


def _limit(ctx: Context, a: _Attempt, limits: attempt_queries.Limits) -> AttemptResult | None:
    """The answer to an attempt over a limit, or None."""
    if ctx.attempt_rate_limit > 0:
        # Over a limit, the window frees when the oldest of the newest ``limit`` wrong answers leaves it.
        waits = [
            max(1, math.ceil((nth + RATE_WINDOW - a.now).total_seconds()))
            for nth in (limits.user_nth, limits.team_nth, limits.account_nth)
            if nth is not None
        ]
        if waits:
            wait = max(waits)
            return AttemptResult("ratelimited", "ratelimited", 429, {"seconds": wait}, retry_after=wait)
    if a.max_attempts and limits.counted >= a.max_attempts:
        return AttemptResult("ratelimited", "no_attempts_left", 403, remaining=0)
    return None


def _limits(ctx: Context, s: Any, a: _Attempt) -> attempt_queries.Limits:
    per_user = ctx.attempt_rate_limit
    window = attempt_queries.Window(
        a.now - RATE_WINDOW,
        per_user,
        per_user * ctx.team_challenge_factor,
        # Individual mode: the account is the user, whose own limit already holds across challenges.
        per_user * ctx.team_factor if a.mode == "teams" else 0,
    )
    return attempt_queries.limits(s, a.account, a.user_id, a.challenge_id, window, a.practice)


def submit_flag(
    ctx: Context,
    who: Principal,
    challenge_id: int,
    provided: str,
    ip: str = "",
    preview: bool = False,
    attachment: review_service.Attachment | None = None,
) -> AttemptResult:
    """A player's attempt, stored and scored. Staff answers are only checked (``check_flag``): that
    is what CTFd's admin ``preview`` asks for, so ``preview`` changes nothing (a player's answer is
    always recorded — a preview must never let a player try flags unrecorded and unlimited).

    ``attachment``: the file sent with an answer to a ``manual`` challenge (refused for other types)."""
    provided = provided if isinstance(provided, str) else str(provided)
    check_guess(provided)
    if not who.can(Action.PLAY):
        return check_flag(ctx, who, challenge_id, provided)
    outcome: AttemptResult | object | None = None
    if not ctx.db.writes_serialised:
        # PostgreSQL: the write waits only for this account's lock, so static flags (constant time,
        # microseconds) are read, checked and recorded in one transaction.
        with ctx.write() as uow:
            prepared = _prepare(ctx, uow.session, who, challenge_id, attachment)
            if isinstance(prepared, AttemptResult):
                return prepared
            attempt, solved, flags, ctype = prepared
            if _quick(ctype, flags):
                outcome = _decide(
                    ctx, uow, attempt, solved, ip, provided, lambda: ctype.attempt(flags, provided)
                )
            # otherwise nothing written: the transaction commits empty
    if outcome is None:
        # 1. read (and, for flags that may take long to evaluate, check the limits), 2. evaluate
        # holding no transaction, 3. write. On SQLite static flags too, but compared in step 3:
        # every writer waits for the one write lock, so reading before taking it keeps the whole
        # server's critical section to the limits, the comparison and the two inserts.
        with ctx.db.read() as s:
            prepared = _prepare(ctx, s, who, challenge_id, attachment)
            if isinstance(prepared, AttemptResult):
                return prepared
            attempt, solved, flags, ctype = prepared
            refused = None
            if attempt.practice:
                if not _quick(ctype, flags):
                    refused = _limit(ctx, attempt, _limits(ctx, s, attempt))
            elif not (_quick(ctype, flags) or attempt.late or attempt.challenge_id in solved):
                refused = _limit(ctx, attempt, _limits(ctx, s, attempt))
        if refused is not None:
            with ctx.write() as uow:
                _record(uow, attempt, ip, provided, "ratelimited")
            return refused
        # Static flags are compared under the lock after the limits (microseconds): a limited
        # attempt is never evaluated.
        evaluated = None
        if not _quick(ctype, flags):
            outside = outside_limit.get()
            with outside() if outside is not None else nullcontext():
                evaluated = ctype.attempt(flags, provided)
        with ctx.write() as uow:
            outcome = _decide(
                ctx,
                uow,
                attempt,
                solved,
                ip,
                provided,
                lambda: ctype.attempt(flags, provided) if evaluated is None else evaluated,
            )
    if outcome is _LATE:
        # Recorded (committed above) and refused as CTFd refuses it, without saying if it was right.
        raise Forbidden(ErrorCode.CHALLENGE_CLOSED if attempt.closed else ErrorCode.EVENT_ENDED)
    assert isinstance(outcome, AttemptResult)
    return outcome


_LATE = object()


def _quick(ctype: Any, flags: list[FlagSpec]) -> bool:
    return type(ctype).attempt is StandardType.attempt and all(f.type == "static" for f in flags)


def _prepare(
    ctx: Context, s: Any, who: Principal, challenge_id: int, attachment: review_service.Attachment | None
) -> AttemptResult | tuple[_Attempt, set[int], list[FlagSpec], Any]:
    """Who attempts what, and whether they may at all (raises, or the answer for a paused event):
    the checks of ``accounts.player_account`` and ``challenges.access``, on one query's answer with
    the event's settings, the user, their team, the challenge and its flags
    (``attempt_queries.facts``)."""
    f = attempt_queries.facts(s, who.user_id, challenge_id)
    if f is None:
        repo.event(s)  # a database nobody prepared: make the event's row, then read again
        f = attempt_queries.facts(s, who.user_id, challenge_id)
        assert f is not None
    # The row carries the event's and the challenge's columns that the general rules (clock_of,
    # ensure_may_play, challenges.access) read, under the same names: they take it as the row.
    ev = cast(t.Event, f)
    now = ctx.now()
    phase = clock_of(ev).phase(now)
    # A practice challenge is playable whenever it is visible (before the start and during a pause
    # too: it is on no board); after the end every visible challenge is (kizuna.services.practice).
    practice = practice_service.is_practice(bool(f.practice), phase)
    if phase is Phase.NOT_STARTED and not practice:
        raise Forbidden(ErrorCode.EVENT_NOT_STARTED)
    if phase is Phase.PAUSED and not practice:
        return AttemptResult("paused", "paused", 403, {"name": f.name})
    # As accounts.player_account: signed in, e-mail verified when asked, a team in team mode, not
    # banned (nor the team).
    if f.user_id is None or f.role is None:
        raise DomainError(ErrorCode.AUTH_REQUIRED, status=401)
    user = Principal(f.user_id, who.name, f.role, f.team_id, email_verified=f.email_verified_at is not None)
    ensure_may_play(ev, user)
    acct = account_id(f.mode, f.user_id, f.team_id)
    if acct is None:
        raise Forbidden(ErrorCode.TEAM_REQUIRED)
    if f.user_banned or (f.mode == "teams" and f.team_banned):
        raise Forbidden(ErrorCode.ACCOUNT_BANNED)
    if f.challenge_id is None or f.challenge_type is None:
        raise NotFound(field="challenge_id")
    # Every solved challenge only when prerequisites ask; otherwise whether this one is, from the row.
    requirements = f.requirements if isinstance(f.requirements, dict) else None
    if requirements and requirements.get("prerequisites"):
        solved = attempt_queries.solved_ids(s, acct)
    else:
        solved = {f.challenge_id} if f.solved else set()
    # In practice a prerequisite solved as practice unlocks too.
    unlocked = solved | practice_service.practised(s, f.user_id) if practice and requirements else solved
    if not challenge_service.access(cast(t.Challenge, f), unlocked, False, now=now).visible:
        raise NotFound(field="challenge_id")
    ctype = ctx.types.get(f.challenge_type)
    if attachment is not None and f.challenge_type != review_service.MANUAL:
        raise DomainError(ErrorCode.VALUE_INVALID, field="file")
    # After the challenge's close time an attempt is late, as after the event's end: recorded for
    # the record, never scored or counted, and refused.
    closed = phase is not Phase.ENDED and schedule.closed(f.close_at, now)
    if practice and (closed or f.challenge_type == review_service.MANUAL):
        # Closed during the event: refused as any closed challenge. A judged challenge has no
        # flag to practise against (after the end it is refused as before).
        practice = False
        if phase is not Phase.ENDED and not closed:
            raise Forbidden(ErrorCode.PRACTICE_NOT_JUDGED)
    attempt = _Attempt(
        f.user_id,
        f.team_id,
        acct,
        f.mode,
        f.challenge_id,
        f.max_attempts,
        now,
        phase is Phase.ENDED or closed,
        f.logic,
        tuple(f.flag_ids),
        attachment,
        closed,
        practice,
    )
    flags = [FlagSpec(kind, content, data) for kind, content, data in f.flags]
    return attempt, solved, flags, ctype


def _decide(
    ctx: Context,
    uow: UnitOfWork,
    a: _Attempt,
    solved: set[int],
    ip: str,
    provided: str,
    judge: Callable[[], Verdict],
) -> AttemptResult | object:
    """The write: under the account's lock, re-check and record. ``judge()`` is called only once
    the limits let the attempt through."""
    s = uow.session
    attempt_queries.lock_account(s, a.mode, a.account)
    # Exact now: every attempt of the account waits for that lock (SQLite: for the write lock).
    limits = _limits(ctx, s, a)
    if a.practice:
        return _practise(ctx, uow, a, limits, ip, provided, judge)
    if a.late:
        kind = "already_solved" if limits.solved else None
        _record(uow, a, ip, provided, kind or _late_kind(judge()))
        return _LATE
    if a.challenge_id in solved or limits.solved:  # solved since it was read: by a teammate
        _record(uow, a, ip, provided, "already_solved")
        verdict = judge()
        if verdict.kind == "pending":
            return AttemptResult("already_solved", "already_solved_pending")
        return AttemptResult(
            "already_solved", "already_solved_correct" if verdict.solves else "already_solved_incorrect"
        )
    refused = _limit(ctx, a, limits)
    if refused is not None:
        _record(uow, a, ip, provided, "ratelimited")
        return refused
    verdict = judge()
    if verdict.kind == "pending":
        return _pending(uow, a, ip, provided)
    if not verdict.solves:
        _record(uow, a, ip, provided, "incorrect")
        if a.max_attempts:
            # Counted under the lock just now, so exact: this wrong answer is one more.
            remaining = max(a.max_attempts - limits.counted - 1, 0)
            return AttemptResult("incorrect", "incorrect_remaining", 200, {"remaining": remaining}, remaining)
        return AttemptResult("incorrect", "incorrect")
    flag_id = (
        a.flag_ids[verdict.flag] if verdict.flag is not None and verdict.flag < len(a.flag_ids) else None
    )
    if verdict.kind == "correct" and not _complete(uow, a, flag_id):
        _record(uow, a, ip, provided, "partial", flag_id)
        return AttemptResult("partial", "partial")
    submission_id = _record(uow, a, ip, provided, "correct", flag_id)
    return _solve(ctx, uow, a, submission_id, verdict.value if verdict.kind == "partial" else None)


def _practise(
    ctx: Context,
    uow: UnitOfWork,
    a: _Attempt,
    limits: attempt_queries.Limits,
    ip: str,
    provided: str,
    judge: Callable[[], Verdict],
) -> AttemptResult:
    """A practice answer: the rate limits hold (a challenge's maximum of attempts does not — the
    event's budget is not practice's), every answer is stored as a submission (late after the
    event, as before), and a right one records the user's practice solve, once, never a solve.
    Any right flag completes it: ``logic`` is the event's rule for scoring."""
    refused = _limit(ctx, replace(a, max_attempts=0), limits)
    if refused is not None:
        _record(uow, a, ip, provided, "ratelimited")
        return replace(refused, practice=True)
    verdict = judge()
    if not verdict.solves:
        _record(uow, a, ip, provided, "incorrect")
        return AttemptResult("incorrect", "incorrect_practice", practice=True)
    flag_id = (
        a.flag_ids[verdict.flag] if verdict.flag is not None and verdict.flag < len(a.flag_ids) else None
    )
    _record(uow, a, ip, provided, "correct", flag_id)
    practice_service.record_practice_solve(
        ctx, uow, challenge_id=a.challenge_id, user_id=a.user_id, account_id=a.account, date=a.now
    )
    return AttemptResult("correct", "correct_practice", practice=True)


def _late_kind(verdict: Verdict) -> str:
    return "correct" if verdict.solves else "pending" if verdict.kind == "pending" else "incorrect"


def _complete(uow: UnitOfWork, a: _Attempt, flag_id: int | None) -> bool:
    """Whether a right answer completes the challenge under its ``logic`` (CTFd's): ``any`` — it
    does; ``all`` — once the account's right answers have matched every flag of the challenge;
    ``team`` — once every member of the team (not banned) has sent a right answer (in individual
    mode, as ``any``). Read under the account's lock, so of two last parts arriving at once the
    second sees the first: exactly one of them completes (and the solve's unique key holds anyway).
    A type that does not say which flag matched completes an ``all`` challenge at once."""
    if a.logic == "all" and flag_id is not None:
        matched, _users = attempt_queries.logic_progress(uow.session, a.challenge_id, a.account)
        return set(a.flag_ids) <= matched | {flag_id}
    if a.logic == "team" and a.mode == "teams" and a.team_id is not None:
        _matched, users = attempt_queries.logic_progress(uow.session, a.challenge_id, a.account)
        return attempt_queries.team_members(uow.session, a.team_id) <= users | {a.user_id}
    return True


def _pending(uow: UnitOfWork, a: _Attempt, ip: str, provided: str) -> AttemptResult:
    """An answer for a judge: one waiting per account and challenge (refused with 409 while one
    waits; the review's unique key makes it so under any concurrency), stored with its file."""
    review_service.ensure_none_pending(uow, a.challenge_id, a.account)
    submission_id = _record(uow, a, ip, provided, "pending")
    review_service.open_review(
        uow,
        submission_id=submission_id,
        challenge_id=a.challenge_id,
        account_id=a.account,
        user_id=a.user_id,
        team_id=a.team_id,
        now=a.now,
        attachment=a.attachment,
    )
    return AttemptResult("pending", "pending")


def _record(
    uow: UnitOfWork, a: _Attempt, ip: str, provided: str, kind: str, flag_id: int | None = None
) -> int:
    """Store the attempt; returns its id."""
    address = ip[:64]
    submission_id = attempt_queries.insert_submission(
        uow.session,
        challenge_id=a.challenge_id,
        user_id=a.user_id,
        team_id=a.team_id,
        account_id=a.account,
        ip=address,
        provided=provided[:MAX_SUBMISSION_LENGTH],
        type=kind,
        late=a.late,
        date=a.now,
        flag_id=flag_id,
    )
    if not a.late:
        # The activity feed's line: staff only (it carries the address). Late attempts stay out of
        # it (the feed is the game's); the admin submission list shows them, marked late.
        uow.emit(
            "submission",
            {
                "submission_id": submission_id,
                "challenge_id": a.challenge_id,
                "account_id": a.account,
                "user_id": a.user_id,
                "result": kind,
                "address": address,
            },
            audience=Audience.STAFF,
            account_id=a.account,
        )
    return submission_id


def _solve(
    ctx: Context, uow: UnitOfWork, a: _Attempt, submission_id: int, value: int | None
) -> AttemptResult:
    recorded = record_solve(
        ctx,
        uow,
        submission_id=submission_id,
        challenge_id=a.challenge_id,
        user_id=a.user_id,
        team_id=a.team_id,
        account_id=a.account,
        mode=a.mode,
        date=a.now,
        value=value,
    )
    if recorded is None:
        # Another request of the same account recorded the solve first.
        attempt_queries.retype_submission(uow.session, submission_id, "already_solved")
        return AttemptResult("already_solved", "already_solved_correct")
    # What the player's page says (web.messages.attempt_message); the API's message stays CTFd's.
    # ``rank``: the solve's place among counted solves (what a first-blood bonus is paid by).
    params = {"value": recorded.value, "first_blood": int(recorded.rank == 1), "rank": recorded.rank}
    return AttemptResult("correct", "correct", params=params)
