"""Reading skill profiles (``services/skills.py``): one grouped query of what users solved, one of
what the categories offer. Both leave out challenges players may not see (hidden, not yet released)
and the ``excluded`` ones (locked for the reader)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from kizuna.domain.skills import PricedGroup
from kizuna.storage import repo
from kizuna.storage import tables as t

# Users per query when many are read at once (the recruiting export); SQLite allows 32,766 bound
# parameters, PostgreSQL 65,535.
USERS_PER_QUERY = 500


def solved_groups(
    s: Session,
    user_ids: Collection[int],
    now: datetime,
    cutoff: datetime | None = None,
    excluded: Collection[int] = (),
) -> dict[int, list[PricedGroup]]:
    """Per user, the distinct challenges they solved themselves — at the event (before ``cutoff``,
    the scoreboard freeze, when given) or as practice — grouped by category and price."""
    out: dict[int, list[PricedGroup]] = {int(u): [] for u in user_ids}
    ids = sorted(out)
    for start in range(0, len(ids), USERS_PER_QUERY):
        chunk = ids[start : start + USERS_PER_QUERY]
        event = select(t.Solve.user_id.label("user_id"), t.Solve.challenge_id.label("challenge_id")).where(
            t.Solve.user_id.in_(chunk)
        )
        if cutoff is not None:
            event = event.where(t.Solve.date < cutoff)
        practice = select(
            t.PracticeSolve.user_id.label("user_id"), t.PracticeSolve.challenge_id.label("challenge_id")
        ).where(t.PracticeSolve.user_id.in_(chunk))
        done = union(event, practice).subquery()  # UNION: a challenge solved both ways counts once
        stmt = (
            select(
                done.c.user_id,
                t.Challenge.category,
                t.Challenge.type,
                t.Challenge.value,
                t.Challenge.initial,
                func.count(),
            )
            .join(t.Challenge, t.Challenge.id == done.c.challenge_id)
            .where(repo.player_visible(now))
            .group_by(
                done.c.user_id, t.Challenge.category, t.Challenge.type, t.Challenge.value, t.Challenge.initial
            )
        )
        if excluded:
            stmt = stmt.where(t.Challenge.id.not_in(sorted(excluded)))
        for user_id, category, kind, value, initial, count in s.execute(stmt):
            out[int(user_id)].append(PricedGroup(category or "", kind, value, initial, int(count)))
    return out


def offered_groups(s: Session, now: datetime, excluded: Collection[int] = ()) -> list[PricedGroup]:
    """Every challenge players may see, grouped by category and price."""
    stmt = (
        select(t.Challenge.category, t.Challenge.type, t.Challenge.value, t.Challenge.initial, func.count())
        .where(repo.player_visible(now))
        .group_by(t.Challenge.category, t.Challenge.type, t.Challenge.value, t.Challenge.initial)
    )
    if excluded:
        stmt = stmt.where(t.Challenge.id.not_in(sorted(excluded)))
    return [PricedGroup(c or "", k, v, i, int(n)) for c, k, v, i, n in s.execute(stmt)]
