"""``record_solve``: the one step every solve goes through — a correct attempt, a judge accepting an
answer (``services.reviews``) and an admin marking a submission correct (``services.admin_submissions``).

It runs inside the caller's unit of work and keeps the exactly-once rule of the attempt path: the
solve is inserted with ``ON CONFLICT DO NOTHING`` on the solves table's unique key on (challenge,
account), so of two requests recording the same account's solve at once exactly one inserts it and
the other learns it lost (``None``). The winner locks the challenge row (PostgreSQL; SQLite's write
lock already serialises), counts the solves — its rank, for first blood — recomputes a decaying
value, bumps the scoreboard and challenge list and appends the ``solve`` event, all in the same
transaction, so nothing of it is seen before the commit.

``value`` is a judge's partial award: stored on the solve, it is what the solve scores (a NULL
value scores the challenge's current value, which decays)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kizuna.domain.errors import NotFound
from kizuna.domain.events import Audience
from kizuna.services import challenges as challenge_service
from kizuna.services import tracks
from kizuna.services.context import Context
from kizuna.storage import attempt_queries
from kizuna.storage import tables as t
from kizuna.storage.db import CHALLENGES, SCOREBOARD
from kizuna.storage.uow import UnitOfWork

FIRST_BLOODS = 3  # the first three solves of a challenge are announced (first, second, third blood)


@dataclass(frozen=True)
class Recorded:
    """A solve that went in: its rank among the challenge's counted solves and the points it scores."""

    rank: int
    value: int


def record_solve(
    ctx: Context,
    uow: UnitOfWork,
    *,
    submission_id: int,
    challenge_id: int,
    user_id: int,
    team_id: int | None,
    account_id: int,
    mode: str,
    date: datetime,
    value: int | None = None,
) -> Recorded | None:
    """Record the account's solve of the challenge, once; None when the account already has it."""
    s = uow.session
    # Lock the challenge row so concurrent solves count each other's rows: the decayed value and
    # first blood are then exact. NO KEY UPDATE, because the submission's foreign key already holds
    # a KEY SHARE lock on the row.
    ch = s.get(t.Challenge, challenge_id, with_for_update={"key_share": True})
    if ch is None:
        raise NotFound(field="challenge_id")
    recorded = attempt_queries.insert_solve(
        s,
        submission_id=submission_id,
        challenge_id=ch.id,
        user_id=user_id,
        team_id=team_id,
        account_id=account_id,
        date=date,
        value=value,
    )
    if not recorded:
        return None
    # The solves that count for decay, this one included: its rank for first blood, and the count
    # the value decays by (counted once).
    rank = attempt_queries.solve_count(s, mode, ch.id)
    challenge_service.recompute_value(ctx, s, ch.id, solves=rank)
    uow.bump(SCOREBOARD, CHALLENGES)
    points = ch.value if value is None else value
    uow.emit(
        "solve",
        {
            "challenge_id": ch.id,
            "account_id": account_id,
            "user_id": user_id,
            "first_blood": rank if rank <= FIRST_BLOODS else 0,
            "value": points,
        },
        # A solve of a challenge players cannot see (an admin's preview of a hidden one) is staff news.
        audience=Audience.PUBLIC if ch.state == "visible" else Audience.STAFF,
        account_id=account_id,
    )
    # Learning tracks: tasks referencing this challenge are done (one indexed query, usually empty).
    tracks.challenge_solved(uow, user_id=user_id, account_id=account_id, challenge_id=ch.id)
    return Recorded(rank, points)
