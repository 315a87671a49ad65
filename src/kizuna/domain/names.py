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
from functools import lru_cache
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
    """Return the cleaned name, or raise when it is empty or too long, holds control or invisible
    formatting characters (refused with a message, never silently removed: ``control_characters``),
    or mixes alphabets with letters that look alike (``mixed_script_confusables``)."""
    bad = control_characters(name.strip())
    if bad:
        shown = ", ".join(f"U+{ord(ch):04X}" for ch in bad[:5])
        raise DomainError(ErrorCode.NAME_CONTROL_CHARACTER, field=field, chars=shown)
    cleaned = clean_name(name)
    if not cleaned:
        raise DomainError(ErrorCode.NAME_EMPTY, field=field)
    if len(cleaned) > MAX_NAME_LENGTH:
        raise DomainError(ErrorCode.NAME_TOO_LONG, field=field, max=MAX_NAME_LENGTH)
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} for ch in cleaned):
        raise DomainError(ErrorCode.NAME_INVALID, field=field, max=MAX_NAME_LENGTH)
    confusing = mixed_script_confusables(cleaned)
    if confusing:
        raise DomainError(ErrorCode.NAME_MIXED_SCRIPT, field=field, chars=" ".join(confusing[:5]))
    return cleaned


def validate_display_text(text: str, field: str) -> str:
    """A short text shown beside a name (affiliation, country): refused, with a message naming them,
    when it holds control or invisible formatting characters — a right-to-left override in an
    affiliation would reverse the scoreboard row it sits on."""
    bad = control_characters(text)
    if bad:
        shown = ", ".join(f"U+{ord(ch):04X}" for ch in bad[:5])
        raise DomainError(ErrorCode.TEXT_CONTROL_CHARACTER, field=field, chars=shown)
    return text


# --- control characters and look-alike names ------------------------------------------------------

# Categories refused in a name: control (C0, C1, DEL), format (bidirectional overrides and isolates,
# zero-width characters, soft hyphen), surrogate, private use, unassigned, line and paragraph
# separators. Zero-width (non-)joiners are the one exception, where a script or an emoji sequence
# needs them (``_joiner_needed``).
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_JOINERS = {"\u200c", "\u200d"}
# Scripts that never need a joiner between their letters.
_NO_JOINER_SCRIPTS = {"LATIN", "COMMON", "HAN", "HIRAGANA", "KATAKANA", "INHERITED"}


def _joiner_needed(before: str) -> bool:
    if not before:
        return False
    if (
        unicodedata.category(before) == "So"
        or "\ufe00" <= before <= "\ufe0f"
        or 0x1F3FB <= ord(before) <= 0x1F3FF
    ):
        return True  # emoji sequences (👩‍💻)
    if unicodedata.category(before)[0] not in "LM":
        return False
    from confusable_homoglyphs import categories

    return categories.alias(before) not in _NO_JOINER_SCRIPTS  # Indic, Arabic, Persian…


def control_characters(text: str) -> list[str]:
    """The characters of ``text`` a name may not hold (see ``_REFUSED_CATEGORIES``), in order."""
    found: list[str] = []
    for i, ch in enumerate(text):
        if unicodedata.category(ch) not in _REFUSED_CATEGORIES:
            continue
        if ch in _JOINERS and _joiner_needed(text[i - 1] if i else ""):
            continue
        if ch not in found:
            found.append(ch)
    return found


# Scripts that are written together: Japanese mixes kanji, hiragana, katakana and Latin letters
# (広島サイバー, Cyber広島, CTFチーム), Chinese and Korean likewise with Latin (Unicode TS #39's
# "highly restrictive" level). Common characters (digits, punctuation, the prolonged sound mark)
# and combining marks belong to every script.
_SCRIPT_SETS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
_ANY_SCRIPT = {"COMMON", "INHERITED"}


def _scripts(text: str) -> set[str]:
    from confusable_homoglyphs import categories

    return {categories.alias(ch) for ch in text} - _ANY_SCRIPT


def mixed_script_confusables(name: str) -> list[str]:
    """The letters that make ``name`` a mixed-script look-alike ("Cybеr" with a Cyrillic е among
    Latin letters), using Unicode's confusables data (``confusable_homoglyphs``): letters outside
    the name's main script that look like letters of it. [] when the name keeps to one script, or to
    scripts written together (Japanese: kanji, kana and Latin)."""
    scripts = _scripts(name)
    if len(scripts) <= 1 or any(scripts <= allowed for allowed in _SCRIPT_SETS):
        return []
    from collections import Counter

    from confusable_homoglyphs import categories, confusables

    counts = Counter(categories.alias(ch) for ch in name if categories.alias(ch) not in _ANY_SCRIPT)
    main = max(sorted(counts), key=lambda script: counts[script])
    hits = confusables.is_confusable(name, greedy=True, preferred_aliases=[main, *_ANY_SCRIPT])
    return [hit["character"] for hit in hits or []]


@lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    """Each confusable character to one representative of the characters it looks like (an ASCII
    one when there is one), from Unicode's confusables data: classes joined transitively."""
    from confusable_homoglyphs import confusables

    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for char, glyphs in confusables.confusables_data.items():
        char = char.replace("\u200e", "")
        if len(char) != 1:
            continue
        for glyph in glyphs:
            other = glyph["c"].replace("\u200e", "")
            if len(other) == 1:
                a, b = find(char), find(other)
                if a != b:
                    parent[a] = b
    members: dict[str, list[str]] = {}
    for char in list(parent):
        members.setdefault(find(char), []).append(char)
    table: dict[str, str] = {}
    for group in members.values():
        best = min(group, key=lambda c: (not c.isascii(), not c.isalnum(), ord(c)))
        for char in group:
            table[char] = best
    return table


@lru_cache(maxsize=65536)
def skeleton(name: str) -> str:
    """The look-alike key of a name: its name key (NFKC, case folded, no invisible characters) with
    every character replaced by the representative of the characters it can be confused with, so
    "Cybеr Wales" (Cyrillic е) and "Cyber Wales", or チーム and チ一ム (kanji 一), share a key."""
    table = _prototypes()
    key = unicodedata.normalize("NFD", name_key(name))
    mapped = "".join(table.get(ch, ch) for ch in key)
    return unicodedata.normalize("NFC", mapped).casefold()


def look_alike(name: str, others: Iterable[str]) -> str | None:
    """The first of ``others`` that looks like ``name`` (same skeleton, different name key)."""
    mine, key = skeleton(name), name_key(name)
    for other in others:
        if skeleton(other) == mine and name_key(other) != key:
            return other
    return None


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def validate_email(email: str) -> str:
    cleaned = email.strip()
    if len(cleaned) > 254 or not _EMAIL.match(cleaned):
        raise DomainError(ErrorCode.EMAIL_INVALID, field="email")
    return cleaned


MIN_PASSWORD_LENGTH = 8
# Checked before hashing: a password is never longer than this (argon2 would hash a megabyte).
MAX_PASSWORD_LENGTH = 256


def validate_password(password: str, field: str = "password") -> None:
    """Registration, a password change and a reset: at least ``MIN_PASSWORD_LENGTH`` characters and
    at most ``MAX_PASSWORD_LENGTH``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(ErrorCode.PASSWORD_TOO_SHORT, field=field, min=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(ErrorCode.PASSWORD_TOO_LONG, field=field, max=MAX_PASSWORD_LENGTH)
