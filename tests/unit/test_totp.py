"""TOTP (RFC 6238) and HOTP (RFC 4226) against the RFCs' own test vectors, the replay window and the
otpauth URI authenticator apps read."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from kizuna.domain import totp

# RFC 4226 appendix D: key "12345678901234567890", counters 0..9.
HOTP_VECTORS = [
    "755224",
    "287082",
    "359152",
    "969429",
    "338314",
    "254676",
    "287922",
    "162583",
    "399871",
    "520489",
]

# RFC 6238 appendix B: eight digits, 30-second steps, one key per algorithm.
KEYS = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
TOTP_VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]

SECRET = base64.b32encode(KEYS["SHA1"]).decode()  # GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ


@pytest.mark.parametrize(("counter", "expected"), list(enumerate(HOTP_VECTORS)))
def test_hotp_rfc4226_vectors(counter: int, expected: str) -> None:
    assert totp.hotp(KEYS["SHA1"], counter) == expected


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), TOTP_VECTORS)
def test_totp_rfc6238_vectors(at: int, sha1: str, sha256: str, sha512: str) -> None:
    for algorithm, expected in (("SHA1", sha1), ("SHA256", sha256), ("SHA512", sha512)):
        assert totp.totp(KEYS[algorithm], at, digits=8, algorithm=algorithm) == expected
    # The six-digit code apps show is the last six digits of the same number.
    assert totp.totp(KEYS["SHA1"], at) == sha1[-6:]


def test_new_secrets_are_base32_160_bits_and_differ() -> None:
    secrets = {totp.new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert len(secret) == 32 and "=" not in secret
        assert len(totp.secret_key(secret)) == totp.SECRET_BYTES


def test_secret_key_accepts_spaces_and_lower_case_and_refuses_other_text() -> None:
    assert totp.secret_key(totp.grouped(SECRET).lower()) == KEYS["SHA1"]
    for bad in ("", "not base32!", "ABC1"):
        with pytest.raises(ValueError):
            totp.secret_key(bad)


def test_verify_accepts_one_step_either_side_and_nothing_further() -> None:
    at = 1_700_000_000
    now = totp.step_at(at)
    for step, ok in ((now - 2, False), (now - 1, True), (now, True), (now + 1, True), (now + 2, False)):
        code = totp.hotp(KEYS["SHA1"], step)
        verdict = totp.verify(SECRET, code, at)
        assert verdict.ok is ok, step
        if ok:
            assert verdict.step == step


def test_a_used_step_cannot_be_used_again() -> None:
    at = 1_700_000_000
    code = totp.totp(KEYS["SHA1"], at)
    first = totp.verify(SECRET, code, at)
    assert first.ok
    again = totp.verify(SECRET, code, at + 5, last_step=first.step)
    assert not again.ok and again.replayed
    # An earlier step inside the window is spent too once a later one was used.
    earlier = totp.hotp(KEYS["SHA1"], first.step - 1)
    assert not totp.verify(SECRET, earlier, at, last_step=first.step).ok
    # The next step's code is fine.
    later = totp.totp(KEYS["SHA1"], at + totp.PERIOD)
    assert totp.verify(SECRET, later, at + totp.PERIOD, last_step=first.step).ok


def test_typed_codes_are_normalised() -> None:
    at = 1_234_567_890
    code = totp.totp(KEYS["SHA1"], at)
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in code)  # what a Japanese IME types
    for typed in (code, f" {code[:3]} {code[3:]} ", f"{code[:3]}-{code[3:]}", full_width):
        assert totp.looks_like_code(typed)
        assert totp.verify(SECRET, typed, at).ok, typed
    for wrong in ("", "12345", "1234567", "abcdef", "１２３"):
        assert not totp.verify(SECRET, wrong, at).ok


def test_provisioning_uri_names_issuer_and_account() -> None:
    uri = totp.provisioning_uri(SECRET, "佐藤 hanako", "Kizuna CTF: Hiroshima")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    assert unquote(parts.path) == "/Kizuna CTF Hiroshima:佐藤 hanako"  # the issuer's colon is dropped
    query = parse_qs(parts.query)
    assert query == {
        "secret": [SECRET],
        "issuer": ["Kizuna CTF Hiroshima"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }
    assert " " not in uri and "+" not in uri  # spaces are %20, which every app reads
    assert totp.provisioning_uri(SECRET, "a", "").startswith("otpauth://totp/Kizuna:a?")


def test_recovery_codes() -> None:
    codes = {totp.new_recovery_code() for _ in range(100)}
    assert len(codes) == 100
    for code in codes:
        assert len(code) == totp.RECOVERY_LENGTH + 1 and code[5] == "-"
        assert totp.looks_like_recovery(code)
        assert totp.normalize_recovery(code.upper().replace("-", " ")) == code.replace("-", "")
    assert not totp.looks_like_recovery("123456")
    assert not totp.looks_like_recovery("abcde-fghi0")  # 0 is not in the alphabet
