"""The challenge list as plain data: challenges, solve counts and first solvers (ranked accounts
only), tags, and when each challenge was last released."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from kizuna.domain.text import LocalizedText
from kizuna.storage import repo
from kizuna.storage import tables as t


def challenge_rows(s: Session, cutoff: datetime | None) -> list[dict[str, Any]]:
    ranked = repo._ranked_accounts_subquery(s)
    counts_q = (
        select(t.Solve.challenge_id, func.count(), func.min(t.Solve.date))
        .where(t.Solve.account_id.in_(ranked))
        .group_by(t.Solve.challenge_id)
    )
    if cutoff is not None:
        counts_q = counts_q.where(t.Solve.date < cutoff)
    counted = s.execute(counts_q).all()
    counts = {cid: n for cid, n, _first in counted}
    firsts = first_solvers(s, ranked, [(cid, first) for cid, _n, first in counted])
    released = release_times(s)
    tags: dict[int, list[str]] = {}
    for cid, value in s.execute(select(t.Tag.challenge_id, t.Tag.value).order_by(t.Tag.id)):
        tags.setdefault(cid, []).append(value)
    categories = category_names(s)
    rows: list[dict[str, Any]] = []
    for ch in s.scalars(select(t.Challenge)):
        rows.append(
            {
                "id": ch.id,
                "type": ch.type,
                "name": ch.name,
                "value": ch.value,
                "position": ch.position,
                "category": ch.category,
                "state": ch.state,
                # A practice challenge is on no board: its solve count is the event's, none.
                "solves": 0 if ch.practice else int(counts.get(ch.id, 0)),
                "practice": bool(ch.practice),
                "tags": tags.get(ch.id, []),
                "requirements": ch.requirements,
                "max_attempts": ch.max_attempts,
                "locale": ch.locale,
                "texts": LocalizedText.of(ch.locale, {"name": ch.name}, ch.translations).as_dict(),
                "category_texts": categories.get(ch.category, {}),
                # The ranked account that solved it first (before the cutoff), as the challenge's
                # "First solvers" list shows: the board marks first blood for that account only.
                "first_account": None if ch.practice else firsts.get(ch.id),
                "released_at": max(
                    (at for at in (released.get(ch.id), ch.release_at) if at is not None), default=None
                ),
                # Its own schedule (naive UTC); the snapshot adds ``schedule_state`` when built.
                "release_at": ch.release_at,
                "close_at": ch.close_at,
            }
        )
    # CTFd's order: positioned challenges first by position, then by value, then id.
    rows.sort(key=lambda r: (0 if r["position"] > 0 else 1, r["position"], r["value"], r["id"]))
    return rows


def first_solvers(s: Session, ranked: Any, earliest: list[tuple[int, datetime]]) -> dict[int, int]:
    """Each challenge's first solver among ``ranked`` accounts, given each challenge's earliest
    counted solve time (from the solve counts' own query, so the cutoff is theirs): the account of
    the ranked solve at that time, the lowest id on a tie.

    Two small reads rather than one: the solves at those times, then which of their accounts are
    ranked. With the ranked accounts' subquery in the first, SQLite walks the solves by account, and
    a window function over every solve took twice as long as the counts themselves."""
    if not earliest:
        return {}
    stmt = (
        select(t.Solve.challenge_id, t.Solve.account_id)
        .where(tuple_(t.Solve.challenge_id, t.Solve.date).in_(earliest))
        .order_by(t.Solve.id)
    )
    found = s.execute(stmt).all()
    accounts = sorted({acct for _cid, acct in found})
    key = ranked.selected_columns[0]
    counted = set(s.execute(ranked.where(key.in_(accounts))).scalars())
    out: dict[int, int] = {}
    for cid, acct in found:
        if acct in counted:
            out.setdefault(cid, acct)
    return out


def release_times(s: Session) -> dict[int, datetime]:
    """When each challenge was last made visible to players (its latest ``challenge_released`` event,
    the index on (type, id) finds them)."""
    out: dict[int, datetime] = {}
    rows = s.execute(
        select(t.EventLog.data, t.EventLog.created_at).where(t.EventLog.type == "challenge_released")
    )
    for data, created_at in rows:
        ident = data.get("challenge_id") if isinstance(data, dict) else None
        if isinstance(ident, int) and (ident not in out or created_at > out[ident]):
            out[ident] = created_at
    return out


def category_names(s: Session) -> dict[str, dict[str, str]]:
    """Each translated category's display name per locale, its own locale included."""
    out: dict[str, dict[str, str]] = {}
    for row in s.scalars(select(t.Category)):
        names = LocalizedText.of(row.locale, {"name": row.name}, row.translations).as_dict()
        out[row.name] = {code: values["name"] for code, values in names.items()}
    return out


def schedule_times(s: Session) -> list[datetime]:
    """Every challenge's release and close time: the instants at which the challenge list (and the
    scoreboard, which leaves out challenges not yet released) change by themselves."""
    out: list[datetime] = []
    for release, close in s.execute(select(t.Challenge.release_at, t.Challenge.close_at)):
        out += [at for at in (release, close) if at is not None]
    return sorted(out)
