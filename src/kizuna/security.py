"""Passwords, API tokens, signed file links and CSRF nonces."""

from __future__ import annotations

import ctypes
import hashlib
import hmac
import os
import secrets
import threading
import unicodedata
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadData, URLSafeTimedSerializer

# Argon2id with OWASP's recommended minimum (Password Storage Cheat Sheet: 19 MiB, 2 passes, 1 lane).
# argon2-cffi's default (64 MiB, 3 passes, 4 lanes) cost 0.2 s of CPU per log-in here: a thousand
# players logging in at the start whistle would need more than three minutes of both cores (issue
# 9's stampede). These cost 25 ms. Hashes made with other parameters still verify (each hash carries
# its own), so accounts made before keep working.
PASSWORD_TIME_COST = 2
PASSWORD_MEMORY_KIB = 19 * 1024
PASSWORD_LANES = 1
_hasher = PasswordHasher(
    time_cost=PASSWORD_TIME_COST, memory_cost=PASSWORD_MEMORY_KIB, parallelism=PASSWORD_LANES
)


def _keep_big_blocks_mapped() -> None:
    """Each hash takes a 19 MiB block. glibc raises its mmap threshold after the first such block is
    freed, so later ones come from per-thread heaps that keep the memory: forty threads hashing left
    a worker at 380-700 MB (issue 9's stampede). Fixing the threshold at 1 MiB returns every block
    to the system when freed (the same process: 20 MB). Only where glibc's ``mallopt`` exists."""
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_mmap_threshold = -3
    mallopt(m_mmap_threshold, 1 << 20)


_keep_big_blocks_mapped()
# At most one hash computation per core at a time in a process. Each takes 19 MiB; forty log-ins
# at once in forty threads took 700 MB per worker (and the memory stayed with the process) for no
# gain, since the cores were busy anyway. The others wait their turn.
_hashing = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))
# Verified when a login names no existing account, so the response takes as long as a real check
# and does not tell an attacker which names exist.
_DUMMY_HASH = _hasher.hash("kizuna-dummy-password")

TOKEN_PREFIX = "kzn_"  # noqa: S105 - a public prefix that makes tokens recognisable, not a secret


def hash_password(password: str) -> str:
    with _hashing:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        with _hashing:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_hex(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# Invite codes: Crockford's base-32 alphabet (digits and capitals without I, L, O and U), so a code
# read aloud, copied by hand or typed on a phone is never ambiguous; 16 characters (80 bits), shown in
# groups of four ("7K2M-9QXA-4HZD-P3WC"). Typed codes are compared without case, spaces or hyphens,
# with O read as 0 and I or L as 1 (:func:`invite_key`).
INVITE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
INVITE_LENGTH = 16
INVITE_GROUP = 4
_INVITE_READS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_INVITE_SEPARATORS = frozenset(" -_\u00a0\u2010\u2011\u2012\u2013\u2014\u2212\u30fc")
_INVITE_TYPED_MAX = 64  # longer input is not a code (and is not worth folding)


def new_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


def invite_key(typed: str) -> str | None:
    """A typed invite code in the form codes are stored in: width-folded (a Japanese keyboard's
    full-width letters), upper case, without spaces or dashes, O read as 0 and I or L as 1; None
    when what is left cannot be a code."""
    if len(typed) > _INVITE_TYPED_MAX:
        return None
    folded = unicodedata.normalize("NFKC", typed).upper()
    compact = "".join(ch for ch in folded if ch not in _INVITE_SEPARATORS).translate(_INVITE_READS)
    if len(compact) != INVITE_LENGTH or any(ch not in INVITE_ALPHABET for ch in compact):
        return None
    return compact


def show_invite(code: str) -> str:
    """A stored code in groups of four; a code made before this alphabet, as it is."""
    if len(code) == INVITE_LENGTH and all(ch in INVITE_ALPHABET for ch in code):
        return "-".join(code[i : i + INVITE_GROUP] for i in range(0, INVITE_LENGTH, INVITE_GROUP))
    return code


def new_csrf_nonce() -> str:
    return secrets.token_hex(32)


def csrf_ok(expected: str | None, provided: str | None) -> bool:
    return bool(expected) and bool(provided) and hmac.compare_digest(str(expected), str(provided))


# How long a signed file link works. Links are bound to the viewer they were made for and every
# download checks again that this viewer may see the file's challenge now, so the lifetime only
# bounds how long a copied link stays useful to that same viewer. An hour covers a page left open
# and tools such as ctfcli, which read a challenge (with its links) and download straight away with
# the same API token.
FILE_LINK_SECONDS = 3600
# The viewer id a link for a visitor (no account) carries.
ANONYMOUS_VIEWER = 0


class FileSigner:
    """Signed, expiring download links for challenge files (``/files/<location>?token=…``), each
    bound to the viewer it was made for (a user id, or :data:`ANONYMOUS_VIEWER` for a visitor)."""

    def __init__(self, secret: str, max_age: int = FILE_LINK_SECONDS) -> None:
        self._s = URLSafeTimedSerializer(secret, salt="kizuna-file")
        self.max_age = max_age

    def sign(self, location: str, user_id: int | None) -> str:
        return self._s.dumps({"l": location, "u": user_id or ANONYMOUS_VIEWER})

    def url(self, location: str, user_id: int | None) -> str:
        """The download link for a stored file, as CTFd shapes it: ``/files/<location>?token=…``."""
        return f"/files/{quote(location)}?token={quote(self.sign(location, user_id))}"

    def verify(self, token: str, location: str, max_age: int | None = None) -> int | None:
        """The viewer the link was made for (:data:`ANONYMOUS_VIEWER` for a visitor), or None when
        the token is not ours, is for another file, or is older than ``max_age`` seconds."""
        try:
            data = self._s.loads(token, max_age=self.max_age if max_age is None else max_age)
        except BadData:  # a bad signature, an expired one, or a malformed token
            return None
        if not isinstance(data, dict) or data.get("l") != location:
            return None
        user = data.get("u")
        return user if isinstance(user, int) and not isinstance(user, bool) else None
