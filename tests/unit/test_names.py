"""Names: one key per name after NFKC, case folding and removal of invisible characters."""

from __future__ import annotations

import pytest

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.names import (
    MAX_NAME_LENGTH,
    clean_name,
    name_key,
    validate_email,
    validate_name,
    validate_password,
)


@pytest.mark.parametrize(
    "variant", ["team", "TEAM", "Team", "Ｔｅａｍ", "ｔｅａｍ", " team ", "\u3000Team\u3000"]
)
def test_variants_share_a_key(variant: str) -> None:
    assert name_key(variant) == name_key("team") == "team"


@pytest.mark.parametrize(
    "hidden",
    [
        "\u200b",  # zero-width space
        "\u200c",  # zero-width non-joiner
        "\u200d",  # zero-width joiner
        "\u2060",  # word joiner
        "\ufeff",  # byte-order mark
        "\u00ad",  # soft hyphen
        "\u202e",  # right-to-left override
        "\u202a",  # left-to-right embedding
        "\u2066",  # left-to-right isolate
        "\u200f",  # right-to-left mark
        "\u061c",  # Arabic letter mark
    ],
)
def test_invisible_and_bidi_controls_are_stripped(hidden: str) -> None:
    assert name_key(f"te{hidden}am") == "team"
    assert clean_name(f"{hidden}Cyber Wales{hidden}") == "Cyber Wales"


def test_white_space_is_collapsed() -> None:
    assert clean_name("  Cyber \t\n  Hiroshima  ") == "Cyber Hiroshima"
    assert name_key("Cyber\u3000Hiroshima") == name_key("cyber hiroshima")


def test_casefold_not_just_lower() -> None:
    assert name_key("STRASSE") == name_key("straße")


def test_japanese_names_keep_their_form() -> None:
    assert clean_name("サイバー広島") == "サイバー広島"
    # Half-width katakana becomes full width under NFKC.
    assert name_key("ｻｲﾊﾞｰ") == name_key("サイバー")


def test_validate_name_returns_the_cleaned_name() -> None:
    assert validate_name("  Ｃｙｂｅｒ  Wales ") == "Cyber Wales"


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ("", ErrorCode.NAME_EMPTY),
        ("   ", ErrorCode.NAME_EMPTY),
        ("\u3000", ErrorCode.NAME_EMPTY),
        ("x" * (MAX_NAME_LENGTH + 1), ErrorCode.NAME_TOO_LONG),
    ],
)
def test_invalid_names_are_refused_each_with_its_own_reason(bad: str, code: ErrorCode) -> None:
    with pytest.raises(DomainError) as err:
        validate_name(bad, field="team")
    assert err.value.code is code
    assert err.value.field == "team"
    if code is ErrorCode.NAME_TOO_LONG:
        assert err.value.params["max"] == MAX_NAME_LENGTH


@pytest.mark.parametrize("bad", ["\u200b\u200b", "a\x00b", "a\x07b", "Ｃｙｂｅｒ\u200b Wales"])
def test_control_characters_are_refused_with_a_message_not_stripped(bad: str) -> None:
    with pytest.raises(DomainError) as err:
        validate_name(bad, field="team")
    assert err.value.code is ErrorCode.NAME_CONTROL_CHARACTER
    assert err.value.field == "team" and "U+" in err.value.params["chars"]


def test_longest_name_is_accepted() -> None:
    assert validate_name("x" * MAX_NAME_LENGTH) == "x" * MAX_NAME_LENGTH


def test_email_validation() -> None:
    assert validate_email("  dewi@example.org ") == "dewi@example.org"
    for bad in ("dewi", "dewi@", "@example.org", "de wi@example.org", "a@b", "x" * 250 + "@example.org"):
        with pytest.raises(DomainError) as err:
            validate_email(bad)
        assert err.value.code is ErrorCode.EMAIL_INVALID


def test_passwords_are_checked_for_length_only() -> None:
    validate_password("ｐａｓｓｗｏｒｄ")  # never normalised, full width is fine
    with pytest.raises(DomainError) as err:
        validate_password("short")
    assert err.value.code is ErrorCode.PASSWORD_TOO_SHORT
