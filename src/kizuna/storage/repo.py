"""Queries the services use, so SQL lives in the storage layer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kizuna.storage import tables as t

__all__ = ["IntegrityError"]


def event(session: Session) -> t.Event:
    ev = session.get(t.Event, 1)
    if ev is None:
        ev = t.Event(id=1)
        session.add(ev)
        session.flush()
    return ev


def user_by_name_key(session: Session, key: str) -> t.User | None:
    return session.scalar(select(t.User).where(t.User.name_key == key))


def user_by_email(session: Session, email: str) -> t.User | None:
    return session.scalar(select(t.User).where(func.lower(t.User.email) == email.lower()))


def team_by_name_key(session: Session, key: str) -> t.Team | None:
    return session.scalar(select(t.Team).where(t.Team.name_key == key))


def team_by_invite(session: Session, code: str) -> t.Team | None:
    return session.scalar(select(t.Team).where(t.Team.invite_code == code))


def team_size(session: Session, team_id: int) -> int:
    return session.scalar(select(func.count()).select_from(t.User).where(t.User.team_id == team_id)) or 0


def token_by_digest(session: Session, digest: str) -> t.Token | None:
    return session.scalar(select(t.Token).where(t.Token.digest == digest))


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(t.User)) or 0


def count_challenges(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(t.Challenge)) or 0


def flags_for(session: Session, challenge_id: int) -> Sequence[t.Flag]:
    return session.scalars(
        select(t.Flag).where(t.Flag.challenge_id == challenge_id).order_by(t.Flag.id)
    ).all()


def solve_count(session: Session, challenge_id: int) -> int:
    """Solves that count for decay: by accounts neither hidden nor banned."""
    return (
        session.scalar(
            select(func.count())
            .select_from(t.Solve)
            .where(
                t.Solve.challenge_id == challenge_id,
                t.Solve.account_id.in_(_ranked_accounts_subquery(session)),
            )
        )
        or 0
    )


def _ranked_accounts_subquery(session: Session) -> Any:
    ev = event(session)
    if ev.mode == "teams":
        return select(t.Team.id).where(t.Team.hidden.is_(False), t.Team.banned.is_(False))
    return select(t.User.id).where(t.User.hidden.is_(False), t.User.banned.is_(False))


def has_solved(session: Session, challenge_id: int, account_id: int) -> bool:
    return (
        session.scalar(
            select(t.Solve.id).where(t.Solve.challenge_id == challenge_id, t.Solve.account_id == account_id)
        )
        is not None
    )


def solved_ids(session: Session, account_id: int) -> set[int]:
    return set(session.scalars(select(t.Solve.challenge_id).where(t.Solve.account_id == account_id)))


def counted_attempts(session: Session, challenge_id: int, account_id: int) -> int:
    """Wrong answers that count toward a challenge's maximum: late ones (after the end) never do."""
    return (
        session.scalar(
            select(func.count())
            .select_from(t.Submission)
            .where(
                t.Submission.challenge_id == challenge_id,
                t.Submission.account_id == account_id,
                t.Submission.type == "incorrect",
                t.Submission.late.is_(False),
            )
        )
        or 0
    )


def recent_wrong_times(
    session: Session,
    account_id: int,
    since: datetime,
    limit: int,
    user_id: int | None = None,
    challenge_id: int | None = None,
) -> list[datetime]:
    """When the account's newest ``limit`` wrong answers after ``since`` were made, newest first —
    only one user's, or only on one challenge, when given. Answers refused unevaluated (rate
    limited) and late ones do not count. Uses the (account, date) index."""
    stmt = select(t.Submission.date).where(
        t.Submission.account_id == account_id,
        t.Submission.date > since,
        t.Submission.type == "incorrect",
        t.Submission.late.is_(False),
    )
    if user_id is not None:
        stmt = stmt.where(t.Submission.user_id == user_id)
    if challenge_id is not None:
        stmt = stmt.where(t.Submission.challenge_id == challenge_id)
    return list(session.scalars(stmt.order_by(t.Submission.date.desc()).limit(limit)))


def lock_account(session: Session, mode: str, account_id: int) -> None:
    """Serialise an account's writes that check-then-act on its own rows (attempts against a
    maximum, hint unlocks against its score): the team's row in team mode, the user's otherwise, is
    locked until the transaction ends. ``FOR NO KEY UPDATE`` so rows referring to it can still be
    inserted by others. On SQLite the write transaction already holds the database lock."""
    if session.get_bind().dialect.name == "sqlite":
        return
    table = t.Team if mode == "teams" else t.User
    session.execute(select(table.id).where(table.id == account_id).with_for_update(key_share=True))


def account_score(session: Session, account_id: int) -> int:
    solved = (
        session.scalar(
            select(func.coalesce(func.sum(t.Challenge.value), 0))
            .select_from(t.Solve)
            .join(t.Challenge, t.Challenge.id == t.Solve.challenge_id)
            # As on the scoreboard: hidden challenges' solves do not score.
            .where(t.Solve.account_id == account_id, t.Challenge.state == "visible")
        )
        or 0
    )
    awarded = (
        session.scalar(
            select(func.coalesce(func.sum(t.Award.value), 0)).where(t.Award.account_id == account_id)
        )
        or 0
    )
    return int(solved) + int(awarded)


def unlocked_hint_ids(session: Session, account_id: int) -> set[int]:
    return set(
        session.scalars(
            select(t.Unlock.target).where(t.Unlock.account_id == account_id, t.Unlock.type == "hints")
        )
    )


def delete_where(session: Session, table: Any, *conditions: Any) -> None:
    session.execute(delete(table).where(*conditions))
