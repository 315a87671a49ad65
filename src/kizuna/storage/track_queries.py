"""Statements of the learning tracks (``kizuna.services.tracks``) that need SQL itself: recording a
task completion exactly once, locking a user's progress, and the indexed look-ups of the solve path."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert, select, union
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kizuna.storage import tables as t

_comp: Table = t.TaskCompletion.__table__  # type: ignore[assignment]


def insert_completion(session: Session, *, task_id: int, user_id: int, at: object) -> bool:
    """Record the user's completion of the task unless it is already there; whether it was recorded.
    The unique key on (task, user) decides: of two transactions completing the same task at once on
    PostgreSQL, the second waits for the first and then inserts nothing."""
    values = {"task_id": task_id, "user_id": user_id, "answered_at": at}
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        stmt = postgresql.insert(_comp).values(values).on_conflict_do_nothing().returning(_comp.c.id)
        return conn.execute(stmt).first() is not None
    if conn.dialect.name == "sqlite":
        return conn.execute(sqlite.insert(_comp).values(values).on_conflict_do_nothing()).rowcount == 1
    conn.execute(insert(_comp).values(values))  # pragma: no cover - other databases are not supported
    return True


def lock_progress(session: Session, user_id: int) -> None:
    """Serialise one user's learning progress (PostgreSQL: a row lock on the user, held to the commit),
    so that of two tasks completed at once the second sees the first and a lesson, module or track
    is found complete exactly once. SQLite's write lock serialises already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(t.User.id).where(t.User.id == user_id).with_for_update())


def tasks_referencing(session: Session, challenge_name: str) -> list[t.LearningTask]:
    """Tasks that reference an event challenge by name (indexed; usually none)."""
    return list(session.scalars(select(t.LearningTask).where(t.LearningTask.challenge == challenge_name)))


def solved_names(session: Session, user_id: int, names: list[str]) -> set[str]:
    """Which of the challenges named the user has solved, at the event or in practice."""
    if not names:
        return set()
    ch = t.Challenge
    event = (
        select(ch.name)
        .join(t.Solve, t.Solve.challenge_id == ch.id)
        .where(t.Solve.user_id == user_id, ch.name.in_(names))
    )
    practice = (
        select(ch.name)
        .join(t.PracticeSolve, t.PracticeSolve.challenge_id == ch.id)
        .where(t.PracticeSolve.user_id == user_id, ch.name.in_(names))
    )
    return set(session.scalars(select(union(event, practice).subquery().c[0])))


def learners(session: Session, track_id: int) -> int:
    """How many users completed at least one task of the track."""
    from sqlalchemy import func

    stmt = (
        select(func.count(func.distinct(_comp.c.user_id)))
        .select_from(_comp.join(t.LearningTask.__table__, t.LearningTask.id == _comp.c.task_id))
        .where(t.LearningTask.track_id == track_id)
    )
    return int(session.scalar(stmt) or 0)


def track_texts(session: Session, key: str) -> dict[str, Any] | None:
    """A stored track's texts by its key (None: no such track)."""
    texts = session.scalar(select(t.LearningTrack.texts).where(t.LearningTrack.key == key))
    return dict(texts) if texts is not None else None


def track_headers(session: Session) -> list[tuple[str, dict[str, Any], Any, Any]]:
    """Every track's key, texts and window, in the tracks' order (no modules or lessons)."""
    rows = session.execute(
        select(
            t.LearningTrack.key, t.LearningTrack.texts, t.LearningTrack.opens_at, t.LearningTrack.closes_at
        ).order_by(t.LearningTrack.position, t.LearningTrack.id)
    ).all()
    return [(r.key, dict(r.texts or {}), r.opens_at, r.closes_at) for r in rows]
