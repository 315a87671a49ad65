"""Crypto: a Caesar shift (ROT13) and Base64, both shown in the description."""

from __future__ import annotations

import base64
import codecs

from kizuna.demo.model import DemoChallenge, DemoHint, Given, Text, decode_spans

CAESAR_FLAG = "kizuna{rot13_is_not_encryption}"
CAESAR_TEXT = codecs.encode(CAESAR_FLAG, "rot13")


def solve_caesar(given: Given) -> str:
    """Shift every letter back by 13 (ROT13 undoes itself)."""
    return decode_spans(given.description, lambda span: codecs.decode(span, "rot13"))


CAESAR = DemoChallenge(
    key="caesar",
    category="Crypto",
    name=Text("Caesar's Greeting", "カエサルの挨拶"),
    description=Text(
        "A Roman general left this note. Every letter has moved the same distance along the alphabet; "
        f"digits and symbols stayed where they were.\n\n`{CAESAR_TEXT}`",
        "ローマの将軍がこんなメモを残しました。どの文字もアルファベット順に同じ数だけずらされています。"
        f"数字や記号はそのままです。\n\n`{CAESAR_TEXT}`",
    ),
    flag=CAESAR_FLAG,
    solve=solve_caesar,
    flags=(("static", CAESAR_FLAG, "case_insensitive"),),
    tags=("classical",),
    hints=(
        DemoHint(
            Text("How far?", "ずらす数"),
            Text(
                "`xvmhan` has to become `kizuna`. Count the steps from x to k.",
                "`xvmhan` が `kizuna` になるはずです。x から k まで何文字ずれているか数えてみましょう。",
            ),
            cost=10,
        ),
        DemoHint(
            Text("Half the alphabet", "アルファベットの半分"),
            Text(
                "13 letters: half the alphabet, so shifting again by 13 undoes it (ROT13).",
                "13文字、つまりアルファベットのちょうど半分です。もう一度13文字ずらすと元に戻ります（ROT13）。",
            ),
            cost=25,
        ),
    ),
)

BASE64_FLAG = "kizuna{base64_is_an_encoding}"
BASE64_TEXT = base64.b64encode(BASE64_FLAG.encode()).decode()


def solve_base64(given: Given) -> str:
    """Decode the Base64 text."""
    return decode_spans(given.description, lambda span: base64.b64decode(span, validate=True).decode())


BASE64 = DemoChallenge(
    key="base64",
    category="Crypto",
    name=Text("Base Jump", "ベースジャンプ"),
    description=Text(
        "This text was *encoded*, not encrypted: there is no key, only a well-known alphabet of 64 "
        f"characters.\n\n`{BASE64_TEXT}`",
        "この文字列は暗号化ではなく*符号化*されたものです。鍵はなく、よく知られた64種類の文字だけで"
        f"書かれています。\n\n`{BASE64_TEXT}`",
    ),
    flag=BASE64_FLAG,
    solve=solve_base64,
    tags=("encoding",),
    hints=(
        DemoHint(
            Text("Which alphabet?", "どの文字？"),
            Text(
                "A–Z, a–z, 0–9, `+` and `/`, sometimes `=` at the end: that is Base64. CyberChef or "
                "`base64 -d` decode it.",
                "A–Z、a–z、0–9、`+` と `/`、最後にときどき `=`。これは Base64 です。CyberChef や "
                "`base64 -d` でデコードできます。",
            ),
            cost=25,
        ),
    ),
)

CHALLENGES = (CAESAR, BASE64)
