"""The challenge-type registry: built-ins arrive through entry points, exactly as plugins do."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest

import kizuna.challenge_types as registry_module
from kizuna.challenge_types import ChallengeScoring, ChallengeType, ChallengeTypeRegistry, Verdict
from kizuna.challenge_types.builtin import DynamicType, ManualType, StandardType
from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.flags import FlagSpec


class ReversedType:
    """A plugin: the submission is accepted when it is a flag written backwards."""

    name = "reversed"

    def prepare(self, fields: dict[str, Any]) -> dict[str, Any]:
        return {**fields, "function": "static"}

    def current_value(self, scoring: ChallengeScoring, solve_count: int) -> int:
        return scoring.value

    def attempt(self, flags: list[FlagSpec], submission: str) -> Verdict:
        right = any(f.content == submission[::-1] for f in flags)
        return Verdict.correct() if right else Verdict.incorrect()


def test_entry_points_provide_standard_and_dynamic() -> None:
    registry = ChallengeTypeRegistry.from_entry_points()
    assert {"standard", "dynamic"} <= set(registry.names())
    assert isinstance(registry.get("standard"), StandardType)
    assert isinstance(registry.get("dynamic"), DynamicType)


def test_registries_are_independent_objects() -> None:
    one, two = ChallengeTypeRegistry.from_entry_points(), ChallengeTypeRegistry.from_entry_points()
    one.register(ReversedType())
    assert "reversed" in one.names()
    assert "reversed" not in two.names()


def test_unknown_type_is_a_domain_error() -> None:
    with pytest.raises(DomainError) as err:
        ChallengeTypeRegistry.from_entry_points().get("quantum")
    assert err.value.code is ErrorCode.CHALLENGE_TYPE_UNKNOWN
    assert err.value.field == "type"
    assert err.value.params == {"type": "quantum"}


def test_a_plugin_registers_through_entry_points_like_a_built_in(monkeypatch: pytest.MonkeyPatch) -> None:
    group = "kizuna.challenge_types"
    fake = [
        EntryPoint("standard", "kizuna.challenge_types.builtin:StandardType", group),
        EntryPoint("reversed", f"{__name__}:ReversedType", group),
    ]
    monkeypatch.setattr(registry_module, "entry_points", lambda group: fake)
    registry = ChallengeTypeRegistry.from_entry_points()
    assert registry.names() == ["reversed", "standard"]
    plugin = registry.get("reversed")
    assert isinstance(plugin, ChallengeType)
    assert plugin.attempt([FlagSpec("static", "flag{abc}")], "}cba{galf").kind == "correct"


def test_objects_that_are_not_challenge_types_are_refused() -> None:
    class Incomplete:
        name = "incomplete"

        def prepare(self, fields: dict[str, Any]) -> dict[str, Any]:
            return fields

    with pytest.raises(TypeError):
        ChallengeTypeRegistry().register(Incomplete())  # type: ignore[arg-type]


def test_dynamic_defaults_to_logarithmic() -> None:
    prepared = DynamicType().prepare({"initial": 500, "minimum": 100, "decay": 30})
    assert prepared["function"] == "logarithmic"
    assert prepared["value"] == 500
    # CTFd's legacy dynamic type always decays: "static" is replaced, an explicit curve is kept.
    from_static = DynamicType().prepare({"function": "static", "value": 50, "minimum": 10, "decay": 5})
    assert from_static["function"] == "logarithmic"
    linear = DynamicType().prepare({"function": "linear", "initial": 50, "minimum": 10, "decay": 5})
    assert linear["function"] == "linear"


@pytest.mark.parametrize("missing", ["minimum", "decay"])
def test_missing_decay_parameters_are_an_error(missing: str) -> None:
    fields = {"initial": 500, "minimum": 100, "decay": 30}
    del fields[missing]
    for ctype, extra in ((DynamicType(), {}), (StandardType(), {"function": "linear"})):
        with pytest.raises(DomainError) as err:
            ctype.prepare({**fields, **extra})
        assert err.value.code is ErrorCode.DECAY_PARAMS_REQUIRED


def test_initial_defaults_to_value_with_a_decay_function() -> None:
    prepared = StandardType().prepare({"function": "linear", "value": 400, "minimum": 100, "decay": 10})
    assert (prepared["initial"], prepared["value"]) == (400, 400)


@pytest.mark.parametrize(
    "fields",
    [
        {"value": -1},
        {"value": "many"},
        {"function": "exponential", "value": 5},
        {"function": "linear", "initial": 100, "minimum": 200, "decay": 1},
        {"function": "linear", "initial": 100, "minimum": -1, "decay": 1},
    ],
)
def test_bad_values_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(DomainError) as err:
        StandardType().prepare(fields)
    assert err.value.code is ErrorCode.VALUE_INVALID


def test_current_value_static_and_decaying() -> None:
    standard = StandardType()
    assert standard.current_value(ChallengeScoring(250, "static", None, None, None), 99) == 250
    decaying = ChallengeScoring(500, "logarithmic", 500, 100, 30)
    assert standard.current_value(decaying, 10) == 464
    assert DynamicType().current_value(ChallengeScoring(500, "linear", 500, 100, 10), 10) == 410


def test_attempt_uses_flag_rules() -> None:
    flags = [FlagSpec("static", "flag{a}"), FlagSpec("regex", r"flag\{b+\}")]
    assert StandardType().attempt(flags, "　ｆｌａｇ｛ａ｝") == Verdict.correct(flag=0)
    assert StandardType().attempt(flags, "flag{bbb}") == Verdict.correct(flag=1)
    assert StandardType().attempt(flags, "flag{c}") == Verdict.incorrect()


def test_the_manual_type_leaves_every_answer_to_a_judge() -> None:
    registry = ChallengeTypeRegistry.from_entry_points()
    manual = registry.get("manual")
    assert isinstance(manual, ManualType)
    assert manual.attempt([FlagSpec("static", "flag{a}")], "flag{a}") == Verdict.pending()


def test_verdicts() -> None:
    assert Verdict.correct().solves and Verdict.partial(5).solves
    assert not Verdict.incorrect().solves and not Verdict.pending().solves
    for bad in (0, -1):
        with pytest.raises(ValueError):
            Verdict.partial(bad)
    with pytest.raises(ValueError):
        Verdict("maybe")  # type: ignore[arg-type]
