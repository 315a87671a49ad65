"""Invite codes from an unambiguous alphabet, read back however a player types them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizuna.security import (
    INVITE_ALPHABET,
    INVITE_LENGTH,
    invite_key,
    new_invite_code,
    show_invite,
)


def test_new_codes_use_the_alphabet_and_differ() -> None:
    codes = {new_invite_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == INVITE_LENGTH and set(code) <= set(INVITE_ALPHABET)
    assert not set("ILOU") & set(INVITE_ALPHABET)


def test_codes_are_shown_in_groups_of_four() -> None:
    assert show_invite("7K2M9QXA4HZDP3WC") == "7K2M-9QXA-4HZD-P3WC"
    assert show_invite("old_Code-xyz") == "old_Code-xyz"  # made before this alphabet: as it is


@pytest.mark.parametrize(
    "typed",
    [
        "7K2M-9QXA-4HZD-P3WC",
        "7k2m-9qxa-4hzd-p3wc",
        "7K2M9QXA4HZDP3WC",
        " 7K2M 9QXA 4HZD P3WC ",
        "７Ｋ２Ｍ－９ＱＸＡ－４ＨＺＤ－Ｐ３ＷＣ",  # a Japanese keyboard's full-width characters
        "7K2M–9QXA–4HZD–P3WC",  # en dashes, as some editors write hyphens
    ],
)
def test_a_typed_code_is_read_whatever_its_case_spacing_or_width(typed: str) -> None:
    assert invite_key(typed) == "7K2M9QXA4HZDP3WC"


def test_letters_that_look_like_digits_are_read_as_the_digits() -> None:
    assert invite_key("OI2L-0000-1111-2222") == "0121000011112222"


@pytest.mark.parametrize(
    "typed", ["", "7K2M-9QXA", "7K2M-9QXA-4HZD-P3WCX", "7K2M-9QXA-4HZD-P3W!", "U" * 16, "x" * 10_000]
)
def test_what_cannot_be_a_code_is_none(typed: str) -> None:
    assert invite_key(typed) is None


@given(st.text(alphabet=INVITE_ALPHABET, min_size=INVITE_LENGTH, max_size=INVITE_LENGTH))
def test_a_shown_code_reads_back_to_itself(code: str) -> None:
    assert invite_key(show_invite(code)) == code
    assert invite_key(show_invite(code).lower()) == code
