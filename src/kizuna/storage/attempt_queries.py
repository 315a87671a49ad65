"""The queries of a flag attempt (``services.submissions``), the hottest write of an event.

Each statement is built once, at import, with bound parameters, and run through the session's
connection as SQLAlchemy Core: building a statement costs several times more than running it on
SQLite, and ORM rows (identity map, flush) cost more again for values that are only read. What an
attempt checks comes back from two queries: ``facts`` (the event's settings, the user, their team,
the challenge, whether solved, the flags; one row per flag), read before the write where writes
are serialised, and ``limits`` (the three rate limits, the count toward a maximum, whether solved now),
read under the account's lock.

The statements ``repo`` shares (``SOLVED_IDS``, ``HAS_SOLVED``, ``COUNTED``, ``SOLVE_COUNT``,
``LOCK``) it runs through ``Session.execute``, which flushes pending ORM changes first as any ORM
query does; the attempt path runs them on the connection, having none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    bindparam,
    case,
    exists,
    false,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kizuna.storage import tables as t
from kizuna.storage.raw import Raw, on_sqlite

_tables = t.Base.metadata.tables
_event = _tables["event"]
_user = _tables["users"]
_team = _tables["teams"]
_challenge = _tables["challenges"]
_flag = _tables["flags"]
_solve = _tables["solves"]
_sub = _tables["submissions"]

_account = case((_event.c.mode == "teams", _user.c.team_id), else_=_user.c.id)
_incorrect = (_sub.c.type == "incorrect", _sub.c.late.is_(false()))


def _nth_wrong(only: Any, offset: str, wrong: tuple[Any, ...] = _incorrect) -> Any:
    """The account's ``offset``+1-th newest wrong answer after ``since`` (None when there are fewer)
    matching ``only``. Rate-limited and late answers never count (``wrong``: for practice, late ones
    do — after the event every answer is late, and practice still has its limits). On the (account,
    date) index."""
    return (
        select(_sub.c.date)
        .where(_sub.c.account_id == bindparam("account_id"), _sub.c.date > bindparam("since"), *wrong, only)
        .order_by(_sub.c.date.desc())
        .limit(1)
        .offset(bindparam(offset))
        .scalar_subquery()
    )


def _limits_statement(wrong: tuple[Any, ...]) -> Any:
    return select(
        _nth_wrong(_sub.c.user_id == bindparam("user_id"), "user_offset", wrong).label("user_nth"),
        _nth_wrong(_sub.c.challenge_id == bindparam("challenge_id"), "team_offset", wrong).label("team_nth"),
        _nth_wrong(true(), "account_offset", wrong).label("account_nth"),
        select(func.count())
        .where(
            _sub.c.challenge_id == bindparam("challenge_id"),
            _sub.c.account_id == bindparam("account_id"),
            *_incorrect,
        )
        .scalar_subquery()
        .label("counted"),
        exists()
        .where(
            _solve.c.challenge_id == bindparam("challenge_id"), _solve.c.account_id == bindparam("account_id")
        )
        .label("solved"),
    )


_LIMITS = _limits_statement(_incorrect)
# Practice answers (kizuna.services.practice): wrong answers count late or not.
_LIMITS_PRACTICE = _limits_statement((_sub.c.type == "incorrect",))

_FACTS = (
    select(
        _event.c.name,
        _event.c.mode,
        _event.c.start_at,
        _event.c.end_at,
        _event.c.freeze_at,
        _event.c.paused,
        _event.c.email_verification,
        _user.c.id.label("user_id"),
        _user.c.role,
        _user.c.team_id,
        _user.c.banned.label("user_banned"),
        _user.c.email_verified_at,
        _team.c.banned.label("team_banned"),
        _challenge.c.id.label("challenge_id"),
        _challenge.c.type.label("challenge_type"),
        _challenge.c.state,
        _challenge.c.requirements,
        _challenge.c.max_attempts,
        _challenge.c.logic,
        _challenge.c.release_at,
        _challenge.c.close_at,
        _challenge.c.practice,
        exists()
        .where(_solve.c.challenge_id == _challenge.c.id, _solve.c.account_id == _account)
        .label("solved"),
        _flag.c.id.label("flag_id"),
        _flag.c.type.label("flag_type"),
        _flag.c.content.label("flag_content"),
        _flag.c.data.label("flag_data"),
    )
    .select_from(
        _event.outerjoin(_user, _user.c.id == bindparam("user_id"))
        .outerjoin(_team, _team.c.id == _user.c.team_id)
        .outerjoin(_challenge, _challenge.c.id == bindparam("challenge_id"))
        .outerjoin(_flag, _flag.c.challenge_id == _challenge.c.id)
    )
    .where(_event.c.id == 1)
    .order_by(_flag.c.id)
)


@dataclass(frozen=True, slots=True)
class Window:
    """The rate limits' window: wrong answers after ``since``; ``user_limit`` a user's across
    challenges, ``team_limit`` an account's on one challenge, ``account_limit`` an account's across
    challenges (0: no limit; ``user_limit`` 0 turns them all off)."""

    since: datetime
    user_limit: int
    team_limit: int
    account_limit: int = 0


@dataclass(frozen=True, slots=True)
class Limits:
    """``user_nth``/``team_nth``/``account_nth``: the wrong answer whose leaving the window frees
    the user/the account on the challenge/the account on every challenge, None when under the limit;
    ``counted``: the account's wrong answers toward the challenge's maximum; ``solved``: whether the
    account has solved it."""

    user_nth: datetime | None
    team_nth: datetime | None
    counted: int
    solved: bool
    account_nth: datetime | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """The event's settings, the user (``user_id`` None: no such user), their team's ban, the
    challenge (``challenge_id`` None: no such challenge), whether the account solved it and the
    challenge's flags as (type, content, data)."""

    name: str
    mode: str
    start_at: datetime | None
    end_at: datetime | None
    freeze_at: datetime | None
    paused: bool
    email_verification: bool
    user_id: int | None
    role: str | None
    team_id: int | None
    user_banned: bool
    email_verified_at: datetime | None
    team_banned: bool
    challenge_id: int | None
    challenge_type: str | None
    state: str | None
    requirements: dict[str, Any] | None
    max_attempts: int
    logic: str
    release_at: datetime | None
    close_at: datetime | None
    solved: bool
    flags: list[tuple[str, str, str]]
    flag_ids: list[int]
    practice: bool = False


# On SQLite the attempt's own statements run on the driver's cursor (kizuna.storage.raw).
_RAW_FACTS = Raw(_FACTS)
_RAW_LIMITS = Raw(_LIMITS)
_RAW_LIMITS_PRACTICE = Raw(_LIMITS_PRACTICE)
_NO_LIMIT = 2**31 - 1


def facts(session: Session, user_id: int, challenge_id: int) -> Facts | None:
    """Everything an attempt checks before its limits, in one query (a row per flag); None when the
    event's row is missing (``repo.event`` makes it)."""
    params = {"user_id": user_id, "challenge_id": challenge_id}
    rows = (
        _RAW_FACTS.rows(session, params)
        if on_sqlite(session)
        else session.connection().execute(_FACTS, params).all()
    )
    if not rows:
        return None
    row = rows[0]
    return Facts(
        name=row.name or "",
        mode=row.mode,
        start_at=row.start_at,
        end_at=row.end_at,
        freeze_at=row.freeze_at,
        paused=bool(row.paused),
        email_verification=bool(row.email_verification),
        user_id=row.user_id,
        role=row.role,
        team_id=row.team_id,
        user_banned=bool(row.user_banned),
        email_verified_at=row.email_verified_at,
        team_banned=bool(row.team_banned),
        challenge_id=row.challenge_id,
        challenge_type=row.challenge_type,
        state=row.state,
        requirements=row.requirements,
        max_attempts=row.max_attempts or 0,
        logic=row.logic or "any",
        release_at=row.release_at,
        close_at=row.close_at,
        solved=bool(row.solved),
        flags=[(r.flag_type, r.flag_content, r.flag_data) for r in rows if r.flag_type is not None],
        flag_ids=[r.flag_id for r in rows if r.flag_type is not None],
        practice=bool(row.practice),
    )


def limits(
    session: Session,
    account_id: int,
    user_id: int,
    challenge_id: int,
    window: Window,
    practice: bool = False,
) -> Limits:
    """The rate limits, the count toward a maximum and whether solved, in one query: under the
    account's lock (``lock_account``; SQLite: the write transaction) they are exact. ``practice``:
    late wrong answers count toward the rate limits too (practice after the event)."""
    params = {
        "account_id": account_id,
        "user_id": user_id,
        "challenge_id": challenge_id,
        "since": window.since,
        "user_offset": max(window.user_limit - 1, 0),
        "team_offset": max(window.team_limit - 1, 0),
        # No account limit: an offset no window reaches (the subquery then finds nothing at once,
        # walking the index from the newest).
        "account_offset": window.account_limit - 1 if window.account_limit > 0 else _NO_LIMIT,
    }
    if on_sqlite(session):
        (row,) = (_RAW_LIMITS_PRACTICE if practice else _RAW_LIMITS).rows(session, params)
    else:
        row = session.connection().execute(_LIMITS_PRACTICE if practice else _LIMITS, params).one()
    return Limits(row.user_nth, row.team_nth, int(row.counted or 0), bool(row.solved), row.account_nth)


SOLVED_IDS = select(_solve.c.challenge_id).where(_solve.c.account_id == bindparam("account_id"))


def solved_ids(session: Session, account_id: int) -> set[int]:
    return set(session.connection().execute(SOLVED_IDS, {"account_id": account_id}).scalars())


HAS_SOLVED = select(_solve.c.id).where(
    _solve.c.challenge_id == bindparam("challenge_id"), _solve.c.account_id == bindparam("account_id")
)


def has_solved(session: Session, challenge_id: int, account_id: int) -> bool:
    params = {"challenge_id": challenge_id, "account_id": account_id}
    return session.connection().execute(HAS_SOLVED, params).first() is not None


COUNTED = select(func.count()).where(
    _sub.c.challenge_id == bindparam("challenge_id"),
    _sub.c.account_id == bindparam("account_id"),
    *_incorrect,
)


def counted_attempts(session: Session, challenge_id: int, account_id: int) -> int:
    """Wrong answers that count toward a challenge's maximum (late ones never do)."""
    params = {"challenge_id": challenge_id, "account_id": account_id}
    return int(session.connection().execute(COUNTED, params).scalar() or 0)


LOCK = {
    mode: select(table.c.id).where(table.c.id == bindparam("account_id")).with_for_update(key_share=True)
    for mode, table in (("teams", _team), ("users", _user))
}


def lock_account(session: Session, mode: str, account_id: int) -> None:
    """``repo.lock_account``, prebuilt: the account's row, FOR NO KEY UPDATE on PostgreSQL; nothing
    on SQLite, whose write transaction already holds the database's lock."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        conn.execute(LOCK["teams" if mode == "teams" else "users"], {"account_id": account_id})


_INSERT_SUBMISSION = insert(_sub).values(
    challenge_id=bindparam("challenge_id"),
    user_id=bindparam("user_id"),
    team_id=bindparam("team_id"),
    account_id=bindparam("account_id"),
    ip=bindparam("ip"),
    provided=bindparam("provided"),
    type=bindparam("type"),
    late=bindparam("late"),
    date=bindparam("date"),
    flag_id=bindparam("flag_id"),
)


_RAW_INSERT_SUBMISSION = Raw(_INSERT_SUBMISSION)


def insert_submission(
    session: Session,
    *,
    challenge_id: int,
    user_id: int,
    team_id: int | None,
    account_id: int,
    ip: str,
    provided: str,
    type: str,
    late: bool,
    date: datetime,
    flag_id: int | None = None,
) -> int:
    """Record an attempt; returns its id. The caller bounds ``ip`` and ``provided``; ``flag_id`` is
    the flag a correct or partial answer matched."""
    values = {
        "challenge_id": challenge_id,
        "user_id": user_id,
        "team_id": team_id,
        "account_id": account_id,
        "ip": ip,
        "provided": provided,
        "type": type,
        "late": late,
        "date": date,
        "flag_id": flag_id,
    }
    if on_sqlite(session):
        return _RAW_INSERT_SUBMISSION.insert(session, values)
    key = session.connection().execute(_INSERT_SUBMISSION, values).inserted_primary_key
    assert key is not None
    return int(key[0])


_RETYPE = update(_sub).where(_sub.c.id == bindparam("submission_id")).values(type=bindparam("type"))


def retype_submission(session: Session, submission_id: int, type: str) -> None:
    session.connection().execute(_RETYPE, {"submission_id": submission_id, "type": type})


def _insert_solve(dialect: Any) -> Any:
    values: dict[str, Any] = {
        name: bindparam(name)
        for name in ("submission_id", "challenge_id", "user_id", "team_id", "account_id", "date", "value")
    }
    return (
        dialect.insert(_solve)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[_solve.c.challenge_id, _solve.c.account_id])
    )


# PostgreSQL: RETURNING says whether a row went in (SQLAlchemy adds RETURNING to an insert there,
# and then the driver's rowcount says nothing). SQLite: the rowcount does.
_INSERT_SOLVE = {
    "sqlite": _insert_solve(sqlite),
    "postgresql": _insert_solve(postgresql).returning(_solve.c.id),
}


def insert_solve(
    session: Session,
    *,
    submission_id: int,
    challenge_id: int,
    user_id: int,
    team_id: int | None,
    account_id: int,
    date: datetime,
    value: int | None = None,
) -> bool:
    """Record a solve unless the account has one for this challenge; whether it was recorded. The
    unique key on (challenge, account) decides, with no savepoint: on PostgreSQL an insert of the
    same pair by a concurrent transaction is waited for, and this one then does nothing if that
    one committed."""
    conn = session.connection()
    params = {
        "submission_id": submission_id,
        "challenge_id": challenge_id,
        "user_id": user_id,
        "team_id": team_id,
        "account_id": account_id,
        "date": date,
        "value": value,
    }
    if conn.dialect.name == "postgresql":
        return conn.execute(_INSERT_SOLVE["postgresql"], params).first() is not None
    return conn.execute(_INSERT_SOLVE["sqlite"], params).rowcount == 1


_PROGRESS = select(_sub.c.flag_id, _sub.c.user_id).where(
    _sub.c.challenge_id == bindparam("challenge_id"),
    _sub.c.account_id == bindparam("account_id"),
    _sub.c.type.in_(("partial", "correct")),
    _sub.c.late.is_(false()),
)
_MEMBERS = select(_user.c.id).where(_user.c.team_id == bindparam("team_id"), _user.c.banned.is_(false()))


def logic_progress(session: Session, challenge_id: int, account_id: int) -> tuple[set[int], set[int]]:
    """For a challenge whose logic is ``all`` or ``team``: the flags the account's right answers have
    matched so far, and the users who sent them (read under the account's lock: exact)."""
    params = {"challenge_id": challenge_id, "account_id": account_id}
    rows = session.connection().execute(_PROGRESS, params).all()
    return {f for f, _u in rows if f is not None}, {u for _f, u in rows}


def team_members(session: Session, team_id: int) -> set[int]:
    """The team's members who may play (not banned): those a ``team`` logic waits for."""
    return set(session.connection().execute(_MEMBERS, {"team_id": team_id}).scalars())


# A join, not ``account_id IN (SELECT id FROM teams WHERE …)``: SQLite builds that list from every
# account on each call (5,000 teams: 1.6 ms, inside the write lock of every solve); the join looks up
# only the challenge's solvers (85 µs).
SOLVE_COUNT = {
    mode: select(func.count())
    .select_from(_solve.join(table, table.c.id == _solve.c.account_id))
    .where(
        _solve.c.challenge_id == bindparam("challenge_id"),
        table.c.hidden.is_(false()),
        table.c.banned.is_(false()),
    )
    for mode, table in (("teams", _team), ("users", _user))
}


def solve_count(session: Session, mode: str, challenge_id: int) -> int:
    """``repo.solve_count`` when the event's mode is known: solves by accounts neither hidden nor
    banned."""
    stmt = SOLVE_COUNT["teams" if mode == "teams" else "users"]
    return int(session.connection().execute(stmt, {"challenge_id": challenge_id}).scalar() or 0)


__all__ = [
    "COUNTED",
    "HAS_SOLVED",
    "LOCK",
    "SOLVED_IDS",
    "SOLVE_COUNT",
    "Facts",
    "Limits",
    "Window",
    "counted_attempts",
    "facts",
    "has_solved",
    "insert_solve",
    "insert_submission",
    "limits",
    "lock_account",
    "logic_progress",
    "retype_submission",
    "solve_count",
    "solved_ids",
    "team_members",
]
