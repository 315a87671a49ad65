"""The rules of learning tracks (kizuna.domain.tracks): answers, completion, unlocking, windows,
cycles and the checks of a track.yml."""

from __future__ import annotations

import itertools
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from kizuna.domain.errors import ErrorCode
from kizuna.domain.tracks import (
    check_answer,
    completeness,
    find_cycle,
    group_complete,
    is_open,
    parse_track,
    unlocked,
)


def test_answers() -> None:
    assert check_answer("choice", {"index": 1}, 1)
    assert check_answer("choice", {"index": 1}, "1")  # as a form sends it
    assert not check_answer("choice", {"index": 1}, True)
    assert not check_answer("choice", {"index": 1}, 0)
    text = {"answers": ["404", "Not Found"], "case_sensitive": False}
    assert check_answer("text", text, "  ４０４\u3000")
    assert check_answer("text", text, "not found")
    assert not check_answer("text", {"answers": ["Not Found"], "case_sensitive": True}, "not found")
    assert not check_answer("text", text, 404)
    assert not check_answer("text", text, "4" * 5000)
    assert check_answer("flag", {"flag": "kizuna{x}"}, "ｋｉｚｕｎａ｛x｝")
    assert not check_answer("flag", {"flag": "kizuna{x}"}, "KIZUNA{x}")
    assert not check_answer("flag", {}, "kizuna{x}")


def test_completion_and_unlocking() -> None:
    tasks = [("a", True), ("b", False)]
    assert group_complete(tasks, {"a"}) and not group_complete(tasks, {"b"})
    assert group_complete([("b", False)], {"b"}) and not group_complete([("b", False)], set())
    assert group_complete([], set())
    modules = [("m1", []), ("m2", []), ("m3", ["m1"])]
    assert unlocked("sequential", modules, set()) == {"m1"}
    assert unlocked("sequential", modules, {"m1"}) == {"m1", "m2"}
    assert unlocked("graph", modules, set()) == {"m1", "m2"}
    assert unlocked("graph", modules, {"m1"}) == {"m1", "m2", "m3"}


def test_windows() -> None:
    opens, closes = datetime(2030, 1, 1), datetime(2030, 2, 1)
    assert not is_open(opens, closes, datetime(2029, 12, 31, 23, 59))
    assert is_open(opens, closes, opens) and not is_open(opens, closes, closes)
    assert is_open(None, None, datetime(2000, 1, 1))


@given(st.dictionaries(st.sampled_from("abcdef"), st.lists(st.sampled_from("abcdef"), max_size=3)))
def test_find_cycle_finds_a_real_cycle_or_none(graph: dict[str, list[str]]) -> None:
    cycle = find_cycle(graph)
    if cycle:
        assert cycle[0] == cycle[-1]
        assert all(b in graph.get(a, []) for a, b in itertools.pairwise(cycle))
    else:  # acyclic: a topological order exists
        done: set[str] = set()
        nodes = set(graph) | {n for v in graph.values() for n in v}
        for _ in range(len(nodes) + 1):
            done |= {n for n in nodes if all(r in done for r in graph.get(n, []))}
        assert done == nodes


def test_completeness_lists_missing_texts() -> None:
    [en, ja] = completeness([("title", {"en": "A", "ja": "あ"}), ("summary", {"en": "B"})])
    assert (en.percent, en.missing) == (100, [])
    assert (ja.percent, ja.missing) == (50, ["summary"])


def test_problems_name_the_field() -> None:
    raw = {
        "version": 1,
        "id": "Bad Id",
        "title": "not a mapping",
        "unlock": "graph",
        "modules": [
            {
                "id": "m",
                "title": {"en": "M"},
                "requires": ["x"],
                "lessons": [{"id": "l", "title": {"en": "L"}}],
            }
        ],
        "extra": 1,
    }
    spec, problems, _warnings = parse_track(raw, path="track.yml", bodies={"l": {"en": "# L"}})
    assert spec is None
    found = {(p.field, p.error.code) for p in problems if p.error}
    assert ("id", ErrorCode.TRACK_ID_INVALID) in found
    assert ("title", ErrorCode.TRACK_FIELD_KIND) in found
    assert ("extra", ErrorCode.TRACK_FIELD_UNKNOWN) in found
    assert ("modules[0].requires[0]", ErrorCode.TRACK_MODULE_UNKNOWN) in found
