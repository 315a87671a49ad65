"""Reading the results for the exports (``services/exports.py``): plain dicts out, read a batch at a
time by id (keyset), each batch in a short read transaction of its own, so a long table never sits
in memory whole and no transaction stays open while the answer is written.

Names are joined as stored (no normalisation). Flags (the ``flags`` table, the answers' definitions)
are never read here; a submission's ``provided`` text is what the player typed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.storage.scoreboard_queries import SCORING_STATE

BATCH = 500

Read = Callable[[], Any]  # ctx.db.read: a context manager giving a Session


def mode(s: Session) -> str:
    return repo.event(s).mode


def account_profiles(s: Session, mode: str, ids: list[int]) -> dict[int, tuple[str, str]]:
    """(affiliation, country) of these accounts: teams in team mode, users otherwise."""
    if not ids:
        return {}
    table: Any = t.Team if mode == "teams" else t.User
    out: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        stmt = select(table.id, table.affiliation, table.country).where(table.id.in_(chunk))
        out.update({i: (a or "", c or "") for i, a, c in s.execute(stmt)})
    return out


def _keyset(read: Read, build: Callable[[int | None], Select[Any]], batch: int) -> Iterator[dict[str, Any]]:
    """Rows of ``build(after_id)`` (ordered by id, ascending), ``batch`` at a time."""
    last: int | None = None
    while True:
        with read() as s:
            rows = [dict(r._mapping) for r in s.execute(build(last).limit(batch))]
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1]["id"]


def _account_name(mode: str, team: Any, user: Any) -> Any:
    return team.name if mode == "teams" else user.name


def iter_solves(read: Read, mode: str, batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """Every solve, oldest id first, with the challenge's current value (scores are retroactive) and
    whether it counts on the board (``scored``: the challenge is visible)."""
    team = aliased(t.Team)

    def build(after: int | None) -> Select[Any]:
        stmt = (
            select(
                t.Solve.id,
                t.Solve.date,
                t.Solve.challenge_id,
                t.Challenge.name.label("challenge"),
                t.Challenge.category,
                t.Solve.account_id,
                _account_name(mode, team, t.User).label("account"),
                t.Solve.user_id,
                t.User.name.label("user"),
                t.Challenge.value,
                ((t.Challenge.state == SCORING_STATE) & t.Challenge.practice.is_(False)).label("scored"),
            )
            .join(t.Challenge, t.Challenge.id == t.Solve.challenge_id)
            .join(t.User, t.User.id == t.Solve.user_id)
            .outerjoin(team, team.id == t.Solve.team_id)
            .order_by(t.Solve.id)
        )
        return stmt.where(t.Solve.id > after) if after is not None else stmt

    for row in _keyset(read, build, batch):
        row["scored"] = bool(row["scored"])
        yield row


def iter_submissions(read: Read, mode: str, batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """Every submission, oldest id first: what was typed, the result and the address."""
    team = aliased(t.Team)

    def build(after: int | None) -> Select[Any]:
        stmt = (
            select(
                t.Submission.id,
                t.Submission.date,
                t.Submission.challenge_id,
                t.Challenge.name.label("challenge"),
                t.Submission.account_id,
                _account_name(mode, team, t.User).label("account"),
                t.Submission.user_id,
                t.User.name.label("user"),
                t.Submission.provided,
                t.Submission.type.label("result"),
                t.Submission.late,
                t.Submission.ip.label("address"),
            )
            .join(t.Challenge, t.Challenge.id == t.Submission.challenge_id)
            .join(t.User, t.User.id == t.Submission.user_id)
            .outerjoin(team, team.id == t.Submission.team_id)
            .order_by(t.Submission.id)
        )
        return stmt.where(t.Submission.id > after) if after is not None else stmt

    for row in _keyset(read, build, batch):
        row["late"] = bool(row["late"])
        yield row


def iter_awards(read: Read, mode: str, batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """Every award and penalty (hint costs are negative awards), oldest id first."""
    team = aliased(t.Team)

    def build(after: int | None) -> Select[Any]:
        stmt = (
            select(
                t.Award.id,
                t.Award.date,
                t.Award.account_id,
                _account_name(mode, team, t.User).label("account"),
                t.Award.user_id,
                t.User.name.label("user"),
                t.Award.name,
                t.Award.description,
                t.Award.category,
                t.Award.value,
            )
            .outerjoin(t.User, t.User.id == t.Award.user_id)
            .outerjoin(team, team.id == t.Award.team_id)
            .order_by(t.Award.id)
        )
        return stmt.where(t.Award.id > after) if after is not None else stmt

    yield from _keyset(read, build, batch)
