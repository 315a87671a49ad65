"""Hints: unlocking one costs its ``cost`` in points, recorded as a negative award so the scoreboard
needs no special case. A hint's ``requirements.prerequisites`` lists hints that must be unlocked first.
Players never see a hint's content before unlocking it (free hints included: unlocking is one click).
Staff whose role may view every challenge see every hint; staff unlock nothing (they have no points
to pay with: ``Action.PLAY`` is the players'). An unlock locks the account's row first
(``repo.lock_account``), so parallel unlocks are checked against the score one after another and a
score never goes below zero by unlocking.
"""

from __future__ import annotations

from datetime import datetime

from kizuna.domain.clock import Phase
from kizuna.domain.errors import DomainError, ErrorCode, Forbidden, NotFound
from kizuna.domain.events import Audience
from kizuna.domain.policy import Action
from kizuna.services import challenges as challenge_service
from kizuna.services.accounts import Principal, account_id, player_account
from kizuna.services.context import Context
from kizuna.services.event import clock_of
from kizuna.storage import repo, scoreboard_queries
from kizuna.storage import tables as t
from kizuna.storage.db import SCOREBOARD


def _visible_hint(s: object, hint_id: int, acct: int | None, who: Principal, now: datetime) -> t.Hint:
    hint = s.get(t.Hint, hint_id)  # type: ignore[attr-defined]
    if hint is None:
        raise NotFound()
    ch = s.get(t.Challenge, hint.challenge_id)  # type: ignore[attr-defined]
    solved = repo.solved_ids(s, acct) if acct is not None else set()  # type: ignore[arg-type]
    if (
        ch is None
        or not challenge_service.access(ch, solved, who.can(Action.CHALLENGE_VIEW_ALL), now=now).visible
    ):
        raise NotFound()
    return hint


def unlock_hint(ctx: Context, who: Principal, hint_id: int) -> t.Unlock:
    if not who.can(Action.PLAY):
        raise Forbidden()
    with ctx.write() as uow:
        s = uow.session
        ev = repo.event(s)
        phase = clock_of(ev).phase(ctx.now())
        if phase is Phase.NOT_STARTED:
            raise Forbidden(ErrorCode.EVENT_NOT_STARTED)
        if phase is Phase.ENDED:
            raise Forbidden(ErrorCode.EVENT_ENDED)
        if phase is Phase.PAUSED:
            raise Forbidden(ErrorCode.EVENT_PAUSED)
        user, acct = player_account(s, ev, who.user_id)
        # Unlocks of one account wait for each other here, so each sees the score the previous one
        # left: parallel unlocks can never spend points the account does not have (PostgreSQL; on
        # SQLite the write transaction already serialises them).
        repo.lock_account(s, ev.mode, acct)
        hint = _visible_hint(s, hint_id, acct, who, ctx.now())
        unlocked = repo.unlocked_hint_ids(s, acct)
        if hint.id in unlocked:
            raise DomainError(ErrorCode.HINT_ALREADY_UNLOCKED, field="target")
        needed = set((hint.requirements or {}).get("prerequisites") or [])
        if not needed <= unlocked:
            raise DomainError(ErrorCode.HINT_LOCKED, field="requirements", status=403)
        if hint.cost > 0 and scoreboard_queries.account_score(s, acct, ctx.now()) < hint.cost:
            raise DomainError(ErrorCode.HINT_NOT_ENOUGH_POINTS, field="score")
        unlock = t.Unlock(
            user_id=user.id,
            team_id=user.team_id,
            account_id=acct,
            target=hint.id,
            type="hints",
            date=ctx.now(),
        )
        try:
            with s.begin_nested():
                s.add(unlock)
        except repo.IntegrityError:
            raise DomainError(ErrorCode.HINT_ALREADY_UNLOCKED, field="target") from None
        if hint.cost:
            s.add(
                t.Award(
                    user_id=user.id,
                    team_id=user.team_id,
                    account_id=acct,
                    name=f"Hint {hint.id}",
                    description="hint_unlock",
                    value=-hint.cost,
                    category="hints",
                    date=ctx.now(),
                )
            )
            uow.bump(SCOREBOARD)
        uow.emit(
            "unlock",
            {"account_id": acct, "hint_id": hint_id, "challenge_id": hint.challenge_id},
            audience=Audience.ACCOUNT,
            account_id=acct,
        )
    return unlock


def hint_for_player(ctx: Context, who: Principal | None, hint_id: int) -> tuple[t.Hint, bool]:
    """The hint and whether its content may be shown (unlocked by this account, or the viewer's role
    may view every challenge)."""
    with ctx.db.read() as s:
        ev = repo.event(s)
        if who is None:
            raise DomainError(ErrorCode.AUTH_REQUIRED, status=401)
        user = s.get(t.User, who.user_id)
        acct = account_id(ev.mode, who.user_id, user.team_id if user else None)
        hint = _visible_hint(s, hint_id, acct, who, ctx.now())
        if who.can(Action.CHALLENGE_VIEW_ALL):
            return hint, True
        unlocked = repo.unlocked_hint_ids(s, acct) if acct is not None else set()
        needed = set((hint.requirements or {}).get("prerequisites") or [])
        if not needed <= unlocked:
            raise DomainError(ErrorCode.HINT_LOCKED, field="requirements", status=403)
        return hint, hint.id in unlocked
