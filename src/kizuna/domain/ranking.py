"""Ranking of accounts on the scoreboard.

Accounts are ordered by score, highest first. Ties are broken by *when the account reached that score*:
the earlier time of its last scoring event (a solve or an award) ranks higher, because that team got
there first. Accounts still tied (same score, same instant) are ordered by id, which is registration
order, so the order is total and stable. Accounts with no scoring event at all rank after everyone
with one at the same score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Standing:
    account_id: int
    name: str
    score: int
    last_scored_at: datetime | None


@dataclass(frozen=True)
class Ranked:
    pos: int
    standing: Standing


def rank(standings: Iterable[Standing]) -> list[Ranked]:
    """Order standings by the tie-break rule above and number them from 1 (no shared positions)."""

    def key(s: Standing) -> tuple[int, int, float, int]:
        never = s.last_scored_at is None
        at = s.last_scored_at.timestamp() if s.last_scored_at is not None else 0.0
        return (-s.score, 1 if never else 0, at, s.account_id)

    return [Ranked(pos=i, standing=s) for i, s in enumerate(sorted(standings, key=key), start=1)]
