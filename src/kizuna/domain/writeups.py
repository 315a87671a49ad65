"""Write-ups (解説): who may send one, and what a write-up and a prize comment may hold.

A player sends a write-up of a challenge for their account (the team in team mode) once the account
has solved it; after the event has ended, any account that took part (sent at least one answer)
may write up any challenge it can see. One write-up per account and challenge, changed by sending it
again. The text is Markdown, rendered safely when read (``kizuna.markdown``), at most
``MAX_CONTENT`` characters; the judges' prize comment is a short text per language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.limits import TEXT_LIMITS, check_text

MAX_CONTENT = TEXT_LIMITS[("writeups", "content")]
MAX_COMMENT = 500


def may_write(solved: bool, ended: bool, took_part: bool) -> bool:
    """Whether an account may send (or change) its write-up of a challenge it can see."""
    return solved or (ended and took_part)


def ensure_may_write(solved: bool, ended: bool, took_part: bool) -> None:
    if not may_write(solved, ended, took_part):
        raise DomainError(ErrorCode.WRITEUP_NOT_ALLOWED, status=409)


def clean_content(value: object) -> str:
    """The write-up's Markdown: required, at most ``MAX_CONTENT`` characters; kept as typed except
    for trailing white space."""
    if not isinstance(value, str):
        raise DomainError(ErrorCode.VALUE_INVALID, field="content")
    text = value.rstrip()
    if not text.strip():
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="content")
    check_text("content", text, MAX_CONTENT)
    return text


def clean_locale(value: object, locales: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in locales:
        raise DomainError(ErrorCode.LOCALE_INVALID, field="locale", locale=str(value)[:16])
    return value


def clean_comment(value: object, locales: Sequence[str]) -> dict[str, str] | None:
    """A prize comment: {"en": …, "ja": …}, each at most ``MAX_COMMENT`` characters; empty texts
    are left out, and no text at all is None."""
    if value in (None, ""):
        return None
    if not isinstance(value, Mapping):
        raise DomainError(ErrorCode.VALUE_INVALID, field="comment")
    out: dict[str, str] = {}
    for code, text in value.items():
        if code not in locales or not isinstance(text, str):
            raise DomainError(ErrorCode.VALUE_INVALID, field="comment")
        check_text(f"comment.{code}", text.strip(), MAX_COMMENT)
        if text.strip():
            out[code] = text.strip()
    return out or None
