"""Certificates (修了証): their codes and who may have one.

A code is 12 random symbols of Crockford's base32 alphabet (60 bits: guessing a valid one among a
million issued takes about 10¹² tries on average) followed by one check symbol, shown in groups of
four: ``7K2M-9QXA-4HZD-P``. The check symbol (a weighted sum modulo 37 over an alphabet of 37, as
ISO 7064's MOD 37-2 does for one character) catches any single mistyped symbol and any swap of two
neighbours before the database is asked; a forged code with a right check symbol is still only
valid if it was issued. Input is read as people type it: any width (a Japanese keyboard's
full-width letters), any case, with spaces or dashes, O read as 0 and I or L as 1.
"""

from __future__ import annotations

import secrets
import unicodedata
from enum import StrEnum

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
