"""Reversing: a Python password checker to read backwards, and a tiny Linux program that carries its
flag as plain text."""

from __future__ import annotations

import ast
import re
import struct

from kizuna.demo.model import DemoChallenge, DemoHint, Given, Text, find_flag, search_file

CHECKER_FLAG = "kizuna{xor_twice_is_nothing}"
CHECKER_KEY = 42


def checker() -> dict[str, bytes]:
    secret = ", ".join(str(b ^ CHECKER_KEY) for b in CHECKER_FLAG.encode())
    return {
        "check.py": (
            "# Run me: python3 check.py\n"
            f"SECRET = [{secret}]\n"
            f"KEY = {CHECKER_KEY}\n\n"
            "guess = input('Password: ')\n"
            "if [b ^ KEY for b in guess.encode()] == SECRET:\n"
            "    print('Access granted')\n"
            "else:\n"
            "    print('Access denied')\n"
        ).encode()
    }


def solve_checker(given: Given) -> str:
    """Read the constants (no need to run it) and XOR them with the key again."""
    secret = ast.literal_eval(search_file(given, "check.py", r"SECRET = (\[.*?\])").group(1))
    key = int(search_file(given, "check.py", r"KEY = (\d+)").group(1))
    return bytes(b ^ key for b in secret).decode()


CHECKER = DemoChallenge(
    key="checker",
    category="Reversing",
    name=Text("Password Checker", "パスワード確認プログラム"),
    description=Text(
        "This little program (`check.py`) knows the password, and the password is the flag. Make it "
        "tell you. This challenge's value drops a little with every team that solves it.",
        "この小さなプログラム（配布ファイル `check.py`）はパスワードを知っています。そしてパスワードが"
        "フラグです。プログラムから聞き出してください。この問題は変動配点で、正解したチームが増えるごとに"
        "配点が少しずつ下がります。",
    ),
    flag=CHECKER_FLAG,
    solve=solve_checker,
    files=checker,
    tags=("python",),
    scoring={"type": "dynamic", "function": "logarithmic", "initial": 300, "minimum": 100, "decay": 10},
    hints=(
        DemoHint(
            Text("XOR", "XOR の性質"),
            Text(
                "XOR with the same key twice gives back the original: `(a ^ k) ^ k == a`.",
                "同じ鍵で2回 XOR すると元に戻ります：`(a ^ k) ^ k == a`。",
            ),
            cost=50,
        ),
    ),
)

STRINGS_FLAG = "kizuna{strings_finds_what_you_cannot_see}"
BASE = 0x400000


def tiny_program() -> dict[str, bytes]:
    """A 64-bit Linux program (x86-64, no libraries) that prints a line and exits; the flag sits in
    its data, never printed."""
    message = b"Nothing to see here.\n"
    data = message + b"\x00" + STRINGS_FLAG.encode() + b"\x00"
    header_size, entry_size = 64, 56
    code_at = header_size + entry_size
    code = bytearray()
    code += b"\xb8\x01\x00\x00\x00"  # mov eax, 1 (write)
    code += b"\xbf\x01\x00\x00\x00"  # mov edi, 1 (stdout)
    lea_end = len(code) + 7
    code += b"\x48\x8d\x35" + struct.pack("<i", 0)  # lea rsi, [rip + message], patched below
    code += b"\xba" + struct.pack("<I", len(message))  # mov edx, len
    code += b"\x0f\x05"  # syscall
    code += b"\xb8\x3c\x00\x00\x00"  # mov eax, 60 (exit)
    code += b"\x31\xff"  # xor edi, edi
    code += b"\x0f\x05"  # syscall
    code[lea_end - 4 : lea_end] = struct.pack("<i", len(code) - lea_end)
    size = code_at + len(code) + len(data)
    ident = b"\x7fELF\x02\x01\x01" + bytes(9)
    elf = struct.pack(
        "<16sHHIQQQIHHHHHH", ident, 2, 0x3E, 1, BASE + code_at, header_size, 0, 0, header_size,
        entry_size, 1, 0, 0, 0,
    )  # fmt: skip
    program = struct.pack("<IIQQQQQQ", 1, 5, 0, BASE, BASE, size, size, 0x1000)
    return {"hello": elf + program + bytes(code) + data}


def strings(data: bytes, shortest: int = 4) -> list[str]:
    """What the ``strings`` command prints: runs of printable ASCII."""
    return [m.decode() for m in re.findall(rb"[\x20-\x7e]{%d,}" % shortest, data)]


def solve_strings(given: Given) -> str:
    """Running it shows nothing useful; ``strings hello`` lists the flag."""
    return find_flag("\n".join(strings(given.files["hello"])))


STRINGS = DemoChallenge(
    key="strings",
    category="Reversing",
    name=Text("Strings Attached", "文字列は隠せない"),
    description=Text(
        "`hello` is a tiny 64-bit Linux program. Run it and it claims there is nothing to see. Programs "
        "carry their text inside them, though, whether they print it or not.",
        "`hello` は 64 ビット Linux 用の小さなプログラムです。実行すると「何もない」と言い張ります。"
        "しかしプログラムは、表示するかどうかにかかわらず、使う文字列を中に持っています。",
    ),
    flag=STRINGS_FLAG,
    solve=solve_strings,
    files=tiny_program,
    tags=("linux", "binary"),
    hints=(
        DemoHint(
            Text("A classic tool", "定番のツール"),
            Text(
                "`strings hello` prints every run of readable characters in a file. No need to run it "
                "at all.",
                "`strings hello` は、ファイルの中の読める文字の並びをすべて表示します。実行する必要すら"
                "ありません。",
            ),
            cost=25,
        ),
    ),
)

CHALLENGES = (CHECKER, STRINGS)
