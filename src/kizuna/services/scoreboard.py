"""Standings: who has how many points, and in what order.

An account's score is the sum of the *current* values of the challenges it solved plus its awards
(positive or negative; unlocked hints are negative awards), plus, when the event gives one, the
first-blood bonus of its solves that were among the first three of their challenge
(``scoreboard_queries.bonus_solves``: ranked accounts, scoring challenges, by date then solve
id). Ordering and tie-breaks are the domain's (``kizuna.domain.ranking``). Hidden and banned
accounts are not ranked. With a ``cutoff`` (the scoreboard freeze) only solves and awards before it
count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kizuna.domain.ranking import Ranked, Standing, rank
from kizuna.services.context import Context
from kizuna.storage import scoreboard_queries as q


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    score: int


@dataclass(frozen=True)
class Row:
    pos: int
    account_id: int
    name: str
    score: int
    last_scored_at: datetime | None
    members: list[Member] = field(default_factory=list)


@dataclass(frozen=True)
class ScoreEvent:
    challenge_id: int | None
    account_id: int
    user_id: int | None
    team_id: int | None
    value: int
    date: datetime


@dataclass(frozen=True)
class Board:
    mode: str
    rows: list[Row]


def standings(ctx: Context, cutoff: datetime | None = None) -> Board:
    now = ctx.now()
    with ctx.db.read() as s:
        mode = q.mode(s)
        accounts = q.ranked_accounts(s, mode)
        solve_totals = q.solve_totals(s, cutoff, now)
        award_totals = q.award_totals(s, cutoff)
        # The optional first-blood bonus (off by default): points for the first three solves.
        bonus = q.bonus_setting(s)
        blood = q.bonus_solves(s, mode, bonus, cutoff, now)
        bonus_totals: dict[int, int] = {}
        for _challenge, account, _user, points, _date in blood:
            bonus_totals[account] = bonus_totals.get(account, 0) + points
        members: dict[int, list[Member]] = {}
        if mode == "teams":
            user_scores = q.user_scores(s, cutoff, now)
            for _challenge, _account, user, points, _date in blood:
                user_scores[user] = user_scores.get(user, 0) + points
            for uid, name, team_id in q.team_members(s):
                members.setdefault(team_id, []).append(Member(uid, name, user_scores.get(uid, 0)))
    entries = []
    for account_id, name in accounts.items():
        solved, solved_at = solve_totals.get(account_id, (0, None))
        awarded, awarded_at = award_totals.get(account_id, (0, None))
        times = [d for d in (solved_at, awarded_at) if d is not None]
        score = int(solved) + int(awarded) + bonus_totals.get(account_id, 0)
        entries.append(Standing(account_id, name, score, max(times) if times else None))
    ranked: list[Ranked] = rank(entries)
    rows = [
        Row(
            r.pos,
            r.standing.account_id,
            r.standing.name,
            r.standing.score,
            r.standing.last_scored_at,
            members.get(r.standing.account_id, []),
        )
        for r in ranked
    ]
    return Board(mode, rows)


def score_events(
    ctx: Context, account_ids: list[int], cutoff: datetime | None = None
) -> dict[int, list[ScoreEvent]]:
    """Every solve and award of these accounts in time order: the data behind the score graph."""
    out: dict[int, list[ScoreEvent]] = {a: [] for a in account_ids}
    if not account_ids:
        return out
    now = ctx.now()
    with ctx.db.read() as s:
        # A solve that earned a first-blood bonus counts its bonus too, so the graph ends at the score.
        blood = {
            (challenge, account): points
            for challenge, account, _user, points, _date in q.bonus_solves(
                s, q.mode(s), q.bonus_setting(s), cutoff, now
            )
        }
        for row in q.scoring_events(s, account_ids, cutoff, now):
            extra = blood.get((row["challenge_id"], row["account_id"]), 0) if row["challenge_id"] else 0
            out[row["account_id"]].append(ScoreEvent(**{**row, "value": row["value"] + extra}))
    for events in out.values():
        events.sort(key=lambda e: e.date)
    return out


def account_summary(ctx: Context, account_id: int) -> dict[str, Any]:
    """Live score and place of one account (its own view ignores the freeze)."""
    board = standings(ctx, None)
    for row in board.rows:
        if row.account_id == account_id:
            return {"score": row.score, "pos": row.pos}
    with ctx.db.read() as s:
        score = q.account_score(s, account_id)
    return {"score": score, "pos": None}
