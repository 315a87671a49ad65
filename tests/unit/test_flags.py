"""Flag matching: exact and case-insensitive static flags, full-match regexes, IME-friendly input,
refusal of catastrophic regexes, and constant-time comparison."""

from __future__ import annotations

import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizuna.domain import flags as flags_module
from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.flags import (
    FlagSpec,
    any_flag_matches,
    check_regex_safe,
    flag_matches,
    normalise_submission,
    validate_flag,
)

STATIC = FlagSpec("static", "flag{Hello_World}")
INSENSITIVE = FlagSpec("static", "flag{Hello_World}", "case_insensitive")


def test_static_is_exact() -> None:
    assert flag_matches(STATIC, "flag{Hello_World}")
    assert not flag_matches(STATIC, "flag{hello_world}")
    assert not flag_matches(STATIC, "flag{Hello_World")
    assert not flag_matches(STATIC, "flag{Hello_World}x")
    assert not flag_matches(STATIC, "")


def test_static_case_insensitive() -> None:
    assert flag_matches(INSENSITIVE, "FLAG{hello_world}")
    assert flag_matches(INSENSITIVE, "ｆｌａｇ｛ＨＥＬＬＯ＿ｗｏｒｌｄ｝")
    assert not flag_matches(INSENSITIVE, "flag{hello_world!}")


def test_regex_must_match_the_whole_submission() -> None:
    regex = FlagSpec("regex", r"flag\{\d+\}")
    assert flag_matches(regex, "flag{123}")
    assert not flag_matches(regex, "xflag{123}")  # re.search would accept these
    assert not flag_matches(regex, "flag{123}x")
    assert not flag_matches(regex, "flag{123}\nflag{4}")


def test_regex_case_insensitive_and_alternatives() -> None:
    regex = FlagSpec("regex", r"kizuna\{(a )?bonds?\}", "case_insensitive")
    for answer in ("kizuna{bond}", "KIZUNA{A Bonds}", "　kizuna{bonds}　"):
        assert flag_matches(regex, answer)
    assert not flag_matches(regex, "kizuna{bondage}")


def test_an_uncompilable_stored_regex_matches_nothing() -> None:
    assert not flag_matches(FlagSpec("regex", "flag{(unclosed"), "flag{(unclosed")


def test_unknown_flag_type_matches_nothing() -> None:
    assert not flag_matches(FlagSpec("plugin-kind", "x"), "x")


def test_normalisation_nfkc_and_trim_including_ideographic_space() -> None:
    assert normalise_submission("\u3000ｆｌａｇ｛ａｂｃ｝\u3000\n") == "flag{abc}"
    assert normalise_submission(" \t flag{a b} \r\n") == "flag{a b}"
    assert flag_matches(FlagSpec("static", "flag{abc}"), "\u3000\u3000ｆｌａｇ｛ａｂｃ｝ ")


def test_stored_flag_is_normalised_too() -> None:
    assert flag_matches(FlagSpec("static", "ｆｌａｇ｛x｝"), "flag{x}")


def test_japanese_flags_match_themselves() -> None:
    flag = FlagSpec("static", "flag{絆は力}")
    assert flag_matches(flag, "flag{絆は力}")
    assert flag_matches(flag, "　ｆｌａｇ｛絆は力｝")


def test_very_long_submissions_are_cut_before_matching() -> None:
    assert not flag_matches(STATIC, "flag{Hello_World}" + "x" * 10_000)


def test_any_flag_matches_checks_every_flag() -> None:
    seen: list[str] = []
    original = flags_module.flag_matches

    def spy(flag: FlagSpec, submission: str) -> bool:
        seen.append(flag.content)
        return original(flag, submission)

    flags = [FlagSpec("static", "one"), FlagSpec("static", "two"), FlagSpec("static", "three")]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(flags_module, "flag_matches", spy)
        assert any_flag_matches(flags, "one")
        assert not any_flag_matches(flags, "four")
    # Timing must not reveal which flag matched: all three were compared both times.
    assert seen == ["one", "two", "three"] * 2
    assert not any_flag_matches([], "anything")


def test_static_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(flags_module.hmac, "compare_digest", spy)
    assert flag_matches(STATIC, "flag{Hello_World}")
    assert not flag_matches(INSENSITIVE, "nope")
    assert len(calls) == 2
    assert all(isinstance(a, bytes) and isinstance(b, bytes) for a, b in calls)


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a+)+",
        r"(a|a)*",
        r"(.*)*",
        r"(a*)*b",
        r"(\w+\s?)+$",
        r"(a|ab)*c",
        r"(?:a+){2,}",
        r"(a)\1",
        r"(?P<x>a)(?P=x)",
        r"(a)?(?(1)b|c)",
    ],
)
def test_dangerous_regexes_are_refused(pattern: str) -> None:
    with pytest.raises(DomainError) as err:
        validate_flag("regex", pattern, "")
    assert err.value.code is ErrorCode.REGEX_DANGEROUS
    assert err.value.field == "content"


@pytest.mark.parametrize(
    "pattern",
    [
        r"kizuna\{[a-z_]+\}",
        r"flag\{\d{4}\}",
        r"(ab|cd)+",
        r"(a|b)*",
        r"[a-z]+_[0-9]+",
        r"kizuna\{(a )?bonds?\}",
        r"(a{1,5}){1,5}",
        r"flag\{.*\}",
        r"(?i)ctf\{[^}]{1,64}\}",
    ],
)
def test_safe_regexes_are_accepted(pattern: str) -> None:
    spec = validate_flag("regex", pattern, "case_insensitive")
    assert spec == FlagSpec("regex", pattern, "case_insensitive")


def test_invalid_and_overlong_regexes_are_refused() -> None:
    with pytest.raises(DomainError) as err:
        check_regex_safe("flag{(unclosed")
    assert err.value.code is ErrorCode.REGEX_INVALID
    with pytest.raises(DomainError) as err:
        check_regex_safe("a" * 1001)
    assert err.value.code is ErrorCode.REGEX_DANGEROUS


def test_validate_flag_rejects_bad_input() -> None:
    for args, code in [
        (("exotic", "x", ""), ErrorCode.FLAG_TYPE_UNKNOWN),
        (("static", "", ""), ErrorCode.FIELD_REQUIRED),
        (("static", "x", "sometimes"), ErrorCode.VALUE_INVALID),
    ]:
        with pytest.raises(DomainError) as err:
            validate_flag(*args)
        assert err.value.code is code
    assert validate_flag("static", "x", None) == FlagSpec("static", "x", "")


# --- property: full-width input from a Japanese keyboard matches the ASCII flag ------------------

ascii_flags = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)
# Ideographic space, ordinary white space: what an IME or a copy-paste leaves around the flag.
padding = st.text(alphabet=st.sampled_from(["\u3000", " ", "\t", "\n", "\r"]), max_size=4)


def to_fullwidth(text: str, mask: list[bool]) -> str:
    """Replace the chosen ASCII characters by their full-width forms (U+FF01..U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if full else c for c, full in zip(text, mask, strict=False))


@given(ascii_flags, st.data(), padding, padding)
def test_fullwidth_variants_match_static_flag(
    flag: str, data: st.DataObject, before: str, after: str
) -> None:
    mask = data.draw(st.lists(st.booleans(), min_size=len(flag), max_size=len(flag)))
    typed = before + to_fullwidth(flag, mask) + after
    assert flag_matches(FlagSpec("static", flag), typed)
    assert flag_matches(FlagSpec("static", flag, "case_insensitive"), typed.upper())
    assert not flag_matches(FlagSpec("static", flag), typed + "!")
