"""Cursors of the background jobs that read the event log (``job_cursors``: the badge job, the
learning statistics job): the last event id whose effects a job has stored, moved in the same
transaction as those effects, so no event counts twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kizuna.storage import tables as t


def dialect_of(s: Session) -> Any:
    """The dialect module whose ``insert`` has ``on_conflict_do_nothing`` for this session."""
    return postgresql if s.connection().dialect.name == "postgresql" else sqlite


def lock_cursor(s: Session, name: str) -> int:
    """The last event id the job has read, with the cursor's row locked until the transaction ends
    (PostgreSQL: ``FOR UPDATE``; SQLite's write transaction holds the whole database), so two
    processes never work on the same batch at once."""
    table = t.JobCursor.__table__
    s.execute(
        dialect_of(s)
        .insert(table)
        .values(name=name, last_event_id=0, updated_at=datetime(2000, 1, 1))
        .on_conflict_do_nothing(index_elements=[table.c.name])
    )
    stmt = select(t.JobCursor.last_event_id).where(t.JobCursor.name == name).with_for_update()
    return int(s.execute(stmt).scalar_one())


def read_cursor(s: Session, name: str) -> int:
    return int(s.scalar(select(t.JobCursor.last_event_id).where(t.JobCursor.name == name)) or 0)


def move_cursor(s: Session, name: str, last_event_id: int, now: datetime) -> None:
    s.execute(
        update(t.JobCursor)
        .where(t.JobCursor.name == name)
        .values(last_event_id=last_event_id, updated_at=now),
        execution_options={"synchronize_session": False},
    )
