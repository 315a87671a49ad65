"""Reading write-ups (``services/writeups.py``): plain rows with the challenge's, the account's and
the writer's names, and the checks the send path needs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.storage.raw import on_sqlite

BATCH = 200  # write-ups are long texts: fewer at a time


@dataclass(frozen=True)
class WriteupRow:
    id: int
    challenge_id: int
    challenge: str
    challenge_state: str
    account_id: int
    account: str
    user_id: int | None
    user: str
    content: str
    locale: str
    prize: bool
    comment: dict[str, str] | None
    created_at: datetime
    updated_at: datetime


def took_part(s: Session, account_id: int) -> bool:
    """Whether the account sent at least one answer (for write-ups after the event)."""
    stmt = select(t.Submission.id).where(t.Submission.account_id == account_id).limit(1)
    return s.execute(stmt).first() is not None


def for_update(s: Session, challenge_id: int, account_id: int) -> t.Writeup | None:
    stmt = select(t.Writeup).where(t.Writeup.challenge_id == challenge_id, t.Writeup.account_id == account_id)
    if not on_sqlite(s):
        stmt = stmt.with_for_update()
    return s.scalars(stmt).first()


def _select(mode: str) -> Any:
    team = aliased(t.Team)
    account = team.name if mode == "teams" else t.User.name
    return (
        select(
            t.Writeup,
            t.Challenge.name,
            t.Challenge.state,
            account,
            t.User.name,
        )
        .join(t.Challenge, t.Challenge.id == t.Writeup.challenge_id)
        .outerjoin(t.User, t.User.id == (t.Writeup.user_id if mode == "teams" else t.Writeup.account_id))
        .outerjoin(team, team.id == t.Writeup.team_id)
    )


def _row(found: Any) -> WriteupRow:
    w, challenge, state, account, user = found
    return WriteupRow(
        id=w.id,
        challenge_id=w.challenge_id,
        challenge=challenge,
        challenge_state=state,
        account_id=w.account_id,
        account=account or "",
        user_id=w.user_id,
        user=user or "",
        content=w.content,
        locale=w.locale,
        prize=bool(w.prize),
        comment=dict(w.comment) if w.comment else None,
        created_at=w.created_at,
        updated_at=w.updated_at,
    )


def by_id(s: Session, mode: str, writeup_id: int) -> WriteupRow | None:
    found = s.execute(_select(mode).where(t.Writeup.id == writeup_id)).first()
    return _row(found) if found is not None else None


def one_of(s: Session, mode: str, challenge_id: int, account_id: int) -> WriteupRow | None:
    stmt = _select(mode).where(t.Writeup.challenge_id == challenge_id, t.Writeup.account_id == account_id)
    found = s.execute(stmt).first()
    return _row(found) if found is not None else None


def listing(
    s: Session,
    mode: str,
    *,
    account_id: int | None = None,
    challenge_id: int | None = None,
    prize: bool | None = None,
    visible_to_players_at: datetime | None = None,
) -> list[WriteupRow]:
    """``visible_to_players_at``: only write-ups of challenges players may see at that time (visible
    and released: a hidden or not yet released challenge's write-up is as hidden as the challenge)."""
    stmt = _select(mode)
    if account_id is not None:
        stmt = stmt.where(t.Writeup.account_id == account_id)
    if challenge_id is not None:
        stmt = stmt.where(t.Writeup.challenge_id == challenge_id)
    if prize is not None:
        stmt = stmt.where(t.Writeup.prize.is_(prize))
    if visible_to_players_at is not None:
        stmt = stmt.where(repo.player_visible(visible_to_players_at))
    return [_row(r) for r in s.execute(stmt.order_by(t.Writeup.challenge_id, t.Writeup.id))]


def iter_all(read: Callable[[], Any], mode: str, batch: int = BATCH) -> Iterator[WriteupRow]:
    """Every write-up, by id, ``batch`` at a time, each batch in its own read transaction."""
    last = 0
    while True:
        with read() as s:
            stmt = _select(mode).where(t.Writeup.id > last).order_by(t.Writeup.id).limit(batch)
            rows = [_row(r) for r in s.execute(stmt)]
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1].id
