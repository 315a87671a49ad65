"""Certificate codes (domain/certificates.py): random, with a check symbol that catches typing
mistakes, read back as people type them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizuna.domain.certificates import (
    ALPHABET,
    BODY_LENGTH,
    CODE_LENGTH,
    MAX_PRINTED_NAME,
    check_symbol,
    new_code,
    printed_names,
    read_code,
    show_code,
    valid_subject,
)
from kizuna.domain.errors import DomainError, ErrorCode


def test_a_new_code_reads_back_in_any_form() -> None:
    code = new_code()
    assert len(code) == CODE_LENGTH and read_code(code) == code
    shown = show_code(code)
    assert shown.count("-") == 3 and read_code(shown) == code
    assert read_code(shown.lower()) == code
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in shown)
    assert read_code(full_width) == code  # a Japanese keyboard's full-width letters
    assert read_code(" " + shown.replace("-", " ") + " ") == code


def test_codes_are_random() -> None:
    assert len({new_code() for _ in range(200)}) == 200


@given(st.text(alphabet=ALPHABET, min_size=BODY_LENGTH, max_size=BODY_LENGTH), st.data())
def test_any_single_changed_symbol_is_caught(body: str, data: st.DataObject) -> None:
    code = body + check_symbol(body)
    at = data.draw(st.integers(0, BODY_LENGTH - 1))
    other = data.draw(st.sampled_from([c for c in ALPHABET if c != body[at]]))
    altered = code[:at] + other + code[at + 1 :]
    assert read_code(altered) is None


@given(
    st.text(alphabet=ALPHABET, min_size=BODY_LENGTH, max_size=BODY_LENGTH), st.integers(0, BODY_LENGTH - 2)
)
def test_a_swap_of_neighbours_is_caught(body: str, at: int) -> None:
    if body[at] == body[at + 1]:
        return
    swapped = body[:at] + body[at + 1] + body[at] + body[at + 2 :]
    assert read_code(swapped + check_symbol(body)) is None


def test_what_cannot_be_a_code() -> None:
    for typed in ("", "short", "X" * 200, "ABCD-EFGH-JKMN-PQ", "ÄBCD-EFGH-JKMN-P", "\x00" * 13):
        assert read_code(typed) is None


def test_subjects() -> None:
    assert valid_subject("event", "event") and not valid_subject("event", "other")
    assert valid_subject("track", "web-basics") and not valid_subject("track", "has space")
    assert not valid_subject("track", "") and not valid_subject("track", "x" * 129)
    assert not valid_subject("badge", "x")


# --- the names printed ------------------------------------------------------------------------------


def test_printed_names_are_cleaned_and_default_to_the_account_name() -> None:
    assert printed_names(None, None, "  山田太郎 ") == ("山田太郎", "")
    assert printed_names("   ", "", "taro") == ("taro", "")  # blank: not given
    # NFKC (full-width Latin, half-width kana), white space collapsed and trimmed.
    assert printed_names(" Ｔａｒｏ   Yamada ", "ﾔﾏﾀﾞ ﾀﾛｳ", "x") == ("Taro Yamada", "ヤマダ タロウ")
    assert printed_names(None, "山田太郎", "Taro Yamada") == ("Taro Yamada", "山田太郎")
    longest = "あ" * MAX_PRINTED_NAME
    assert printed_names(longest, None, "x") == (longest, "")


def _refused(name: object, other: object, account: str = "account") -> DomainError:
    with pytest.raises(DomainError) as refused:
        printed_names(name, other, account)
    return refused.value


def test_printed_names_refuse_what_cannot_be_printed() -> None:
    too_long = _refused("a" * (MAX_PRINTED_NAME + 1), None)
    assert (too_long.code, too_long.field, too_long.params["max"]) == (
        ErrorCode.NAME_TOO_LONG,
        "name",
        MAX_PRINTED_NAME,
    )
    assert _refused(None, "b" * 5000).field == "name_other"  # huge input: refused before cleaning
    for bad in ("Taro\u202eYamada", "Taro\nYamada", "Taro\x00", "\u200bTaro\u200b"):
        error = _refused(bad, None)
        assert error.code is ErrorCode.NAME_CONTROL_CHARACTER and error.field == "name"
    assert _refused(5, None).code is ErrorCode.VALUE_INVALID
    assert _refused(None, ["a", "b"]).code is ErrorCode.VALUE_INVALID
    # The same name twice, whatever the width or case; or the account's name repeated.
    same = _refused("Taro Yamada", "ＴＡＲＯ  yamada")
    assert (same.code, same.field) == (ErrorCode.CERTIFICATE_NAMES_SAME, "name_other")
    assert _refused(None, "Account", "account").code is ErrorCode.CERTIFICATE_NAMES_SAME


@given(st.text(max_size=300), st.text(max_size=300))
def test_printed_names_either_refuse_or_give_clean_bounded_names(name: str, other: str) -> None:
    try:
        main, second = printed_names(name, other, "fallback")
    except DomainError as error:
        assert error.field in ("name", "name_other")
        return
    for printed in (main, second):
        assert len(printed) <= MAX_PRINTED_NAME and printed == printed.strip()
        assert all(ch.isprintable() or ch == " " for ch in printed), printed
    assert main and main != second
