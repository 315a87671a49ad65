"""Challenge values.

Dynamic challenges lose value as they are solved, with the same formulas as CTFd so imported
challenges score identically. ``solve_count`` counts solves by accounts that are neither hidden nor
banned, *including* the solve just made; the first solver still sees ``initial``.

* ``linear``: ``ceil(initial - decay * n)`` where ``n = solves - 1``; ``decay`` is points lost per solve.
* ``logarithmic`` (a parabola, despite the name): ``ceil(initial + (minimum - initial) * n**2 / decay**2)``;
  ``decay`` is the number of solves after the first at which the value reaches ``minimum``.
  A ``decay`` of 0 is treated as 1.

Both are floored at ``minimum``. Scores are retroactive: every solver of a challenge scores its
*current* value, as on CTFd.
"""

from __future__ import annotations

import math
from enum import StrEnum


class DecayFunction(StrEnum):
    STATIC = "static"
    LINEAR = "linear"
    LOGARITHMIC = "logarithmic"


def dynamic_value(function: str, initial: int, minimum: int, decay: float, solve_count: int) -> int:
    """The value of a dynamic challenge that has ``solve_count`` solves."""
    n = max(solve_count - 1, 0)
    fn = DecayFunction(function)
    if fn is DecayFunction.STATIC:
        return initial
    if fn is DecayFunction.LINEAR:
        value = math.ceil(initial - decay * n)
    else:
        d = decay or 1
        value = math.ceil(initial + (minimum - initial) * (n * n) / (d * d))
    return max(value, minimum)


# --- first-blood bonus ----------------------------------------------------------------------------

BONUS_RANKS = 3  # the bonus goes to the first, second and third scoring solve of a challenge
MAX_BONUS = 100_000


def first_blood_bonus(raw: object) -> tuple[int, ...] | None:
    """An event's first-blood bonus setting, checked: points for the 1st, 2nd and 3rd solve of each
    challenge, as a tuple of three non-negative integers (fewer given are padded with 0); None (off)
    for None, an empty list or all zeros. Raises ValueError for anything else."""
    if raw is None:
        return None
    if not isinstance(raw, list | tuple) or len(raw) > BONUS_RANKS:
        raise ValueError("first_blood_bonus")
    values = []
    for item in raw:
        if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item <= MAX_BONUS:
            raise ValueError("first_blood_bonus")
        values.append(item)
    values += [0] * (BONUS_RANKS - len(values))
    return tuple(values) if any(values) else None


def bonus_for(bonus: tuple[int, ...] | list[int] | None, rank: int) -> int:
    """The bonus of the ``rank``-th (from 1) scoring solve of a challenge."""
    if not bonus or not 1 <= rank <= len(bonus):
        return 0
    return int(bonus[rank - 1])
