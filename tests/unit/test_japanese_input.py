"""Property tests for what Japanese players actually type: full-width ASCII from an IME, half-width
katakana, any mix of the two, and white space (including the ideographic space U+3000) around it.

Flags: every such variant matches a static and a case-insensitive flag and a regex flag (all under
NFKC); an ``exact`` flag matches only the identical string; a different flag never matches.
Names: width, case, kana variants and invisible characters never make a different name."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import assume, given
from hypothesis import strategies as st

from kizuna.domain.flags import CASE_INSENSITIVE, EXACT, FlagSpec, flag_matches, normalise_submission
from kizuna.domain.names import fold, matches, name_key, sort_key


def _halfwidth_katakana() -> dict[str, str]:
    """Full-width katakana (and kana punctuation) -> the half-width spelling of it; voiced and
    semi-voiced letters become two characters (ｶﾞ for ガ, ﾊﾟ for パ)."""
    table: dict[str, str] = {}
    for code in range(0xFF61, 0xFF9E):  # ｡ … ﾝ
        half = chr(code)
        table.setdefault(unicodedata.normalize("NFKC", half), half)
        for mark in ("\uff9e", "\uff9f"):
            composed = unicodedata.normalize("NFKC", half + mark)
            if len(composed) == 1:
                table.setdefault(composed, half + mark)
    return table


HALF = _halfwidth_katakana()
ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-!?.@#"
KATAKANA = sorted(c for c in HALF if "\u30a1" <= c <= "\u30fa")
OTHER = "絆力広島ウェールズきずなひろしま"  # kanji and hiragana: one width only
SPACES = [" ", "\t", "\n", "\r", "\u3000"]
INVISIBLE = [
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u202e",
    "\u2066",
    "\u061c",
    "\u034f",
]

letters = st.sampled_from(ASCII) | st.sampled_from(KATAKANA) | st.sampled_from(OTHER)
bodies = st.text(alphabet=letters, min_size=1, max_size=24)
padding = st.text(alphabet=st.sampled_from(SPACES), max_size=5)


def widen(c: str) -> str:
    return chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c


def to_hiragana(c: str) -> str:
    return chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c


@st.composite
def spelled(draw: st.DrawFn, text: str, case: bool = False, kana: bool = False) -> str:
    """``text`` as someone might type it: each character as is, full width (ASCII), half width
    (katakana), and with ``case`` its letter case swapped, with ``kana`` katakana as hiragana."""
    out = []
    for c in text:
        if case and c.isascii() and c.isalpha() and draw(st.booleans()):
            c = c.swapcase()
        forms = {c, widen(c), HALF.get(c, c)}
        if kana:
            forms.add(to_hiragana(c))
        out.append(draw(st.sampled_from(sorted(forms))))
    return "".join(out)


def as_flag(body: str) -> str:
    return "flag{" + body + "}"


# --- flags ----------------------------------------------------------------------------------------


@st.composite
def sent_flags(draw: st.DrawFn) -> tuple[str, str, str]:
    """A flag and two ways a player might send it: in any mix of widths with any white space
    around it, and the same with the case of some letters changed too."""
    flag = as_flag(draw(bodies))
    typed = draw(padding) + draw(spelled(flag)) + draw(padding)
    return flag, typed, draw(padding) + draw(spelled(flag, case=True)) + draw(padding)


@given(sent_flags(), st.data())
def test_every_width_variant_matches_static_and_case_insensitive_flags(
    sent: tuple[str, str, str], data: st.DataObject
) -> None:
    flag, typed, recased = sent
    assert flag_matches(FlagSpec("static", flag), typed)
    assert flag_matches(FlagSpec("static", flag, CASE_INSENSITIVE), typed)
    # The same holds when the flag was stored in full width or with half-width kana.
    assert flag_matches(FlagSpec("static", data.draw(spelled(flag))), typed)
    assert flag_matches(FlagSpec("static", flag, CASE_INSENSITIVE), recased)
    assert flag_matches(FlagSpec("static", flag), recased) == (
        normalise_submission(recased) == normalise_submission(flag)
    )


@given(bodies, st.data(), padding, padding)
def test_an_exact_flag_matches_only_the_identical_string(
    body: str, data: st.DataObject, before: str, after: str
) -> None:
    stored = data.draw(padding) + data.draw(spelled(as_flag(body), case=True)) + data.draw(padding)
    typed = before + data.draw(spelled(as_flag(body), case=True)) + after
    exact = FlagSpec("static", stored, EXACT)
    assert flag_matches(exact, stored)
    assert flag_matches(exact, typed) == (typed == stored)
    assert flag_matches(FlagSpec("regex", re.escape(stored), EXACT), typed) == (typed == stored)


@given(bodies, bodies, st.data(), padding, padding)
def test_a_wrong_flag_never_matches(
    right: str, wrong: str, data: st.DataObject, before: str, after: str
) -> None:
    flag, other = as_flag(right), as_flag(wrong)
    assume(normalise_submission(flag).casefold() != normalise_submission(other).casefold())
    typed = before + data.draw(spelled(other, case=True)) + after
    for spec in (
        FlagSpec("static", flag),
        FlagSpec("static", flag, CASE_INSENSITIVE),
        FlagSpec("static", flag, EXACT),
        FlagSpec("regex", re.escape(flag)),
        FlagSpec("regex", re.escape(flag), CASE_INSENSITIVE),
        FlagSpec("regex", re.escape(flag), EXACT),
    ):
        assert not flag_matches(spec, typed)


@given(sent_flags(), st.data())
def test_regex_flags_match_under_nfkc_like_static_ones(
    sent: tuple[str, str, str], data: st.DataObject
) -> None:
    flag, typed, recased = sent
    assert flag_matches(FlagSpec("regex", re.escape(flag)), typed)
    assert flag_matches(FlagSpec("regex", r"flag\{.+\}"), typed)
    assert flag_matches(FlagSpec("regex", re.escape(flag), CASE_INSENSITIVE), recased)
    static = flag_matches(FlagSpec("static", flag), recased)
    assert flag_matches(FlagSpec("regex", re.escape(flag)), recased) == static
    # exact: the pattern sees the raw submission, width and white space included
    raw = data.draw(spelled(flag))
    assert flag_matches(FlagSpec("regex", re.escape(flag), EXACT), raw) == (raw == flag)
    assert not flag_matches(FlagSpec("regex", re.escape(flag), EXACT), " " + flag)


# --- names ----------------------------------------------------------------------------------------

names = st.text(alphabet=letters | st.just(" "), min_size=1, max_size=24).filter(str.strip)


@st.composite
def with_invisibles(draw: st.DrawFn, text: str) -> str:
    """``text`` with invisible characters slipped in anywhere (even inside a half-width ｶﾞ)."""
    out = []
    for c in text:
        out.append(draw(st.text(alphabet=st.sampled_from(INVISIBLE), max_size=2)))
        out.append(c)
    return "".join(out) + draw(st.text(alphabet=st.sampled_from(INVISIBLE), max_size=2))


@given(names, st.data(), padding, padding)
def test_width_and_case_variants_are_the_same_name(
    name: str, data: st.DataObject, before: str, after: str
) -> None:
    variant = before + data.draw(spelled(name, case=True)) + after
    assert name_key(variant) == name_key(name)


@given(names, st.data())
def test_invisible_characters_do_not_make_a_new_name(name: str, data: st.DataObject) -> None:
    variant = data.draw(spelled(name, case=True))
    assert name_key(data.draw(with_invisibles(variant))) == name_key(name)


@given(names, st.data())
def test_kana_and_width_variants_search_and_sort_together(name: str, data: st.DataObject) -> None:
    variant = data.draw(with_invisibles(data.draw(spelled(name, case=True, kana=True))))
    assert fold(variant) == fold(name)
    assert sort_key(variant)[:2] == sort_key(name)[:2]
    assert matches(variant, name) and matches(name, variant)
    start = data.draw(st.integers(0, len(name) - 1))
    part = name[start : data.draw(st.integers(start + 1, len(name)))]
    assume(part.strip())
    assert matches(data.draw(spelled(part.strip(), case=True, kana=True)), name)


# --- exact flags: examples ------------------------------------------------------------------------


def test_validate_flag_accepts_exact_and_keeps_the_content_raw() -> None:
    from kizuna.domain.flags import validate_flag

    assert validate_flag("static", " ｆｌａｇ｛x｝\u3000", EXACT) == FlagSpec(
        "static", " ｆｌａｇ｛x｝\u3000", EXACT
    )
    assert validate_flag("regex", r"ｆｌａｇ\{\d+\}", EXACT).data == EXACT


def test_exact_flags_see_the_whole_raw_submission() -> None:
    flag = FlagSpec("static", "ｆｌａｇ｛ｘ｝", EXACT)
    assert flag_matches(flag, "ｆｌａｇ｛ｘ｝")
    assert not flag_matches(flag, "flag{x}")
    assert not flag_matches(flag, "ｆｌａｇ｛ｘ｝\u3000")
    assert not flag_matches(flag, "ｆｌａｇ｛Ｘ｝")
    long = "a" * 5000
    assert flag_matches(FlagSpec("static", long, EXACT), long)
    assert not flag_matches(FlagSpec("static", long[:4096], EXACT), long)  # nothing is cut off
    assert not flag_matches(FlagSpec("regex", "a+", EXACT), long)  # too long to run a pattern on
    assert not flag_matches(flag, "\ud800")  # a lone surrogate from a JSON body compares, not crashes
