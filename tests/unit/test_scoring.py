"""Dynamic challenge values: CTFd's formulas, checked against its worked example."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizuna.domain.scoring import dynamic_value

# ctfd-compat.md §3: initial 500, minimum 100; logarithmic with decay 30, linear with decay 10.
WORKED_EXAMPLE = [
    # (solves, logarithmic, linear)
    (1, 500, 500),
    (2, 500, 490),
    (5, 493, 460),
    (10, 464, 410),
    (20, 340, 310),
    (30, 127, 210),
    (31, 100, 200),
    (41, 100, 100),
    (42, 100, 100),
    (500, 100, 100),
]


@pytest.mark.parametrize(("solves", "logarithmic", "linear"), WORKED_EXAMPLE)
def test_ctfd_worked_example(solves: int, logarithmic: int, linear: int) -> None:
    assert dynamic_value("logarithmic", 500, 100, 30, solves) == logarithmic
    assert dynamic_value("linear", 500, 100, 10, solves) == linear


@pytest.mark.parametrize("function", ["linear", "logarithmic"])
def test_no_solves_and_first_solve_are_worth_initial(function: str) -> None:
    assert dynamic_value(function, 500, 100, 30, 0) == 500
    assert dynamic_value(function, 500, 100, 30, 1) == 500


def test_logarithmic_decay_zero_is_treated_as_one() -> None:
    # With decay 1 the minimum is reached on the second solve.
    assert dynamic_value("logarithmic", 500, 100, 0, 1) == 500
    assert dynamic_value("logarithmic", 500, 100, 0, 2) == dynamic_value("logarithmic", 500, 100, 1, 2) == 100


def test_logarithmic_reaches_minimum_on_solve_decay_plus_one() -> None:
    assert dynamic_value("logarithmic", 500, 100, 30, 31) == 100
    assert dynamic_value("logarithmic", 500, 100, 30, 30) > 100


def test_linear_decay_zero_never_decays() -> None:
    assert dynamic_value("linear", 300, 50, 0, 1000) == 300


def test_minimum_is_a_floor() -> None:
    assert dynamic_value("linear", 500, 480, 10, 10) == 480
    assert dynamic_value("logarithmic", 500, 480, 2, 10) == 480


def test_values_are_rounded_up() -> None:
    # 500 - 2.5 * 1 = 497.5 -> 498
    assert dynamic_value("linear", 500, 0, 2.5, 2) == 498


def test_static_is_initial_whatever_the_solves() -> None:
    assert dynamic_value("static", 250, 0, 10, 99) == 250


def test_unknown_function_is_refused() -> None:
    with pytest.raises(ValueError):
        dynamic_value("exponential", 500, 100, 10, 3)


params = st.tuples(
    st.sampled_from(["linear", "logarithmic"]),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=500),
).map(lambda p: (p[0], max(p[1], p[2]), min(p[1], p[2]), p[3]))


@given(params, st.integers(min_value=0, max_value=5_000))
def test_value_never_increases_with_solves_and_stays_in_range(
    p: tuple[str, int, int, int], solves: int
) -> None:
    function, initial, minimum, decay = p
    now = dynamic_value(function, initial, minimum, decay, solves)
    after = dynamic_value(function, initial, minimum, decay, solves + 1)
    assert minimum <= after <= now <= initial
