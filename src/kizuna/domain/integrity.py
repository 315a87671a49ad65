"""Integrity signals for judges: the pure rules (``services.integrity`` reads the data and stores
what these rules find). A signal is a reason to look, never a verdict: nothing here bans, hides or
changes a score, and players never see a signal.

Four kinds:

- ``shared_guess``: the same wrong answer to one challenge from different accounts (teams in team
  mode) within :attr:`Rules.guess_window` of each other. Answers shorter than
  :attr:`Rules.min_guess_length` (after the flag matcher's NFKC and trimming), answers made of one
  repeated character, and answers sent by more than :attr:`Rules.common_guess` accounts (a guess
  everyone tries: ``flag{test}``, ``admin``) are not signs of anything.
- ``other_flag``: a wrong answer equal to another challenge's static flag, compared as that flag's
  matcher compares (a sign of flag sharing, or of a copy-and-paste slip when the account solved the
  other challenge). Its evidence names the challenge, never the flag's text.
- ``shared_address``: accounts of different teams (users in individual mode) registering or logging
  in from one address.
- ``solve_burst``: an account solving a challenge within :attr:`Rules.burst_window` after another
  account's solve of it (the solve just before, and strictly after it), on at least
  :attr:`Rules.burst_count` challenges.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from kizuna.domain.flags import normalise_submission

KINDS = ("shared_guess", "other_flag", "shared_address", "solve_burst")


@dataclass(frozen=True)
class Rules:
    """The thresholds (settings ``KIZUNA_INTEGRITY_*``)."""

    guess_window: timedelta = timedelta(minutes=10)
    common_guess: int = 5
    min_guess_length: int = 6
    burst_window: timedelta = timedelta(seconds=60)
    burst_count: int = 3


def meaningful_guess(text: str, rules: Rules) -> bool:
    """Whether two accounts sending ``text`` could mean anything: long enough, not one character
    repeated."""
    clean = normalise_submission(text)
    return len(clean) >= rules.min_guess_length and len(set(clean.casefold())) > 1


def close_together(firsts: Iterable[tuple[int, datetime]], window: timedelta) -> list[tuple[int, datetime]]:
    """Of (account, first time it sent the guess), those within ``window`` of another account's
    time; empty when fewer than two accounts are. Sorted by time."""
    ordered = sorted(firsts, key=lambda item: (item[1], item[0]))
    keep: set[int] = set()
    for (a, when_a), (b, when_b) in pairwise(ordered):
        if a != b and when_b - when_a <= window:
            keep.update((a, b))
    return [item for item in ordered if item[0] in keep] if len(keep) >= 2 else []


@dataclass(frozen=True)
class Follow:
    challenge_id: int
    leader_at: datetime
    follower_at: datetime

    @property
    def seconds(self) -> int:
        return int((self.follower_at - self.leader_at).total_seconds())


def followers(
    solves: Iterable[tuple[int, int, datetime]], rules: Rules
) -> dict[tuple[int, int], list[Follow]]:
    """(leader, follower) -> the challenges the follower solved within the burst window after the
    leader's solve, the leader's being the solve just before; only pairs with at least
    ``burst_count`` challenges. ``solves`` are (challenge, account, time)."""
    by_challenge: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for challenge_id, account, when in solves:
        by_challenge[challenge_id].append((when, account))
    pairs: dict[tuple[int, int], list[Follow]] = defaultdict(list)
    for challenge_id, rows in by_challenge.items():
        rows.sort()
        for (lead_at, leader), (follow_at, follower) in pairwise(rows):
            # Strictly after: two solves stored with the same second say nothing about who followed.
            if leader != follower and timedelta(0) < follow_at - lead_at <= rules.burst_window:
                pairs[(leader, follower)].append(Follow(challenge_id, lead_at, follow_at))
    return {
        pair: sorted(found, key=lambda f: f.follower_at)
        for pair, found in pairs.items()
        if len({f.challenge_id for f in found}) >= rules.burst_count
    }


def digest(*parts: object) -> str:
    """A short stable digest of ``parts`` for a signal's key (a guess's text never goes into a key
    or a subject as it is)."""
    text = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


__all__ = ["KINDS", "Follow", "Rules", "close_together", "digest", "followers", "meaningful_guess"]
