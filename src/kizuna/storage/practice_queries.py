"""Practice solves (``practice_solves``): kept apart from ``solves``, so no query of the event's
board, solve counts, matrix, feed or exports ever sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kizuna.storage import tables as t

_practice = t.Base.metadata.tables["practice_solves"]


def _insert(dialect: Any) -> Any:
    return (
        dialect.insert(_practice)
        .values(
            challenge_id=bindparam("challenge_id"),
            user_id=bindparam("user_id"),
            account_id=bindparam("account_id"),
            date=bindparam("date"),
        )
        .on_conflict_do_nothing(index_elements=[_practice.c.challenge_id, _practice.c.user_id])
    )


# As attempt_queries.insert_solve: RETURNING on PostgreSQL says whether a row went in; the rowcount
# on SQLite.
_INSERT = {"sqlite": _insert(sqlite), "postgresql": _insert(postgresql).returning(_practice.c.id)}


def insert_practice_solve(
    session: Session, *, challenge_id: int, user_id: int, account_id: int, date: datetime
) -> bool:
    """Record the user's practice solve of the challenge unless they have one; whether it went in.
    The unique key on (challenge, user) decides under any concurrency (PostgreSQL waits for a
    concurrent insert of the same pair and then does nothing if it committed)."""
    conn = session.connection()
    params = {"challenge_id": challenge_id, "user_id": user_id, "account_id": account_id, "date": date}
    if conn.dialect.name == "postgresql":
        return conn.execute(_INSERT["postgresql"], params).first() is not None
    return bool(conn.execute(_INSERT["sqlite"], params).rowcount == 1)


_PRACTISED = select(_practice.c.challenge_id).where(_practice.c.user_id == bindparam("user_id"))


def practised_ids(session: Session, user_id: int) -> set[int]:
    """The challenges the user has solved as practice."""
    return set(session.connection().execute(_PRACTISED, {"user_id": user_id}).scalars())


@dataclass(frozen=True, slots=True)
class PracticeRow:
    challenge_id: int
    date: datetime


def user_practice(session: Session, user_id: int, limit: int = 1000) -> list[PracticeRow]:
    """The user's practice solves, newest first (bounded)."""
    stmt = (
        select(t.PracticeSolve.challenge_id, t.PracticeSolve.date)
        .where(t.PracticeSolve.user_id == user_id)
        .order_by(t.PracticeSolve.date.desc(), t.PracticeSolve.id.desc())
        .limit(limit)
    )
    return [PracticeRow(cid, date) for cid, date in session.execute(stmt)]


def count_for(session: Session, challenge_id: int) -> int:
    """How many practice solves a challenge has (tests and statistics)."""
    stmt = select(t.PracticeSolve.id).where(t.PracticeSolve.challenge_id == challenge_id)
    return len(session.execute(stmt).all())
