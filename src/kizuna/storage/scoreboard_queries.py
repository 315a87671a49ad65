"""Aggregate queries behind the scoreboard: a handful of GROUP BYs, never a scan per request
(their results are cached in snapshots until something scores).

Only solves of visible challenges score, as on CTFd: a hidden challenge's points (and, in the graph's
data, its id) are on no board, so the scoreboard never tells that a hidden challenge exists or that
someone solved it. Hiding or showing a challenge bumps the scoreboard revision, so boards follow.
Members listed under a team are the ones the public may see: hidden and banned users are left out
(their solves still count for the team: they were scored for it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from kizuna.domain.scoring import bonus_for
from kizuna.storage import repo
from kizuna.storage import tables as t


def mode(s: Session) -> str:
    return repo.event(s).mode


def ranked_accounts(s: Session, mode: str) -> dict[int, str]:
    table: Any = t.Team if mode == "teams" else t.User
    stmt = select(table.id, table.name).where(table.hidden.is_(False), table.banned.is_(False))
    if mode == "users":
        stmt = stmt.where(t.User.role == "player")  # staff roles do not score
    return {i: n for i, n in s.execute(stmt)}


# Solves of challenges in this state score; others (hidden) are on no board.
SCORING_STATE = "visible"

# What a solve scores: a judge's partial award when it has one, else the challenge's current value.
SOLVE_POINTS = func.coalesce(t.Solve.value, t.Challenge.value)


def scoring(now: datetime | None) -> Any:
    """SQL: the challenge's solves score: in ``SCORING_STATE``, released by ``now`` (naive UTC;
    before its release time a challenge is as if hidden) and not a practice challenge (played for
    learning, on no board; its correct flags go to ``practice_solves`` anyway)."""
    return and_(
        t.Challenge.state == SCORING_STATE,
        t.Challenge.practice.is_(False),
        repo.released(now or t.utcnow()),
    )


def solve_totals(
    s: Session, cutoff: datetime | None, now: datetime | None = None
) -> dict[int, tuple[int, datetime | None]]:
    stmt = (
        select(t.Solve.account_id, func.sum(SOLVE_POINTS), func.max(t.Solve.date))
        .join(t.Challenge, t.Challenge.id == t.Solve.challenge_id)
        .where(scoring(now))
        .group_by(t.Solve.account_id)
    )
    if cutoff is not None:
        stmt = stmt.where(t.Solve.date < cutoff)
    return {a: (int(v or 0), d) for a, v, d in s.execute(stmt)}


def award_totals(s: Session, cutoff: datetime | None) -> dict[int, tuple[int, datetime | None]]:
    stmt = select(t.Award.account_id, func.sum(t.Award.value), func.max(t.Award.date)).group_by(
        t.Award.account_id
    )
    if cutoff is not None:
        stmt = stmt.where(t.Award.date < cutoff)
    return {a: (int(v or 0), d) for a, v, d in s.execute(stmt)}


def user_scores(s: Session, cutoff: datetime | None, now: datetime | None = None) -> dict[int, int]:
    solves = (
        select(t.Solve.user_id, func.sum(SOLVE_POINTS))
        .join(t.Challenge, t.Challenge.id == t.Solve.challenge_id)
        .where(scoring(now))
        .group_by(t.Solve.user_id)
    )
    awards = select(t.Award.user_id, func.sum(t.Award.value)).group_by(t.Award.user_id)
    if cutoff is not None:
        solves = solves.where(t.Solve.date < cutoff)
        awards = awards.where(t.Award.date < cutoff)
    out: dict[int, int] = {}
    for uid, v in s.execute(solves):
        out[uid] = out.get(uid, 0) + int(v or 0)
    for award_uid, v in s.execute(awards):
        if award_uid is not None:
            out[award_uid] = out.get(award_uid, 0) + int(v or 0)
    return out


def team_members(s: Session) -> list[tuple[int, str, int]]:
    """(user id, name, team id) of every team member the public may see: neither hidden nor banned."""
    stmt = (
        select(t.User.id, t.User.name, t.User.team_id)
        .where(t.User.team_id.is_not(None), t.User.hidden.is_(False), t.User.banned.is_(False))
        .order_by(t.User.id)
    )
    return [(i, n, tid) for i, n, tid in s.execute(stmt) if tid is not None]


def scoring_events(
    s: Session, account_ids: list[int], cutoff: datetime | None, now: datetime | None = None
) -> list[dict[str, Any]]:
    solves = (
        select(
            t.Solve.challenge_id,
            t.Solve.account_id,
            t.Solve.user_id,
            t.Solve.team_id,
            SOLVE_POINTS,
            t.Solve.date,
        )
        .join(t.Challenge, t.Challenge.id == t.Solve.challenge_id)
        .where(t.Solve.account_id.in_(account_ids), scoring(now))
    )
    awards = select(t.Award.account_id, t.Award.user_id, t.Award.team_id, t.Award.value, t.Award.date).where(
        t.Award.account_id.in_(account_ids)
    )
    if cutoff is not None:
        solves = solves.where(t.Solve.date < cutoff)
        awards = awards.where(t.Award.date < cutoff)
    rows: list[dict[str, Any]] = [
        {"challenge_id": c, "account_id": a, "user_id": u, "team_id": tm, "value": int(v), "date": d}
        for c, a, u, tm, v, d in s.execute(solves)
    ]
    rows += [
        {"challenge_id": None, "account_id": a, "user_id": u, "team_id": tm, "value": int(v), "date": d}
        for a, u, tm, v, d in s.execute(awards)
    ]
    return rows


def account_score(s: Session, account_id: int, now: datetime | None = None) -> int:
    """One account's live score, as the scoreboard counts it (its first-blood bonus included)."""
    score = repo.account_score(s, account_id, now)
    bonus = bonus_setting(s)
    if bonus:
        blood = bonus_solves(s, mode(s), bonus, None, now)
        score += sum(points for _c, account, _u, points, _d in blood if account == account_id)
    return score


# --- the first-blood bonus (an event setting; off by default) ---------------------------------------


def bonus_setting(s: Session) -> tuple[int, ...] | None:
    """The event's first-blood bonus (points for the 1st, 2nd and 3rd solve), None when off."""
    stored = repo.event(s).first_blood_bonus
    return tuple(int(v) for v in stored) if stored else None


def bonus_solves(
    s: Session, mode: str, bonus: tuple[int, ...] | None, cutoff: datetime | None, now: datetime | None = None
) -> list[tuple[int, int, int, int, datetime]]:
    """(challenge, account, user, points, date) of each solve that earns a first-blood bonus: the
    first ``len(bonus)`` scoring solves of each challenge — by ranked accounts, of challenges that
    score — in order of date, then solve id; with a ``cutoff``, only solves before it (the ranks are
    the same: earlier solves come first). One query with a window function, run only when the bonus
    is on, when the scoreboard's snapshot is rebuilt."""
    if not bonus:
        return []
    ranked: Any = select(t.Team.id) if mode == "teams" else select(t.User.id).where(t.User.role == "player")
    table: Any = t.Team if mode == "teams" else t.User
    ranked = ranked.where(table.hidden.is_(False), table.banned.is_(False))
    rank = func.row_number().over(partition_by=t.Solve.challenge_id, order_by=(t.Solve.date, t.Solve.id))
    ordered = (
        select(t.Solve.challenge_id, t.Solve.account_id, t.Solve.user_id, t.Solve.date, rank.label("rank"))
        .join(t.Challenge, t.Challenge.id == t.Solve.challenge_id)
        .where(scoring(now), t.Solve.account_id.in_(ranked))
    )
    if cutoff is not None:
        ordered = ordered.where(t.Solve.date < cutoff)
    sub = ordered.subquery()
    stmt = select(sub.c.challenge_id, sub.c.account_id, sub.c.user_id, sub.c.rank, sub.c.date).where(
        sub.c.rank <= len(bonus)
    )
    out = []
    for challenge_id, account_id, user_id, place, date in s.execute(stmt):
        points = bonus_for(bonus, int(place))
        if points:
            out.append((int(challenge_id), int(account_id), int(user_id), points, date))
    return out


def solved_pairs(s: Session, cutoff: datetime | None, now: datetime | None = None) -> list[tuple[int, int]]:
    """(account, challenge) of every scoring solve (before ``cutoff``): the solve matrix's cells."""
    stmt = (
        select(t.Solve.account_id, t.Solve.challenge_id)
        .join(t.Challenge, t.Challenge.id == t.Solve.challenge_id)
        .where(scoring(now))
        .order_by(t.Solve.account_id, t.Solve.challenge_id)
    )
    if cutoff is not None:
        stmt = stmt.where(t.Solve.date < cutoff)
    return [(int(a), int(c)) for a, c in s.execute(stmt)]
