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

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from kizuna.domain.countries import validate_country
from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.names import validate_display_text
from kizuna.domain.ranking import Ranked, Standing, rank
from kizuna.services.context import Context
from kizuna.storage import bracket_queries as bq
from kizuna.storage import scoreboard_queries as q


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    score: int
    bracket_id: int | None = None
    bracket_name: str | None = None


@dataclass(frozen=True)
class Row:
    pos: int
    account_id: int
    name: str
    score: int
    last_scored_at: datetime | None
    members: list[Member] = field(default_factory=list)
    bracket_id: int | None = None
    bracket_name: str | None = None
    country: str = ""
    affiliation: str = ""


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
        attributes = bq.account_attributes(s, mode)
        bracket_names = bq.bracket_names(s)
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
            user_brackets = bq.user_brackets(s)
            for uid, name, team_id in q.team_members(s):
                bracket = user_brackets.get(uid)
                members.setdefault(team_id, []).append(
                    Member(uid, name, user_scores.get(uid, 0), bracket, bracket_names.get(bracket or 0))
                )
    entries = []
    for account_id, name in accounts.items():
        solved, solved_at = solve_totals.get(account_id, (0, None))
        awarded, awarded_at = award_totals.get(account_id, (0, None))
        times = [d for d in (solved_at, awarded_at) if d is not None]
        score = int(solved) + int(awarded) + bonus_totals.get(account_id, 0)
        entries.append(Standing(account_id, name, score, max(times) if times else None))
    ranked: list[Ranked] = rank(entries)
    rows = []
    for r in ranked:
        found = attributes.get(r.standing.account_id)
        bracket = found.bracket_id if found else None
        rows.append(
            Row(
                r.pos,
                r.standing.account_id,
                r.standing.name,
                r.standing.score,
                r.standing.last_scored_at,
                members.get(r.standing.account_id, []),
                bracket,
                bracket_names.get(bracket or 0),
                found.country if found else "",
                found.affiliation if found else "",
            )
        )
    return Board(mode, rows)


# --- boards of one bracket, country or affiliation -------------------------------------------------

MAX_AFFILIATION = 128


def affiliation_key(text: str) -> str:
    """Affiliations are compared as people read them: NFKC (full-width letters as ASCII), case
    folded, spaces at the ends ignored — so ｋｅｉｏ and Keio are one affiliation."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


@dataclass(frozen=True)
class BoardFilter:
    """Which accounts a board shows: those in ``bracket_id``, from ``country`` (an ISO 3166-1
    alpha-2 code) and of ``affiliation``, all that are given (None or "" = any)."""

    bracket_id: int | None = None
    country: str = ""
    affiliation: str = ""

    @property
    def empty(self) -> bool:
        return self.bracket_id is None and not self.country and not self.affiliation

    @property
    def key(self) -> str:
        return f"{self.bracket_id or ''}|{self.country}|{affiliation_key(self.affiliation)}"

    def params(self) -> dict[str, str]:
        """The filter as the query parameters that ask for it (only those given)."""
        given = {
            "bracket_id": str(self.bracket_id or ""),
            "country": self.country,
            "affiliation": self.affiliation,
        }
        return {k: v for k, v in given.items() if v}

    def fields(self) -> list[str]:
        return list(self.params())

    def keeps(self, row: Mapping[str, Any]) -> bool:
        if self.bracket_id is not None and row.get("bracket_id") != self.bracket_id:
            return False
        if self.country and row.get("country") != self.country:
            return False
        return not self.affiliation or affiliation_key(str(row.get("affiliation") or "")) == affiliation_key(
            self.affiliation
        )


def filtered(rows: list[dict[str, Any]], which: BoardFilter) -> list[dict[str, Any]]:
    """The rows ``which`` keeps, ranked again from 1 within the filter. The full board's order is
    already the tie-break's (``domain.ranking``), so keeping it keeps the tie-break: the "Japan"
    board's first place is the best-placed Japanese account, rank 1."""
    if which.empty:
        return rows
    return [{**row, "pos": i} for i, row in enumerate((r for r in rows if which.keeps(r)), start=1)]


def board_of(board: Board, which: BoardFilter) -> Board:
    """``board`` as ``which`` sees it: the rows it keeps, ranked again from 1 in the same order (the
    board's tie-break), as :func:`filtered` does for a snapshot's rows."""
    if which.empty:
        return board
    kept = [
        r
        for r in board.rows
        if which.keeps({"bracket_id": r.bracket_id, "country": r.country, "affiliation": r.affiliation})
    ]
    return Board(board.mode, [replace(r, pos=i) for i, r in enumerate(kept, start=1)])


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


def parse_filter(bracket_id: str | None, country: str | None, affiliation: str | None) -> BoardFilter:
    """A board filter from query parameters. A bracket id that is not a number, a country that is not
    an ISO 3166-1 alpha-2 code, or an affiliation too long or with control characters is refused
    (400, ``VALUE_INVALID`` / ``COUNTRY_INVALID`` / ``TEXT_CONTROL_CHARACTER``); a well-formed
    bracket id that names no bracket gives an empty board, as CTFd's ``?bracket_id=`` does."""
    bracket: int | None = None
    text = (bracket_id or "").strip()
    if text:
        if not (text.isascii() and text.isdigit()) or len(text) > 9:
            raise DomainError(ErrorCode.VALUE_INVALID, field="bracket_id")
        bracket = int(text)
    affiliation = (affiliation or "").strip()
    if len(affiliation) > MAX_AFFILIATION:
        raise DomainError(ErrorCode.VALUE_INVALID, field="affiliation")
    return BoardFilter(
        bracket,
        validate_country(validate_display_text(country or "", "country")),
        validate_display_text(affiliation, "affiliation"),
    )
