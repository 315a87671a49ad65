"""Certificate codes (domain/certificates.py): random, with a check symbol that catches typing
mistakes, read back as people type them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kizuna.domain.certificates import (
    ALPHABET,
    BODY_LENGTH,
    CODE_LENGTH,
    check_symbol,
    new_code,
    read_code,
    show_code,
    valid_subject,
)


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
