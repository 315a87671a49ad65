"""Certificates (修了証): their codes and who may have one.

A code is 12 random symbols of Crockford's base32 alphabet (60 bits: guessing a valid one among a
million issued takes about 10¹² tries on average) followed by one check symbol, shown in groups of
four: ``7K2M-9QXA-4HZD-P``. The check symbol (a weighted sum modulo 37 over an alphabet of 37, as
ISO 7064's MOD 37-2 does for one character) catches any single mistyped symbol and any swap of two
neighbours before the database is asked; a forged code with a right check symbol is still only
valid if it was issued. Input is read as people type it: any width (a Japanese keyboard's
full-width letters), any case, with spaces or dashes, O read as 0 and I or L as 1.

The name printed is the player's choice, in one script or two ("Taro Yamada" and 山田太郎): each is
cleaned as account names are (NFKC, invisible characters dropped, white space collapsed and trimmed)
and refused, with a message, when it holds control or formatting characters, is longer than
``MAX_PRINTED_NAME`` characters, or when the two are the same name (``printed_names``). Given none,
the account's name is printed alone.
"""

from __future__ import annotations

import secrets
import unicodedata
from enum import StrEnum

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.names import clean_name, control_characters, name_key

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O or U
CHECK_ALPHABET = ALPHABET + "*~$=U"  # Crockford's check symbols (37)
BODY_LENGTH = 12
CODE_LENGTH = BODY_LENGTH + 1
GROUP = 4
_READS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = frozenset(" -_\u00a0\u2010\u2011\u2012\u2013\u2014\u2212\u30fc")
TYPED_MAX = 64

EVENT_SUBJECT = "event"
MAX_SUBJECT = 128
MAX_PRINTED_NAME = 128  # characters, after cleaning
_TYPED_NAME_MAX = 4 * MAX_PRINTED_NAME  # beyond this, not even worth cleaning


class CertificateKind(StrEnum):
    TRACK = "track"  # a completed learning track (学習コース)
    EVENT = "event"  # taking part in the event


def check_symbol(body: str) -> str:
    """The check symbol of a code's body: sum of each symbol's value times its position from the
    right (1, 2, …), modulo 37."""
    total = sum(ALPHABET.index(ch) * (len(body) - i) for i, ch in enumerate(body))
    return CHECK_ALPHABET[total % 37]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_symbol(body)


def read_code(typed: str) -> str | None:
    """A typed code in the stored form, or None when it cannot be one (wrong length, a symbol
    outside the alphabet, or a check symbol that does not match)."""
    if not isinstance(typed, str) or len(typed) > TYPED_MAX:
        return None
    folded = unicodedata.normalize("NFKC", typed).upper()
    compact = "".join(ch for ch in folded if ch not in _SEPARATORS)
    if len(compact) != CODE_LENGTH:
        return None
    body = compact[:BODY_LENGTH].translate(_READS)
    check = compact[BODY_LENGTH]
    if check in "OIL":
        check = check.translate(_READS)
    if any(ch not in ALPHABET for ch in body) or check != check_symbol(body):
        return None
    return body + check


def show_code(code: str) -> str:
    """A stored code in groups of four."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def valid_subject(kind: str, subject: str) -> bool:
    """Is ``subject`` a possible subject of a certificate of ``kind``? (A track key: 1-128 visible
    characters without spaces; the event: "event".)"""
    if kind == CertificateKind.EVENT:
        return subject == EVENT_SUBJECT
    if kind == CertificateKind.TRACK:
        return (
            0 < len(subject) <= MAX_SUBJECT
            and subject.isprintable()
            and not any(c.isspace() for c in subject)
        )
    return False


def clean_printed_name(typed: object, field: str) -> str:
    """One name to print as the player typed it, cleaned; "" when none was given (None or blank)."""
    if typed is None:
        return ""
    if not isinstance(typed, str):
        raise DomainError(ErrorCode.VALUE_INVALID, field=field)
    if len(typed) > _TYPED_NAME_MAX:
        raise DomainError(ErrorCode.NAME_TOO_LONG, field=field, max=MAX_PRINTED_NAME)
    bad = control_characters(typed.strip())
    if bad:
        shown = ", ".join(f"U+{ord(ch):04X}" for ch in bad[:5])
        raise DomainError(ErrorCode.NAME_CONTROL_CHARACTER, field=field, chars=shown)
    cleaned = clean_name(typed)
    if len(cleaned) > MAX_PRINTED_NAME:
        raise DomainError(ErrorCode.NAME_TOO_LONG, field=field, max=MAX_PRINTED_NAME)
    return cleaned


def printed_names(name: object, name_other: object, account_name: str) -> tuple[str, str]:
    """The names a certificate prints: (the main one, the other one or ""). ``name`` and
    ``name_other`` as typed (None or blank: not given); with no ``name``, the account's name is the
    main one. The two may not be the same name (compared as names are: width and case aside)."""
    main = clean_printed_name(name, "name")
    other = clean_printed_name(name_other, "name_other")
    if not main:
        main = clean_name(account_name)[:MAX_PRINTED_NAME]
    if other and name_key(other) == name_key(main):
        raise DomainError(ErrorCode.CERTIFICATE_NAMES_SAME, field="name_other")
    return main, other
