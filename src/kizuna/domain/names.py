"""Account and team names.

Two names are the same name when their *keys* are equal: the key is the NFKC normal form, case
folded, with invisible and bidirectional control characters removed and runs of white space collapsed.
So "Ｔｅａｍ" (full width), "team" and "TEAM" cannot be registered as different teams, nor can a name
hiding a zero-width space. Passwords are never normalised.
"""

from __future__ import annotations

import re
import unicodedata

from kizuna.domain.errors import DomainError, ErrorCode

MAX_NAME_LENGTH = 64
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
_SPACE = re.compile(r"\s+")


def clean_name(name: str) -> str:
    """The name as displayed: NFKC, invisible characters removed, white space collapsed and trimmed."""
    text = unicodedata.normalize("NFKC", name)
    text = _INVISIBLE.sub("", text)
    return _SPACE.sub(" ", text).strip()


def name_key(name: str) -> str:
    """The uniqueness key of a name (see module docstring)."""
    return clean_name(name).casefold()


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
