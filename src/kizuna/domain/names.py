"""Account and team names.

Two names are the same name when their *keys* are equal: the key is the NFKC normal form, case
folded, with invisible and bidirectional control characters removed and runs of white space collapsed.
So "Ｔｅａｍ" (full width), "team" and "TEAM" cannot be registered as different teams, nor can a name
hiding a zero-width space. Passwords are never normalised.

Lists of names are searched and sorted with a further folding that Japanese readers expect: katakana
counts as hiragana, so カタカナ, かたかな and half-width ｶﾀｶﾅ find and sort next to each other
(``matches``, ``sort_key``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import TypeVar

from kizuna.domain.errors import DomainError, ErrorCode

T = TypeVar("T")
MAX_NAME_LENGTH = 64
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
_SPACE = re.compile(r"\s+")


def clean_name(name: str) -> str:
    """The name as displayed: NFKC, invisible characters removed, white space collapsed and trimmed.

    Invisible characters go before normalising too: one between a half-width kana and its voicing
    mark (ｶ\u200bﾞ) would otherwise stop NFKC from composing ガ and make a different name."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", name))
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    return _SPACE.sub(" ", text).strip()


def name_key(name: str) -> str:
    """The uniqueness key of a name (see module docstring)."""
    return clean_name(name).casefold()


# Katakana (ァ…ヶ, and the iteration marks ヽヾ) to the hiragana at the same place in its block.
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in (*range(0x30A1, 0x30F7), 0x30FD, 0x30FE)}
# Small kana sort with their full-size letters, as in a Japanese dictionary (primary key only).
_SMALL_KANA = str.maketrans("ぁぃぅぇぉっゃゅょゎゕゖ", "あいうえおつやゆよわかけ")


def fold(text: str) -> str:
    """Text as lists compare it: the name key (NFKC, case folded, no invisible characters) with
    katakana turned into hiragana."""
    return name_key(text).translate(_KATAKANA_TO_HIRAGANA)


def sort_key(name: str) -> tuple[str, str, str]:
    """Sorts names the way a reader looks for them, whatever the script or width they were typed in.

    First by the folded text without accents and voicing marks and with small kana made full size
    (so か, が and ガ sort together, as do e and é), then by the folded text, then by the name itself,
    so the order is total and deterministic: digits, Latin, kana, then kanji by code point."""
    folded = fold(name)
    primary = "".join(ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch))
    return primary.translate(_SMALL_KANA), folded, clean_name(name)


def matches(query: str, name: str) -> bool:
    """Whether ``query`` is part of ``name`` after folding both (an empty query matches every name)."""
    return fold(query) in fold(name)


def by_name(items: Iterable[T], query: str = "", name: Callable[[T], str] = attrgetter("name")) -> list[T]:
    """The items whose name ``matches`` the query, in ``sort_key`` order; items with the same key
    keep the order they came in (give them by id for a stable list)."""
    folded = fold(query)
    chosen = [item for item in items if folded in fold(name(item))]
    return sorted(chosen, key=lambda item: sort_key(name(item)))


def validate_name(name: str, field: str = "name") -> str:
    """Return the cleaned name, or raise when it is empty, too long or made of control characters."""
    cleaned = clean_name(name)
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH:
        raise DomainError(ErrorCode.NAME_INVALID, field=field, max=MAX_NAME_LENGTH)
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} for ch in cleaned):
        raise DomainError(ErrorCode.NAME_INVALID, field=field, max=MAX_NAME_LENGTH)
    return cleaned


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def validate_email(email: str) -> str:
    cleaned = email.strip()
    if len(cleaned) > 254 or not _EMAIL.match(cleaned):
        raise DomainError(ErrorCode.EMAIL_INVALID, field="email")
    return cleaned


MIN_PASSWORD_LENGTH = 8


def validate_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(ErrorCode.PASSWORD_TOO_SHORT, field=field, min=MIN_PASSWORD_LENGTH)
