"""The names a new account or team name is compared with for look-alikes (``domain.names.look_alike``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.storage import tables as t

MAX_NAMES = 100_000  # bounded: far beyond any event's size


def user_names(s: Session, except_id: int | None = None) -> list[str]:
    stmt = select(t.User.name).limit(MAX_NAMES)
    if except_id is not None:
        stmt = stmt.where(t.User.id != except_id)
    return list(s.scalars(stmt))


def team_names(s: Session, except_id: int | None = None) -> list[str]:
    stmt = select(t.Team.name).limit(MAX_NAMES)
    if except_id is not None:
        stmt = stmt.where(t.Team.id != except_id)
    return list(s.scalars(stmt))
