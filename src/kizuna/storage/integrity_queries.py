"""The reads and writes of integrity signals (``services.integrity``) and of the addresses kept per
account. Every read is bounded (a ``LIMIT``, or a list of ids already bounded); none runs on the
attempt path: the signals are computed when a judge opens the list, not per attempt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, false, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kizuna.storage import tables as t
from kizuna.storage.admin_queries import Page

GROUP_LIMIT = 200  # addresses examined per scan (newest first)
FIRSTS_LIMIT = 20_000  # (shared wrong answer, account) rows examined per scan (newest first)
MATCH_LIMIT = 2000  # wrong answers equal to a static flag examined per scan (newest first)
SOLVE_LIMIT = 200_000  # solves examined for bursts (the newest)
CHUNK = 400  # values per IN list
PER_PAGE = 25
MAX_PAGE = 10_000

# --- addresses ---------------------------------------------------------------------------------


def record_address(s: Session, user_id: int, address: str, kind: str, now: datetime) -> None:
    """Upsert (account, address, kind): the first time seen stays, the last moves, the count grows."""
    if not address:
        return
    dialect = postgresql if s.connection().dialect.name == "postgresql" else sqlite
    table = t.AccountAddress.__table__
    stmt = dialect.insert(table).values(
        user_id=user_id, address=address[:64], kind=kind, first_seen=now, last_seen=now, count=1
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.user_id, table.c.address, table.c.kind],
        set_={"last_seen": now, "count": table.c.count + 1},
    )
    s.execute(stmt)


@dataclass(frozen=True)
class AddressRow:
    address: str
    kind: str
    first_seen: datetime
    last_seen: datetime
    count: int


def addresses_of(s: Session, user_id: int, limit: int = 200) -> list[AddressRow]:
    rows = s.execute(
        select(
            t.AccountAddress.address,
            t.AccountAddress.kind,
            t.AccountAddress.first_seen,
            t.AccountAddress.last_seen,
            t.AccountAddress.count,
        )
        .where(t.AccountAddress.user_id == user_id)
        .order_by(t.AccountAddress.last_seen.desc(), t.AccountAddress.id.desc())
        .limit(limit)
    ).all()
    return [AddressRow(*row) for row in rows]


def forget_addresses(s: Session, before: datetime) -> int:
    """Delete the addresses last seen before ``before``; how many rows went."""
    result = s.execute(delete(t.AccountAddress).where(t.AccountAddress.last_seen < before))
    return int(getattr(result, "rowcount", 0) or 0)


# --- what the detectors read ---------------------------------------------------------------------

_S = t.Submission
_WRONG = (_S.type == "incorrect", _S.late.is_(false()))


def guess_firsts(s: Session, min_length: int, max_accounts: int) -> list[tuple[int, str, int, datetime]]:
    """(challenge, wrong answer, account, first time the account sent it) for every wrong answer to
    a challenge sent by 2..``max_accounts`` accounts: one query, two passes over the wrong answers
    (the groups, then their rows), at most :data:`FIRSTS_LIMIT` rows."""
    groups = (
        select(_S.challenge_id, _S.provided)
        .where(*_WRONG, func.length(_S.provided) >= min_length)
        .group_by(_S.challenge_id, _S.provided)
        .having(func.count(_S.account_id.distinct()).between(2, max_accounts))
    )
    rows = s.execute(
        select(_S.challenge_id, _S.provided, _S.account_id, func.min(_S.date))
        .where(*_WRONG, tuple_(_S.challenge_id, _S.provided).in_(groups))
        .group_by(_S.challenge_id, _S.provided, _S.account_id)
        .order_by(func.max(_S.id).desc())
        .limit(FIRSTS_LIMIT)
    ).all()
    return [(int(c), str(p), int(a), d) for c, p, a, d in rows]


def flags(s: Session) -> list[tuple[int, str, str, str]]:
    """Every flag as (challenge, type, content, data)."""
    rows = s.execute(select(t.Flag.challenge_id, t.Flag.type, t.Flag.content, t.Flag.data)).all()
    return [(int(c), str(ty), str(co), str(d or "")) for c, ty, co, d in rows]


@dataclass(frozen=True)
class Wrong:
    id: int
    challenge_id: int
    account_id: int
    user_id: int
    provided: str
    date: datetime


def wrong_answers_like(s: Session, lowered: Iterable[str]) -> list[Wrong]:
    """Wrong answers whose lower-cased, trimmed text is one of ``lowered`` (a prefilter; the caller
    compares with the flag matcher), newest first."""
    values = sorted(set(lowered))
    out: list[Wrong] = []
    for start in range(0, len(values), CHUNK):
        part = values[start : start + CHUNK]
        rows = s.execute(
            select(_S.id, _S.challenge_id, _S.account_id, _S.user_id, _S.provided, _S.date)
            .where(*_WRONG, func.lower(func.trim(_S.provided)).in_(part))
            .order_by(_S.id.desc())
            .limit(MATCH_LIMIT)
        ).all()
        out.extend(Wrong(*row) for row in rows)
    out.sort(key=lambda w: w.id, reverse=True)
    return out[:MATCH_LIMIT]


def solved_pairs(s: Session, pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Of (account, challenge) pairs, those solved."""
    wanted = sorted(set(pairs))
    found: set[tuple[int, int]] = set()
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        rows = s.execute(
            select(t.Solve.account_id, t.Solve.challenge_id).where(
                tuple_(t.Solve.account_id, t.Solve.challenge_id).in_(part)
            )
        ).all()
        found.update((int(a), int(c)) for a, c in rows)
    return found


def _account_of(mode: str) -> Any:
    return t.User.team_id if mode == "teams" else t.User.id


@dataclass(frozen=True)
class AddressUse:
    address: str
    account_id: int
    user_id: int
    kind: str
    last_seen: datetime


def shared_addresses(s: Session, mode: str) -> list[AddressUse]:
    """The uses of addresses that players of two or more accounts used (newest addresses first)."""
    account = _account_of(mode)
    A = t.AccountAddress
    players = and_(t.User.role == "player", account.is_not(None), A.address != "")
    shared = (
        select(A.address)
        .join(t.User, t.User.id == A.user_id)
        .where(players)
        .group_by(A.address)
        .having(func.count(account.distinct()) >= 2)
        .order_by(func.max(A.last_seen).desc())
        .limit(GROUP_LIMIT)
    )
    addresses = [str(a) for a in s.execute(shared).scalars()]
    if not addresses:
        return []
    rows = s.execute(
        select(A.address, account, A.user_id, A.kind, A.last_seen)
        .join(t.User, t.User.id == A.user_id)
        .where(players, A.address.in_(addresses))
        .order_by(A.address, A.last_seen)
    ).all()
    return [AddressUse(str(a), int(acc), int(u), str(k), ls) for a, acc, u, k, ls in rows]


def recent_solves(s: Session) -> list[tuple[int, int, datetime]]:
    """(challenge, account, time) of the newest solves."""
    rows = s.execute(
        select(t.Solve.challenge_id, t.Solve.account_id, t.Solve.date)
        .order_by(t.Solve.id.desc())
        .limit(SOLVE_LIMIT)
    ).all()
    return [(int(c), int(a), d) for c, a, d in rows]


# --- the background scan's turns -------------------------------------------------------------------


def claim_scan(s: Session, name: str, now: datetime, every: timedelta, cost_factor: int) -> bool:
    """Take the turn to scan: True when no process started one within ``every``, nor within
    ``cost_factor`` times the last scan's duration (whichever is longer). One atomic statement, so
    of many processes asking at once exactly one gets the turn."""
    dialect = postgresql if s.connection().dialect.name == "postgresql" else sqlite
    table = t.IntegrityScan.__table__
    s.execute(
        dialect.insert(table)
        .values(name=name, started_at=now - every - timedelta(days=1), duration_ms=0)
        .on_conflict_do_nothing(index_elements=[table.c.name])
    )
    S = t.IntegrityScan
    started_at, duration_ms = s.execute(select(S.started_at, S.duration_ms).where(S.name == name)).one()
    wait = max(every, timedelta(milliseconds=duration_ms * cost_factor))
    if started_at > now - wait:
        return False
    claimed = s.execute(
        update(S).where(S.name == name, S.started_at == started_at).values(started_at=now),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(claimed, "rowcount", 0) or 0) == 1


def scan_took(s: Session, name: str, duration_ms: int) -> None:
    s.execute(
        update(t.IntegrityScan).where(t.IntegrityScan.name == name).values(duration_ms=duration_ms),
        execution_options={"synchronize_session": False},
    )


# --- the signals ---------------------------------------------------------------------------------


def known(s: Session, keys: Iterable[str], subjects: Iterable[str]) -> tuple[set[str], dict[str, int]]:
    """Which ``keys`` are stored already, and the open signal of each of ``subjects`` (its id)."""
    key_list, subject_list = sorted(set(keys)), sorted(set(subjects))
    stored: set[str] = set()
    open_by_subject: dict[str, int] = {}
    for start in range(0, len(key_list), CHUNK):
        part = key_list[start : start + CHUNK]
        stored.update(
            s.execute(select(t.IntegritySignal.key).where(t.IntegritySignal.key.in_(part))).scalars()
        )
    for start in range(0, len(subject_list), CHUNK):
        part = subject_list[start : start + CHUNK]
        rows = s.execute(
            select(t.IntegritySignal.subject, t.IntegritySignal.id).where(
                t.IntegritySignal.subject.in_(part), t.IntegritySignal.dismissed_at.is_(None)
            )
        ).all()
        open_by_subject.update({str(subj): int(i) for subj, i in rows})
    return stored, open_by_subject


def signals_page(s: Session, status: str, kind: str, page: int) -> Page[t.IntegritySignal]:
    q = select(t.IntegritySignal)
    if status == "open":
        q = q.where(t.IntegritySignal.dismissed_at.is_(None))
    elif status == "dismissed":
        q = q.where(t.IntegritySignal.dismissed_at.is_not(None))
    if kind:
        q = q.where(t.IntegritySignal.kind == kind)
    total = int(s.execute(select(func.count()).select_from(q.subquery())).scalar() or 0)
    rows = list(
        s.execute(
            q.order_by(t.IntegritySignal.updated_at.desc(), t.IntegritySignal.id.desc())
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        ).scalars()
    )
    return Page(rows, page, PER_PAGE, total)


def names(s: Session, model: Any, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted({int(i) for i in ids})
    out: dict[int, str] = {}
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        out.update(
            {int(i): str(n) for i, n in s.execute(select(model.id, model.name).where(model.id.in_(part)))}
        )
    return out


__all__ = [
    "AddressRow",
    "AddressUse",
    "Wrong",
    "addresses_of",
    "claim_scan",
    "flags",
    "forget_addresses",
    "guess_firsts",
    "known",
    "names",
    "recent_solves",
    "record_address",
    "scan_took",
    "shared_addresses",
    "signals_page",
    "solved_pairs",
    "wrong_answers_like",
]
