"""The learning XP rules (domain.progress): XP never negative, levels monotonic in XP, totals that do
not depend on the order of a user's events, and the streak read back from the stored run."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizuna.domain.progress import (
    DEFAULT_LEVELS,
    XP_EVENTS,
    XpRules,
    calendar,
    current_streak,
    level_of,
    month_key,
    parse_levels,
    scope_for,
    scopes_of,
    week_key,
    xp_of,
)

rules_st = st.builds(
    XpRules,
    solve_base=st.integers(0, 1000),
    solve_per_100=st.integers(0, 1000),
    practice_solve=st.integers(0, 1000),
    task_required=st.integers(0, 1000),
    task_optional=st.integers(0, 1000),
    lesson=st.integers(0, 1000),
    module=st.integers(0, 1000),
    track=st.integers(0, 1000),
)
values = st.one_of(st.integers(-(10**15), 10**15), st.none(), st.text(max_size=5), st.floats(), st.booleans())
event_st = st.tuples(
    st.sampled_from((*XP_EVENTS, "submission", "award")),
    st.fixed_dictionaries({"value": values, "required": st.booleans(), "track_key": st.text(max_size=3)}),
)


@given(rules_st, event_st)
def test_xp_is_never_negative(rules: XpRules, event: tuple[str, dict]) -> None:
    assert xp_of(event[0], event[1], rules) >= 0


@given(st.integers(-1000, 10**7), st.integers(0, 10**7))
def test_level_is_monotonic_in_xp(a: int, b: int) -> None:
    low, high = sorted((a, a + b))
    assert level_of(low).number <= level_of(high).number
    lv = level_of(high)
    assert lv.floor <= max(high, 0) and (lv.next_at is None or high < lv.next_at)
    assert 0 <= lv.progress(high) <= 100


@given(rules_st, st.lists(event_st, max_size=30), st.randoms())
def test_a_users_total_does_not_depend_on_the_order_of_events(rules, events, rnd) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert sum(xp_of(e, d, rules) for e, d in events) == sum(xp_of(e, d, rules) for e, d in shuffled)


def test_the_default_rules() -> None:
    rules = XpRules()
    assert xp_of("solve", {"value": 100}, rules) == 20
    assert xp_of("solve", {"value": 500}, rules) == 60
    assert xp_of("solve", {"value": -50}, rules) == 10  # a penalty-like value earns the base only
    assert xp_of("practice_solve", {}, rules) == 10
    assert xp_of("task_completed", {"required": True}, rules) == 10
    assert xp_of("task_completed", {"required": False}, rules) == 5
    assert xp_of("lesson_completed", {}, rules) == 20
    assert xp_of("track_completed", {}, rules) == 100
    assert xp_of("submission", {"value": 100}, rules) == 0
    assert [level_of(x).number for x in (0, 99, 100, 249, 250, 10**9)] == [1, 1, 2, 2, 3, len(DEFAULT_LEVELS)]


def test_levels_must_start_at_zero_and_increase() -> None:
    assert parse_levels("0, 10,20") == (0, 10, 20)
    for bad in ("", "10,20", "0,20,20", "0,x", "0,-1"):
        with pytest.raises(ValueError):
            parse_levels(bad)
    with pytest.raises(ValueError):
        XpRules(lesson=-1)


def test_periods_are_iso_weeks_and_months() -> None:
    assert week_key(date(2027, 1, 1)) == "W2026-53"  # a Friday in ISO week 53 of 2026
    assert month_key(date(2027, 1, 1)) == "M2027-01"
    assert scopes_of(date(2026, 11, 29)) == ("all", "W2026-48", "M2026-11")
    assert scope_for("week", date(2026, 11, 30)) == "W2026-49"
    with pytest.raises(ValueError):
        scope_for("year", date(2026, 11, 30))


def test_the_current_streak_lasts_until_the_end_of_the_next_day() -> None:
    last = date(2026, 11, 2)
    assert current_streak(3, last, last) == 3
    assert current_streak(3, last, last + timedelta(days=1)) == 3
    assert current_streak(3, last, last + timedelta(days=2)) == 0
    assert current_streak(0, None, last) == 0


@given(st.dates(date(2020, 1, 1), date(2030, 1, 1)), st.lists(st.integers(0, 400), max_size=40))
def test_the_calendar_is_53_weeks_of_7_days_ending_today(today: date, back: list[int]) -> None:
    counts = Counter(today - timedelta(days=b) for b in back)
    weeks = calendar(today, {d: (n, n * 10) for d, n in counts.items()})
    assert len(weeks) == 53 and all(len(w) == 7 for w in weeks)
    days = [d for w in weeks for d in w]
    assert all(b.day - a.day == timedelta(days=1) for a, b in itertools.pairwise(days))
    assert days[0].day.weekday() == 0 and today in [d.day for d in weeks[-1]]
    shown = {d.day: d for d in days}
    for day, n in counts.items():
        if day in shown:
            assert shown[day].count == n and shown[day].shade >= 1
    assert all(d.count == 0 for d in days if d.future)
