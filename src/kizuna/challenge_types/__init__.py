"""Challenge types: a Protocol and a registry object.

Built-in types register exactly like plugins: through the ``kizuna.challenge_types`` entry-point
group declared in ``pyproject.toml``. There is no module-level mutable registry; the application
builds one ``ChallengeTypeRegistry`` at start-up and passes it where it is needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Protocol, runtime_checkable

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.flags import FlagSpec
from kizuna.domain.verdict import Verdict

__all__ = ["ChallengeScoring", "ChallengeType", "ChallengeTypeRegistry", "Verdict"]


@dataclass(frozen=True)
class ChallengeScoring:
    """What a type needs to know to value a challenge."""

    value: int
    function: str
    initial: int | None
    minimum: int | None
    decay: float | None


@runtime_checkable
class ChallengeType(Protocol):
    name: str

    def prepare(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Validate and complete create/update fields (raise ``DomainError`` on bad input)."""
        ...

    def current_value(self, scoring: ChallengeScoring, solve_count: int) -> int:
        """The challenge's value given the number of counted solves."""
        ...

    def attempt(self, flags: list[FlagSpec], submission: str) -> Verdict:
        """The verdict on a submission: ``Verdict.correct(flag=<position of the matched flag>)``,
        ``Verdict.incorrect()``, ``Verdict.pending()`` (a judge decides: the answer joins the review
        queue) or ``Verdict.partial(value)`` (solved for ``value`` points). The challenge's ``logic``
        (all flags, every member) is applied by the caller to a correct verdict that names its flag."""
        ...


class ChallengeTypeRegistry:
    def __init__(self, types: Iterable[ChallengeType] = ()) -> None:
        self._types: dict[str, ChallengeType] = {}
        for t in types:
            self.register(t)

    def register(self, challenge_type: ChallengeType) -> None:
        if not isinstance(challenge_type, ChallengeType):
            raise TypeError(f"{challenge_type!r} does not implement ChallengeType")
        self._types[challenge_type.name] = challenge_type

    def get(self, name: str) -> ChallengeType:
        try:
            return self._types[name]
        except KeyError:
            raise DomainError(ErrorCode.CHALLENGE_TYPE_UNKNOWN, field="type", type=name) from None

    def names(self) -> list[str]:
        return sorted(self._types)

    @classmethod
    def from_entry_points(cls, group: str = "kizuna.challenge_types") -> ChallengeTypeRegistry:
        registry = cls()
        for ep in entry_points(group=group):
            registry.register(ep.load()())
        return registry
