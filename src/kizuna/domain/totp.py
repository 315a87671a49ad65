"""Time-based one-time passwords (TOTP, RFC 6238) for two-factor authentication, and recovery codes.

Authenticator apps agree on one profile: HMAC-SHA-1, six digits, a 30-second time step. A code is
accepted for the current step and one step either side (clock drift and typing time), and only for a
step later than the last one accepted for the account, so a code seen over someone's shoulder
cannot be used again. Pure functions: the caller supplies the time and stores the last step.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

DIGITS = 6
PERIOD = 30  # seconds per time step
WINDOW = 1  # steps accepted either side of the current one
SECRET_BYTES = 20  # 160 bits, RFC 4226's recommended key length (32 base32 characters)
ALGORITHMS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}

RECOVERY_CODES = 10
# Lower-case letters and digits without the look-alikes 0/o, 1/l/i: ten of them are ~49 bits.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10


def new_secret() -> str:
    """A fresh shared secret, base32 without padding (what authenticator apps accept)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def secret_key(secret: str) -> bytes:
    """The key bytes of a base32 secret (spaces and lower case allowed); ValueError if it is not one."""
    clean = "".join(secret.split()).upper()
    if not clean or any(ch not in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for ch in clean):
        raise ValueError("not a base32 secret")
    return base64.b32decode(clean + "=" * (-len(clean) % 8))


def hotp(key: bytes, counter: int, digits: int = DIGITS, algorithm: str = "SHA1") -> str:
    """RFC 4226: the ``digits``-digit code for ``counter`` (dynamic truncation of the HMAC)."""
    mac = hmac.new(key, struct.pack(">Q", counter), ALGORITHMS[algorithm]).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def step_at(unix_time: float, period: int = PERIOD) -> int:
    """The time step a moment (seconds since 1970, UTC) falls in."""
    return int(unix_time // period)


def totp(
    key: bytes, unix_time: float, digits: int = DIGITS, period: int = PERIOD, algorithm: str = "SHA1"
) -> str:
    """RFC 6238: the code valid at ``unix_time``."""
    return hotp(key, step_at(unix_time, period), digits, algorithm)


def normalize_code(text: str) -> str:
    """What was typed, as the app shows it: full-width digits from a Japanese IME become ASCII, and
    spaces and hyphens (``123 456``) are dropped."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "-‐－ー")


def looks_like_code(text: str) -> bool:
    """Six ASCII digits once normalised (anything else may be a recovery code)."""
    code = normalize_code(text)
    return len(code) == DIGITS and code.isascii() and code.isdigit()


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking a code: ``step`` is the step it matched (store it as the last one)
    when ``ok``; ``replayed`` says it matched a step already used."""

    ok: bool
    step: int = 0
    replayed: bool = False


def verify(secret: str, code: str, unix_time: float, last_step: int = 0, window: int = WINDOW) -> Verdict:
    """Check ``code`` against the steps around ``unix_time``; steps up to ``last_step`` are spent."""
    typed = normalize_code(code)
    if len(typed) != DIGITS or not typed.isascii() or not typed.isdigit():
        return Verdict(False)
    key = secret_key(secret)
    now = step_at(unix_time)
    replayed = False
    for step in range(now - window, now + window + 1):
        if hmac.compare_digest(hotp(key, step), typed):
            if step > last_step:
                return Verdict(True, step)
            replayed = True
    return Verdict(False, replayed=replayed)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI a QR code carries (Google's Key Uri Format, understood by every
    authenticator app): label ``issuer:account``, and the issuer again as a parameter."""
    issuer = " ".join(issuer.replace(":", " ").split()) or "Kizuna"
    account = " ".join(account.replace(":", " ").split())
    label = f"{quote(issuer, safe='')}:{quote(account, safe='')}"
    return (
        f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer, safe='')}"
        f"&algorithm=SHA1&digits={DIGITS}&period={PERIOD}"
    )


def grouped(secret: str, size: int = 4) -> str:
    """A secret in groups of four for typing it by hand (apps ignore the spaces)."""
    return " ".join(secret[i : i + size] for i in range(0, len(secret), size))


def new_recovery_code() -> str:
    """One single-use recovery code, shown as ``abcde-fghjk``."""
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    half = RECOVERY_LENGTH // 2
    return f"{raw[:half]}-{raw[half:]}"


def normalize_recovery(text: str) -> str:
    """A typed recovery code in its stored form: lower case, no spaces or hyphens (full-width input
    folded first)."""
    return normalize_code(text).lower()


def looks_like_recovery(text: str) -> bool:
    code = normalize_recovery(text)
    return len(code) == RECOVERY_LENGTH and all(ch in RECOVERY_ALPHABET for ch in code)
