"""The reads behind ``kizuna doctor`` (``services/doctor.py``): rows that point at nothing, duplicate
solves, hint charges, revisions. Read-only; each returns plain tuples."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.storage import tables as t

# Rows that belong to a challenge, a user and an account: (label, table).
SCORED_ROWS: tuple[tuple[str, Any], ...] = (
    ("solves", t.Solve),
    ("submissions", t.Submission),
    ("unlocks", t.Unlock),
    ("awards", t.Award),
)


def _ids(s: Session, table: Any) -> set[int]:
    return set(s.scalars(select(table.id)))


def orphans(s: Session, mode: str) -> list[tuple[str, int, str, int]]:
    """``(table, row id, what is missing, missing id)`` for every row whose challenge, user, team
    or account (the team in team mode, the user in individual mode) does not exist."""
    users, teams, challenges = _ids(s, t.User), _ids(s, t.Team), _ids(s, t.Challenge)
    hints = _ids(s, t.Hint)
    accounts = teams if mode == "teams" else users
    found: list[tuple[str, int, str, int]] = []
    for label, table in SCORED_ROWS:
        has_challenge = hasattr(table, "challenge_id")
        cols = [table.id, table.user_id, table.team_id, table.account_id]
        cols.append(table.challenge_id if has_challenge else table.id)
        cols.append(table.target if table is t.Unlock else table.id)
        for row_id, user_id, team_id, account_id, challenge_id, target in s.execute(select(*cols)):
            if has_challenge and challenge_id not in challenges:
                found.append((label, row_id, "challenge", challenge_id))
            if user_id is not None and user_id not in users:
                found.append((label, row_id, "user", user_id))
            if team_id is not None and team_id not in teams:
                found.append((label, row_id, "team", team_id))
            if account_id not in accounts:
                found.append((label, row_id, "account", account_id))
            if table is t.Unlock and target not in hints:
                found.append((label, row_id, "hint", target))
    return found


def files(s: Session) -> list[tuple[int, str, int | None]]:
    return [(i, loc, ch) for i, loc, ch in s.execute(select(t.File.id, t.File.location, t.File.challenge_id))]


def duplicate_solves(s: Session) -> list[tuple[int, int, int]]:
    """``(challenge, account, count)`` solved more than once."""
    stmt = (
        select(t.Solve.challenge_id, t.Solve.account_id, func.count())
        .group_by(t.Solve.challenge_id, t.Solve.account_id)
        .having(func.count() > 1)
    )
    return [(c, a, int(n)) for c, a, n in s.execute(stmt)]


def solve_rows(s: Session) -> list[tuple[int, int, int, int | None]]:
    """``(solve id, challenge, account, value)`` of every solve (value: a judge's partial award, or
    None for the challenge's value)."""
    stmt = select(t.Solve.id, t.Solve.challenge_id, t.Solve.account_id, t.Solve.value)
    return [(i, c, a, v) for i, c, a, v in s.execute(stmt)]


def award_rows(s: Session) -> list[tuple[int, int, str, str]]:
    """``(account, value, name, description)`` of every award (hint costs included)."""
    stmt = select(t.Award.account_id, t.Award.value, t.Award.name, t.Award.description)
    return [(a, int(v), n, d or "") for a, v, n, d in s.execute(stmt)]


def unlocked_hints(s: Session) -> list[tuple[int, int, int]]:
    """``(account, hint id, hint cost)`` of every hint unlock whose hint still exists."""
    stmt = (
        select(t.Unlock.account_id, t.Hint.id, t.Hint.cost)
        .join(t.Hint, t.Hint.id == t.Unlock.target)
        .where(t.Unlock.type == "hints")
    )
    return [(a, h, int(c or 0)) for a, h, c in s.execute(stmt)]


def challenges(s: Session) -> list[t.Challenge]:
    return list(s.scalars(select(t.Challenge).order_by(t.Challenge.id)))


def solve_counts(s: Session) -> dict[int, int]:
    stmt = select(t.Solve.challenge_id, func.count()).group_by(t.Solve.challenge_id)
    return {c: int(n) for c, n in s.execute(stmt)}


def revision_rows(s: Session) -> dict[str, int]:
    return {n: int(v) for n, v in s.execute(select(t.Revision.name, t.Revision.value))}


def has_event(s: Session) -> bool:
    return s.get(t.Event, 1) is not None
