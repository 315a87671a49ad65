"""The skill profile (スキルプロファイル): per category, what a player has solved, weighted by difficulty.

Difficulty is read from what the organisers already set — a challenge's points — because a CTF
prices its challenges by how hard they are. A dynamic challenge's points fall as others solve it, so
its *initial* value is used (its price before anyone solved it), never the decayed one: a hard
challenge that many solved later stays hard. The points are put into five bands:

======  ===================  =======
band    points               weight
======  ===================  =======
1       up to 100            1
2       101–200              2
3       201–300              3
4       301–500              4
5       more than 500        5
======  ===================  =======

A player's score in a category is the sum of the weights of the distinct challenges they solved
themselves — at the event (``solves.user_id``, not their teammates' solves) or as practice
(``practice_solves``); a challenge solved both ways counts once. Its *share* is that score over the
weights of every challenge of the category the reader may see, between 0 and 1: how much of what
the category offers the player has done. The chart draws the shares; the table beside it gives the
scores and counts too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Upper bounds of bands 1-4 (points); anything above the last is band 5.
BAND_LIMITS: tuple[int, ...] = (100, 200, 300, 500)
MAX_BAND = len(BAND_LIMITS) + 1


def challenge_points(kind: str, value: int | None, initial: int | None) -> int:
    """The points that price a challenge: a dynamic challenge's initial value, else its value."""
    if kind == "dynamic" and initial is not None:
        return max(0, int(initial))
    return max(0, int(value or 0))


def difficulty(points: int) -> int:
    """The band (1-5) of a challenge worth ``points``; a challenge of 0 points or less is band 1."""
    for band, limit in enumerate(BAND_LIMITS, start=1):
        if points <= limit:
            return band
    return MAX_BAND


@dataclass(frozen=True)
class PricedGroup:
    """Challenges of one category and price: how many there are (or, for a player, were solved)."""

    category: str
    kind: str
    value: int | None
    initial: int | None
    count: int

    @property
    def weight(self) -> int:
        return difficulty(challenge_points(self.kind, self.value, self.initial)) * self.count


@dataclass(frozen=True)
class SkillAxis:
    """One category of a profile: ``solved`` challenges weighing ``score``, out of ``available``
    (the category's whole weight); ``share`` is score / available, between 0 and 1."""

    category: str
    solved: int
    score: int
    available: int

    @property
    def share(self) -> float:
        if self.available <= 0:
            return 0.0
        return min(1.0, self.score / self.available)

    @property
    def percent(self) -> int:
        return round(self.share * 100)


def profile(solved: Iterable[PricedGroup], offered: Iterable[PricedGroup]) -> list[SkillAxis]:
    """The axes of a profile: one per category ``offered`` (what the reader may see), in name order,
    with the player's ``solved`` groups summed into it. A solved group of a category not offered is
    left out (it is not the reader's to know of)."""
    available: dict[str, int] = {}
    for group in offered:
        if group.category:
            available[group.category] = available.get(group.category, 0) + group.weight
    scores: dict[str, int] = {}
    counts: dict[str, int] = {}
    for group in solved:
        if group.category in available:
            scores[group.category] = scores.get(group.category, 0) + group.weight
            counts[group.category] = counts.get(group.category, 0) + group.count
    return [
        SkillAxis(name, counts.get(name, 0), scores.get(name, 0), available[name])
        for name in sorted(available, key=lambda n: (n.casefold(), n))
    ]


def totals(axes: Iterable[SkillAxis]) -> Mapping[str, int]:
    """The whole profile in two numbers: challenges solved and their weight."""
    solved = score = 0
    for axis in axes:
        solved += axis.solved
        score += axis.score
    return {"solved": solved, "score": score}
