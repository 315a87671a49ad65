"""The built-in challenge types: ``standard`` (fixed value), ``dynamic`` (value decays) and
``manual`` (a judge reads the answer)."""

from __future__ import annotations

from typing import Any

from kizuna.challenge_types import ChallengeScoring
from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.flags import FlagSpec, matching_flag
from kizuna.domain.scoring import DecayFunction, dynamic_value
from kizuna.domain.verdict import Verdict


def _int_or_none(fields: dict[str, Any], key: str) -> int | None:
    raw = fields.get(key)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise DomainError(ErrorCode.VALUE_INVALID, field=key) from None


class StandardType:
    """A challenge worth a fixed value. ``function`` other than ``static`` makes it decay too, as CTFd
    3.8 allows decay on every challenge."""

    name = "standard"

    def prepare(self, fields: dict[str, Any]) -> dict[str, Any]:
        out = dict(fields)
        function = out.get("function") or "static"
        try:
            DecayFunction(function)
        except ValueError:
            raise DomainError(ErrorCode.VALUE_INVALID, field="function") from None
        out["function"] = function
        if "value" in out:
            value = _int_or_none(out, "value")
            if value is None or value < 0:
                raise DomainError(ErrorCode.VALUE_INVALID, field="value")
            out["value"] = value
        if function != "static":
            initial = _int_or_none(out, "initial")
            if initial is None and out.get("value") is not None:
                initial = out["value"]
            minimum, decay = _int_or_none(out, "minimum"), _int_or_none(out, "decay")
            if initial is None or minimum is None or decay is None:
                raise DomainError(ErrorCode.DECAY_PARAMS_REQUIRED, field="decay")
            if minimum < 0 or decay < 0 or minimum > initial:
                raise DomainError(ErrorCode.VALUE_INVALID, field="minimum")
            out.update(initial=initial, minimum=minimum, decay=decay)
            out.setdefault("value", initial)
        return out

    def current_value(self, scoring: ChallengeScoring, solve_count: int) -> int:
        if scoring.function == "static" or scoring.initial is None:
            return scoring.value
        return dynamic_value(
            scoring.function, scoring.initial, scoring.minimum or 0, scoring.decay or 0, solve_count
        )

    def attempt(self, flags: list[FlagSpec], submission: str) -> Verdict:
        found = matching_flag(flags, submission)
        return Verdict.incorrect() if found is None else Verdict.correct(flag=found)


class DynamicType(StandardType):
    """CTFd's legacy ``dynamic`` type: decays, logarithmic (parabolic) by default."""

    name = "dynamic"

    def prepare(self, fields: dict[str, Any]) -> dict[str, Any]:
        out = dict(fields)
        if not out.get("function") or out.get("function") == "static":
            out["function"] = "logarithmic"
        return super().prepare(out)


class ManualType(StandardType):
    """An answer read by a judge: every attempt is ``pending`` and joins the review queue, where a
    judge accepts it (for the whole value or a part) or rejects it with a comment. Flags, if the
    challenge has any, are not used."""

    name = "manual"

    def attempt(self, flags: list[FlagSpec], submission: str) -> Verdict:
        return Verdict.pending()
