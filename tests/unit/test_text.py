"""LocalizedText: per-language content with a declared fallback order, never an empty field."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizuna.domain.errors import DomainError
from kizuna.domain.text import (
    LocalizedText,
    fallback_chain,
    merge_translations,
    parse_translations,
    validate_locale,
)

TEXT = LocalizedText.of(
    "en",
    {"name": "Cookie Jar", "description": "Find the cookie."},
    {"ja": {"name": "クッキー瓶"}, "fr": {"name": "", "description": "Trouvez le cookie."}},
)


def test_the_readers_language_wins() -> None:
    r = TEXT.get("name", "ja", ["en", "ja"])
    assert (r.text, r.locale, r.fallback) == ("クッキー瓶", "ja", False)


def test_a_missing_field_falls_back_in_the_declared_order_and_says_so() -> None:
    r = TEXT.get("description", "ja", ["fr", "en"])
    assert (r.text, r.locale, r.fallback) == ("Trouvez le cookie.", "fr", True)
    r = TEXT.get("description", "ja", ["en", "fr"])
    assert (r.text, r.locale, r.fallback) == ("Find the cookie.", "en", True)


def test_empty_translations_are_not_texts() -> None:
    assert TEXT.get("name", "fr", ["fr"]).locale == "en"
    assert not TEXT.has("name", "fr")


def test_source_is_tried_after_the_order_and_then_any_language() -> None:
    only_ja = LocalizedText.of("ja", {"name": "問題"}, None)
    assert only_ja.get("name", "en", ["en"]).text == "問題"
    odd = LocalizedText.of("en", {"name": ""}, {"de": {"name": "Rätsel"}})
    assert odd.get("name", "ja", ["ja"]).text == "Rätsel"


@given(
    st.dictionaries(
        st.sampled_from(["en", "ja", "fr", "de"]),
        st.fixed_dictionaries({"name": st.text(min_size=0, max_size=5)}),
        min_size=1,
    ),
    st.sampled_from(["en", "ja", "fr", "de"]),
    st.lists(st.sampled_from(["en", "ja", "fr", "de"]), max_size=4),
)
def test_never_empty_while_any_language_has_text(texts, wanted, order) -> None:
    text = LocalizedText.of("en", texts.get("en", {"name": ""}), texts)
    r = text.get("name", wanted, order)
    if any(v["name"] for v in texts.values()):
        assert r.text
        assert r.fallback == (r.locale != wanted)
    else:
        assert r.text == ""


def test_missing_lists_fields_per_language() -> None:
    assert TEXT.missing(["name", "description"], ["en", "ja", "fr"]) == {
        "ja": ["description"],
        "fr": ["name"],
    }


def test_fallback_chain_has_no_duplicates() -> None:
    assert fallback_chain("ja", ["en", "ja"], "en") == ["ja", "en"]
    assert fallback_chain("fr", [], "ja") == ["fr", "ja"]


def test_parse_refuses_unknown_fields_bad_locales_and_non_text() -> None:
    assert parse_translations({"ja": {"name": "x", "description": None}}, ["name", "description"]) == {
        "ja": {"name": "x", "description": None}
    }
    for bad in ({"ja": {"flag": "x"}}, {"not a locale": {}}, {"ja": {"name": 3}}, ["ja"], {"ja": "x"}):
        with pytest.raises(DomainError):
            parse_translations(bad, ["name", "description"])


def test_merge_keeps_what_is_not_changed_and_empty_removes() -> None:
    stored = {"ja": {"name": "旧", "description": "説明"}, "fr": {"name": "Nom"}}
    merged = merge_translations(stored, {"ja": {"name": "新", "description": ""}, "fr": None}, "en")
    assert merged == {"ja": {"name": "新"}}
    assert stored["ja"]["name"] == "旧"  # the stored value is not mutated
    assert merge_translations({"ja": {"name": "x"}}, {"ja": {"name": None}}, "en") is None


def test_locale_codes() -> None:
    for ok in ("en", "ja", "pt-BR", "zh-Hant"):
        assert validate_locale(ok) == ok
    for bad in ("", "EN", "english!", "j", None, 5):
        with pytest.raises(DomainError):
            validate_locale(bad)
