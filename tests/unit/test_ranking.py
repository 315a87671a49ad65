"""Scoreboard order: score, then who got there first, then registration order."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from kizuna.domain.ranking import Standing, rank

T0 = datetime(2026, 3, 1, 9, 0, 0)


def order(*standings: Standing) -> list[int]:
    return [r.standing.account_id for r in rank(standings)]


def test_higher_score_first() -> None:
    assert order(Standing(1, "a", 100, T0), Standing(2, "b", 300, T0), Standing(3, "c", 200, T0)) == [2, 3, 1]


def test_tie_broken_by_earlier_last_score() -> None:
    late = Standing(1, "late", 100, T0 + timedelta(minutes=5))
    early = Standing(2, "early", 100, T0)
    assert order(late, early) == [2, 1]


def test_tie_at_the_same_instant_broken_by_id() -> None:
    assert order(Standing(9, "b", 100, T0), Standing(4, "a", 100, T0)) == [4, 9]


def test_never_scored_ranks_after_scored_at_equal_score() -> None:
    # A penalty can bring a scored account back to 0: it still ranks above one that never scored.
    never = Standing(1, "never", 0, None)
    penalised = Standing(2, "penalised", 0, T0 + timedelta(days=1))
    assert order(never, penalised) == [2, 1]
    assert order(Standing(5, "x", 0, None), Standing(3, "y", 0, None)) == [3, 5]


def test_positions_are_numbered_from_one_without_sharing() -> None:
    ranked = rank([Standing(1, "a", 10, T0), Standing(2, "b", 10, T0), Standing(3, "c", 5, None)])
    assert [r.pos for r in ranked] == [1, 2, 3]


def test_timezone_aware_times_compare_correctly() -> None:
    from datetime import UTC, timezone

    jst = timezone(timedelta(hours=9))
    # 18:00 JST is 09:00 UTC: earlier than 09:30 UTC.
    a = Standing(1, "a", 50, datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
    b = Standing(2, "b", 50, datetime(2026, 3, 1, 18, 0, tzinfo=jst))
    assert order(a, b) == [2, 1]


standings = st.lists(
    st.builds(
        Standing,
        account_id=st.integers(min_value=1, max_value=10_000),
        name=st.text(max_size=5),
        score=st.integers(min_value=-500, max_value=500),
        last_scored_at=st.none()
        | st.integers(min_value=0, max_value=100_000).map(lambda s: T0 + timedelta(seconds=s)),
    ),
    max_size=40,
    unique_by=lambda s: s.account_id,
)


def _key(s: Standing) -> tuple[int, int, datetime, int]:
    return (-s.score, s.last_scored_at is None, s.last_scored_at or T0, s.account_id)


@given(standings)
def test_rank_is_a_sorted_permutation(items: list[Standing]) -> None:
    ranked = rank(items)
    result = [r.standing for r in ranked]
    assert sorted(result, key=lambda s: s.account_id) == sorted(items, key=lambda s: s.account_id)
    assert [r.pos for r in ranked] == list(range(1, len(items) + 1))
    for earlier, later in pairwise(result):
        assert _key(earlier) < _key(later)


@given(standings)
def test_rank_does_not_depend_on_input_order(items: list[Standing]) -> None:
    assert [r.standing for r in rank(items)] == [r.standing for r in rank(list(reversed(items)))]
