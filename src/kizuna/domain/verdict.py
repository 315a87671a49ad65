"""What a challenge type says about an answer: a verdict, not a yes/no.

``correct``: the answer solves the challenge (``flag``: which of the challenge's flags it matched,
by position, when the type knows; challenges whose ``logic`` is ``all`` or ``team`` need it).
``incorrect``: it does not. ``pending``: a person decides later (the ``manual`` type's answers go
to the review queue). ``partial``: it solves the challenge for ``value`` points rather than the
challenge's value (``0 < value``; the solve stores the value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

VerdictKind = Literal["correct", "incorrect", "pending", "partial"]
KINDS: tuple[VerdictKind, ...] = ("correct", "incorrect", "pending", "partial")


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: VerdictKind
    value: int | None = None
    flag: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown verdict {self.kind!r}")
        if self.kind == "partial" and (self.value is None or self.value <= 0):
            raise ValueError("a partial verdict needs a positive value")

    @property
    def solves(self) -> bool:
        """Whether the answer earns a solve (the whole value or a part of it)."""
        return self.kind in ("correct", "partial")

    @classmethod
    def correct(cls, flag: int | None = None) -> Verdict:
        return cls("correct", flag=flag)

    @classmethod
    def incorrect(cls) -> Verdict:
        return INCORRECT

    @classmethod
    def pending(cls) -> Verdict:
        return PENDING

    @classmethod
    def partial(cls, value: int) -> Verdict:
        return cls("partial", value=value)


INCORRECT = Verdict("incorrect")
PENDING = Verdict("pending")
CORRECT = Verdict("correct")
