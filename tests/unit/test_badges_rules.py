"""The badge rules (domain.badges) over random event sequences: no badge twice, none without its
condition (each checked here independently of the rule engine), the same badges whatever the
order of the events, and the same badges evaluated batch by batch with the progress stored between
batches as all at once."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.domain import badges as b
from kizuna.domain.badges import Catalogue, Fact, Progress, World
from kizuna.domain.streaks import local_day

USERS = (1, 2, 3)
CATEGORIES = {1: "web", 2: "web", 3: "ＷＥＢ", 4: "crypto", 5: "Crypto", 6: "misc"}
AUTHORS = {10: 1, 11: 2, 12: 3, 13: 1}
ZONES = {1: "Asia/Tokyo", 2: "Europe/London"}  # user 3: the default zone
WORLD = World(categories=CATEGORIES, zones=ZONES, writeup_authors=AUTHORS, default_zone="America/New_York")
START = datetime(2026, 11, 1, 0, 0)


def _badge(key: str, rule: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": key,
        "name": {"en": key, "ja": key},
        "description": {"en": key, "ja": key},
        "icon": "star",
        "rule": rule,
    }


CATALOGUE = b.parse_catalogue(
    [
        (
            "test.yml",
            {
                "badges": [
                    _badge("track-a", {"kind": "track_completed", "track": "a"}),
                    _badge("any-track", {"kind": "track_completed"}),
                    _badge("web-2", {"kind": "category_mastery", "category": "web", "solves": 2}),
                    _badge("crypto-2", {"kind": "category_mastery", "category": "crypto", "solves": 2}),
                    _badge("blood-2", {"kind": "first_blood", "count": 2}),
                    _badge("streak-3", {"kind": "streak", "days": 3}),
                    _badge("prize-1", {"kind": "helpful_writeup", "count": 1}),
                    _badge("lessons-2", {"kind": "lessons", "count": 2}),
                ]
            },
        )
    ]
)


@st.composite
def facts(draw: st.DrawFn) -> Fact:
    kind = draw(
        st.sampled_from(
            [
                "solve",
                "practice_solve",
                "track_completed",
                "lesson_completed",
                "task_completed",
                "writeup_prize",
                "submission",
            ]
        )
    )
    user = draw(st.sampled_from(USERS))
    at = START + timedelta(hours=draw(st.integers(0, 24 * 12)), minutes=draw(st.integers(0, 59)))
    challenge = draw(st.integers(1, 7))  # 7: a challenge without a category
    data: dict[str, Any]
    if kind == "solve":
        blood = draw(st.sampled_from([0, 1, 1, 1, 2, 3]))
        data = {
            "challenge_id": challenge,
            "account_id": user,
            "user_id": user,
            "first_blood": blood,
            "value": 100,
        }
    elif kind == "practice_solve":
        data = {"challenge_id": challenge, "account_id": user, "user_id": user}
    elif kind == "track_completed":
        data = {"track_key": draw(st.sampled_from(["a", "b"])), "user_id": user}
    elif kind == "lesson_completed":
        data = {
            "track_key": "a",
            "module_key": "m",
            "lesson_key": draw(st.sampled_from(["l1", "l2", "l3"])),
            "user_id": user,
        }
    elif kind == "task_completed":
        data = {
            "track_key": "a",
            "module_key": "m",
            "lesson_key": "l1",
            "task_key": "t",
            "user_id": user,
            "required": True,
        }
    elif kind == "writeup_prize":
        data = {
            "writeup_id": draw(st.sampled_from(sorted(AUTHORS))),
            "challenge_id": 1,
            "account_id": 1,
            "prize": draw(st.booleans()),
        }
    else:
        data = {
            "submission_id": 1,
            "challenge_id": challenge,
            "account_id": user,
            "user_id": user,
            "result": "incorrect",
            "address": "",
        }
    return Fact(kind, data, at)


event_logs = st.lists(facts(), max_size=60)


# --- an oracle written apart from the engine -------------------------------------------------------


def _mine(events: Sequence[Fact], user: int) -> list[Fact]:
    out = []
    for e in events:
        if e.type == "writeup_prize":
            if AUTHORS.get(e.data["writeup_id"]) == user:
                out.append(e)
        elif e.type != "submission" and e.data.get("user_id") == user:
            out.append(e)
    return out


def _longest_run(days: set[date]) -> int:
    best = 0
    for d in days:
        if d - timedelta(days=1) in days:
            continue
        n = 1
        while d + timedelta(days=n) in days:
            n += 1
        best = max(best, n)
    return best


def deserves(events: Sequence[Fact], user: int, key: str) -> bool:
    mine = _mine(events, user)
    solved = {e.data["challenge_id"] for e in mine if e.type in ("solve", "practice_solve")}
    if key == "track-a":
        return any(e.type == "track_completed" and e.data["track_key"] == "a" for e in mine)
    if key == "any-track":
        return any(e.type == "track_completed" for e in mine)
    if key == "web-2":
        return len({c for c in solved if CATEGORIES.get(c, "").lower() in ("web", "ｗｅｂ")}) >= 2
    if key == "crypto-2":
        return len({c for c in solved if CATEGORIES.get(c, "").lower() == "crypto"}) >= 2
    if key == "blood-2":
        return (
            len({e.data["challenge_id"] for e in mine if e.type == "solve" and e.data["first_blood"] == 1})
            >= 2
        )
    if key == "streak-3":
        zone = ZONES.get(user, "America/New_York")
        return _longest_run({local_day(e.at, zone) for e in mine if e.type != "writeup_prize"}) >= 3
    if key == "prize-1":
        return any(e.type == "writeup_prize" and e.data["prize"] is True for e in mine)
    if key == "lessons-2":
        return len({e.data["lesson_key"] for e in mine if e.type == "lesson_completed"}) >= 2
    raise AssertionError(key)


def all_at_once(events: Sequence[Fact]) -> list[b.Earned]:
    return b.evaluate(CATALOGUE, {}, events, WORLD)


def pairs(earned: Sequence[b.Earned]) -> set[tuple[int, str]]:
    return {(e.user_id, e.badge_key) for e in earned}


@settings(max_examples=150, deadline=None)
@given(event_logs)
def test_each_badge_once_and_exactly_when_deserved(events: list[Fact]) -> None:
    earned = all_at_once(events)
    assert len(earned) == len(pairs(earned)), "a badge was awarded twice"
    for user, key in itertools.product(USERS, CATALOGUE.keys):
        assert ((user, key) in pairs(earned)) == deserves(events, user, key), (user, key)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_order_does_not_matter(data: st.DataObject) -> None:
    events = data.draw(event_logs)
    shuffled = data.draw(st.permutations(events))
    assert pairs(all_at_once(shuffled)) == pairs(all_at_once(events))


@settings(max_examples=100, deadline=None)
@given(event_logs, st.lists(st.integers(0, 60), max_size=6))
def test_batch_by_batch_with_stored_progress_equals_all_at_once(events: list[Fact], cuts: list[int]) -> None:
    bounds = sorted({0, len(events), *(min(c, len(events)) for c in cuts)})
    stored: dict[int, str] = {}  # the progress as the job stores it: JSON between batches
    earned: list[b.Earned] = []
    for lo, hi in itertools.pairwise(bounds):
        progresses = {u: Progress.from_json(json.loads(raw)) for u, raw in stored.items()}
        earned += b.evaluate(CATALOGUE, progresses, events[lo:hi], WORLD)
        stored = {u: json.dumps(p.to_json()) for u, p in progresses.items()}
    assert len(earned) == len(pairs(earned)), "a badge was awarded twice across batches"
    assert pairs(earned) == pairs(all_at_once(events))


def test_an_award_is_dated_by_the_event_that_completed_it() -> None:
    first = Fact(
        "lesson_completed", {"track_key": "a", "module_key": "m", "lesson_key": "l1", "user_id": 1}, START
    )
    second = Fact(
        "lesson_completed",
        {"track_key": "a", "module_key": "m", "lesson_key": "l2", "user_id": 1},
        START + timedelta(days=2),
    )
    again = Fact(
        "lesson_completed",
        {"track_key": "a", "module_key": "m", "lesson_key": "l3", "user_id": 1},
        START + timedelta(days=3),
    )
    earned = all_at_once([first, second, again])
    assert [(e.badge_key, e.at) for e in earned] == [("lessons-2", second.at)]


def test_unmarking_a_prize_does_not_take_the_badge_back() -> None:
    progress = Progress()
    on = Fact("writeup_prize", {"writeup_id": 10, "challenge_id": 1, "account_id": 1, "prize": True}, START)
    off = Fact("writeup_prize", {"writeup_id": 10, "challenge_id": 1, "account_id": 1, "prize": False}, START)
    assert [e.badge_key for e in b.fold(CATALOGUE, progress, 1, [on, off], WORLD)] == ["prize-1"]
    assert "prize-1" in progress.earned and b.fold(CATALOGUE, progress, 1, [on], WORLD) == []


def test_the_shipped_definitions_parse_and_use_shipped_icons() -> None:
    from kizuna.services.badges import shipped_catalogue

    cat = shipped_catalogue()
    assert len(cat.badges) >= 10
    assert {x.icon for x in cat.badges} <= b.ICONS
    for badge in cat.badges:
        for code in b.LOCALES:
            assert badge.text.has("name", code) and badge.text.has("description", code)


@pytest.mark.parametrize(
    ("doc", "said"),
    [
        ({"badges": [_badge("x", {"kind": "nope"})]}, "rule.kind must be one of"),
        ({"badges": [_badge("x", {"kind": "streak", "days": 0})]}, "rule.days must be a whole number"),
        ({"badges": [_badge("x", {"kind": "streak", "count": 3})]}, "rule has unknown fields: count"),
        ({"badges": [_badge("Bad Key", {"kind": "lessons", "count": 1})]}, "key must be"),
        (
            {"badges": [{**_badge("x", {"kind": "lessons", "count": 1}), "icon": "skull"}]},
            "icon must be one of",
        ),
        (
            {"badges": [{**_badge("x", {"kind": "lessons", "count": 1}), "name": {"en": "X"}}]},
            "name.ja is missing",
        ),
        (
            {"badges": [_badge("x", {"kind": "lessons", "count": 1})] * 2},
            "'x' is already defined in extra.yml",
        ),
        ({"badge": []}, "expected a mapping with a 'badges' list"),
        ({"badges": [_badge("x", {"kind": "category_mastery", "solves": 3})]}, "rule.category must be"),
    ],
)
def test_wrong_definitions_are_refused_with_a_clear_message(doc: dict[str, Any], said: str) -> None:
    with pytest.raises(b.BadgeDefinitionError) as caught:
        b.parse_catalogue([("extra.yml", doc)])
    assert said in str(caught.value)
    assert str(caught.value).startswith("extra.yml")


def test_a_key_of_the_shipped_file_cannot_be_defined_again() -> None:
    from kizuna.services.badges import shipped_catalogue

    key = shipped_catalogue().badges[0].key
    with pytest.raises(b.BadgeDefinitionError, match=r"already defined in badges\.yml"):
        b.parse_catalogue(
            [
                ("badges.yml", {"badges": [_badge(key, {"kind": "lessons", "count": 1})]}),
                ("mine.yml", {"badges": [_badge(key, {"kind": "lessons", "count": 1})]}),
            ]
        )


def test_catalogue_keys() -> None:
    assert (
        isinstance(CATALOGUE, Catalogue)
        and CATALOGUE.get("web-2") is not None
        and CATALOGUE.get("nope") is None
    )
