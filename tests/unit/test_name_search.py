"""Searching and sorting names the way Japanese readers expect: hiragana, katakana and half-width
katakana are one spelling; Latin, kana and kanji names sort in one deterministic order."""

from __future__ import annotations

import pytest

from kizuna.domain.names import by_name, fold, matches, name_key, sort_key


@pytest.mark.parametrize(
    "spelling", ["カタカナ", "かたかな", "ｶﾀｶﾅ", "カたｶな", " カタカナ\u3000", "カ\u200bタカナ"]
)
def test_kana_spellings_fold_together(spelling: str) -> None:
    assert fold(spelling) == "かたかな"
    assert sort_key(spelling)[:2] == sort_key("かたかな")[:2]


def test_voiced_half_width_kana_fold_to_the_composed_letter() -> None:
    assert fold("ｻｲﾊﾞｰ広島") == fold("さいばー広島") == fold("サイバー広島")
    assert fold("ｳﾞｪｰﾙｽﾞ") == fold("ヴェールズ") == "ゔぇーるず"
    assert fold("ﾊﾟｽﾞﾙ") == fold("パズル")


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("ｻｲﾊﾞｰ", "チーム・サイバー広島"),  # half-width katakana finds full width
        ("さいばー", "チーム・サイバー広島"),  # hiragana finds katakana
        ("広島", "チーム・サイバー広島"),  # kanji
        ("ＣＹＢＥＲ", "Cyber Wales"),  # full-width Latin, other case
        ("wales", "Cyber Wales"),
        ("ｋｉｚｕｎａ 絆", "Kizuna 絆 Team"),
        ("", "anything"),  # an empty query matches every name
    ],
)
def test_matches_finds_part_of_a_name_in_any_spelling(query: str, name: str) -> None:
    assert matches(query, name)


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("ガ", "カタカナ"),  # voicing marks still count when searching
        ("広", "ひろしま"),  # kanji are not read as kana
        ("alice bob", "alicebob"),
        ("%", "100 points"),  # no SQL wildcards
        ("_", "ab"),
    ],
)
def test_matches_refuses_what_is_not_there(query: str, name: str) -> None:
    assert not matches(query, name)


def test_names_sort_latin_then_kana_then_kanji() -> None:
    names = "絆 Zeta ガンバ alpha カタカナ かたかな ｱｲｳ Émile eve 2nd ちーず 広島".split()
    ordered = "2nd alpha Émile eve Zeta ｱｲｳ かたかな カタカナ ガンバ ちーず 広島 絆".split()
    assert sorted(names, key=sort_key) == ordered


def test_voiced_and_small_kana_sort_next_to_their_letters() -> None:
    # As in a Japanese dictionary: か, が and ガ are the same letter for ordering; small っ is つ.
    assert sorted(["がす", "かき", "きく", "ガム"], key=sort_key) == ["かき", "がす", "ガム", "きく"]
    assert sorted(["かつて", "かって", "かつお"], key=sort_key) == ["かつお", "かって", "かつて"]


def test_sort_key_is_total_and_deterministic() -> None:
    names = ["かな", "カナ", "KANA", "kana", "Kana"]
    first = sorted(names, key=sort_key)
    assert sorted(reversed(names), key=sort_key) == first == ["KANA", "Kana", "kana", "かな", "カナ"]
    # Spellings that fold together still differ in the last part of the key; only look-alikes
    # share it, and those cannot both be registered because they share a name key.
    assert len({sort_key(n) for n in names}) == len(names)
    assert sort_key("ｶﾅ") == sort_key("カナ") and name_key("ｶﾅ") == name_key("カナ")


def test_by_name_filters_sorts_and_keeps_the_given_order_for_ties() -> None:
    rows = [(1, "カナ"), (2, "Bob"), (3, "かな"), (4, "ｶﾅ"), (5, "alice")]
    assert [r[0] for r in by_name(rows, name=lambda r: r[1])] == [5, 2, 3, 1, 4]
    assert [r[0] for r in by_name(rows, "ｶﾅ", name=lambda r: r[1])] == [3, 1, 4]
    assert by_name(rows, "zzz", name=lambda r: r[1]) == []
