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
