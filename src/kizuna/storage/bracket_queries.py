"""What the scoreboard shows and filters by beside a score: each account's bracket, country and
affiliation, and the brackets' names. Read once per scoreboard snapshot (two small selects), kept
apart from the scoring queries (``scoreboard_queries``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.storage import tables as t


@dataclass(frozen=True)
class Attributes:
    bracket_id: int | None
    country: str
    affiliation: str


def account_attributes(s: Session, mode: str) -> dict[int, Attributes]:
    """Bracket, country and affiliation of every team (team mode) or user (individual mode)."""
    table: Any = t.Team if mode == "teams" else t.User
    stmt = select(table.id, table.bracket_id, table.country, table.affiliation)
    return {i: Attributes(b, c or "", a or "") for i, b, c, a in s.execute(stmt)}


def user_brackets(s: Session) -> dict[int, int]:
    """The bracket of every user who has one (listed beside them among a team's members)."""
    stmt = select(t.User.id, t.User.bracket_id).where(t.User.bracket_id.is_not(None))
    return {i: b for i, b in s.execute(stmt) if b is not None}


def bracket_names(s: Session) -> dict[int, str]:
    """Each bracket's name as stored (its own language; the pages translate it for the reader)."""
    return {i: n for i, n in s.execute(select(t.Bracket.id, t.Bracket.name))}
