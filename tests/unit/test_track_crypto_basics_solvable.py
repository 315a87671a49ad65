"""The shipped track crypto-basics is solvable from its own lessons, in English and in Japanese.

The folder is read directly (track.yml and the lesson markdown, no importer). For every task the test
takes the ciphertext, encoded string, key or word list from the lesson's own fenced code blocks (each
named by its info string, e.g. ```base64-flag), applies the method the lesson teaches, and checks that
the result is exactly the flag or an accepted answer in track.yml. Both languages' lessons must carry
the very same values. The worked examples are checked too, so a lesson never teaches a wrong result.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import itertools
import math
import re
import string
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt

from kizuna.markdown import render_markdown

TRACK_DIR = Path(__file__).resolve().parents[2] / "src" / "kizuna" / "demo" / "tracks" / "crypto-basics"
LANGS = ("en", "ja")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
FLAG_RE = re.compile(r"^kizuna\{[\x21-\x7e]+\}$")
YOUR_TURN = {"en": "## Your turn", "ja": "## やってみよう"}
WORKED_EXAMPLE = {"en": "## Worked example", "ja": "## 例題"}
# Fenced blocks with these info strings are prose illustrations, not task data.
ILLUSTRATION = {"", "text", "python"}


# --- reading the folder ------------------------------------------------------------------------


def load_track() -> dict[str, Any]:
    data = yaml.safe_load((TRACK_DIR / "track.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


TRACK = load_track()
LESSONS: list[dict[str, Any]] = [lesson for module in TRACK["modules"] for lesson in module["lessons"]]
TASKS: list[tuple[str, dict[str, Any]]] = [
    (lesson["id"], task) for lesson in LESSONS for task in lesson["tasks"]
]


def body(lesson_id: str, lang: str) -> str:
    return (TRACK_DIR / "lessons" / f"{lesson_id}.{lang}.md").read_text(encoding="utf-8")


def blocks(lesson_id: str, lang: str) -> dict[str, str]:
    """The lesson's named fenced code blocks: info string → content."""
    named: dict[str, str] = {}
    for token in MarkdownIt("commonmark").parse(body(lesson_id, lang)):
        if token.type == "fence" and token.info.strip() not in ILLUSTRATION:
            name = token.info.strip()
            assert name not in named, f"{lesson_id}.{lang}: two blocks named {name}"
            named[name] = token.content
    return named


def fields(block: str) -> dict[str, str]:
    """`name = value` lines of a block."""
    out: dict[str, str] = {}
    for line in block.splitlines():
        if line.strip():
            name, _, value = line.partition(" = ")
            assert value, f"not a `name = value` line: {line!r}"
            out[name.strip()] = value.strip()
    return out


def task(task_id: str) -> dict[str, Any]:
    return next(t for _, t in TASKS if t["id"] == task_id)


def accepted(task_id: str, answer: str) -> bool:
    """A text answer as the platform compares it: trimmed and, unless case-sensitive, casefolded."""
    t = task(task_id)
    assert t["type"] == "text"
    if t.get("case_sensitive", False):
        return answer.strip() in [a.strip() for a in t["answers"]]
    return answer.strip().casefold() in [a.strip().casefold() for a in t["answers"]]


# --- the methods the lessons teach (written independently of the lessons' own snippets) ---------


def caesar(text: str, shift: int) -> str:
    out = []
    for ch in text:
        if ch in string.ascii_lowercase:
            out.append(chr((ord(ch) - ord("a") + shift) % 26 + ord("a")))
        elif ch in string.ascii_uppercase:
            out.append(chr((ord(ch) - ord("A") + shift) % 26 + ord("A")))
        else:
            out.append(ch)
    return "".join(out)


def vigenere(text: str, key: str, direction: int) -> str:
    """Only letters are shifted; other characters pass through and use up no key letter."""
    shifts = [ord(k) - ord("a") for k in key.lower()]
    out, used = [], 0
    for ch in text:
        if ch in string.ascii_letters:
            out.append(caesar(ch, direction * shifts[used % len(shifts)]))
            used += 1
        else:
            out.append(ch)
    return "".join(out)


def xor(data: bytes, key: bytes) -> bytes:
    return bytes(b ^ key[i % len(key)] for i, b in enumerate(data))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def is_prime(n: int) -> bool:
    return n > 1 and all(n % k for k in range(2, math.isqrt(n) + 1))


def private_exponent_by_hand(e: int, phi: int) -> int:
    """The lesson's method: try k = 1, 2, … until 1 + k·φ divides by e."""
    k = 1
    while (1 + k * phi) % e:
        k += 1
    return (1 + k * phi) // e


# --- one solver per non-choice task: (lesson blocks) -> the value track.yml must accept ----------


def solve_base64_flag(b: dict[str, str]) -> str:
    return base64.b64decode(b["base64-flag"].strip(), validate=True).decode("ascii")


def solve_hex_flag(b: dict[str, str]) -> str:
    return bytes.fromhex(b["hex-flag"]).decode("ascii")


def solve_caesar_word(b: dict[str, str]) -> str:
    f = fields(b["caesar-task"])
    return caesar(f["ciphertext"], -int(f["shift"]))


def solve_rot13_flag(b: dict[str, str]) -> str:
    decoded = caesar(b["rot13-flag"].strip(), 13)
    assert decoded == codecs.decode(b["rot13-flag"].strip(), "rot13")
    return decoded


def solve_caesar_key_count(b: dict[str, str]) -> str:
    alphabet = string.ascii_lowercase
    return str(sum(1 for k in range(26) if caesar(alphabet, k) != alphabet))


def most_common_letter_shift(ciphertext: str) -> int:
    counts = Counter(ch for ch in ciphertext.lower() if ch in string.ascii_lowercase).most_common()
    assert counts[0][1] > counts[1][1], "the most common letter must be unambiguous"
    return (ord(counts[0][0]) - ord("e")) % 26


def solve_frequency_shift(b: dict[str, str]) -> str:
    ciphertext = b["frequency-task"].strip()
    shift = most_common_letter_shift(ciphertext)
    # The guess checks out the way the lesson says: the decryption reads as English.
    plaintext = caesar(ciphertext, -shift)
    assert {"the", "and", "at"} <= set(plaintext.split()), plaintext
    return str(shift)


def solve_vigenere_flag(b: dict[str, str]) -> str:
    f = fields(b["vigenere-task"])
    return vigenere(f["ciphertext"], f["key"], -1)


def solve_xor_flag(b: dict[str, str]) -> str:
    f = fields(b["xor-task"])
    return xor(bytes.fromhex(f["ciphertext (hex)"]), f["key (ASCII)"].encode("ascii")).decode("ascii")


def solve_pad_reuse_flag(b: dict[str, str]) -> str:
    f = fields(b["pad-reuse-task"])
    c1, c2 = bytes.fromhex(f["ciphertext 1 (hex)"]), bytes.fromhex(f["ciphertext 2 (hex)"])
    p1 = f["known plaintext 1"].encode("ascii")
    assert len(c1) == len(c2) == len(p1)
    return xor(xor(c1, c2), p1).decode("ascii")


def wordlist(b: dict[str, str]) -> list[str]:
    words = [w.strip() for w in b["wordlist"].splitlines() if w.strip()]
    assert len(words) == len(set(words)) >= 5
    return words


def solve_crack_hash(b: dict[str, str]) -> str:
    target = b["hash-task"].strip()
    found = [w for w in wordlist(b) if sha256(w) == target]
    assert len(found) == 1
    return found[0]


def solve_crack_salted_hash(b: dict[str, str]) -> str:
    f = fields(b["salted-hash-task"])
    found = [w for w in wordlist(b) if sha256(f["salt"] + w) == f["hash"]]
    assert len(found) == 1
    # The salt matters: the same word list without the salt finds nothing.
    assert not [w for w in wordlist(b) if sha256(w) == f["hash"]]
    return found[0]


def solve_pairwise_keys(b: dict[str, str]) -> str:
    people = int(fields(b["pairwise-task"])["people"])
    pairs = len(list(itertools.combinations(range(people), 2)))
    assert pairs == people * (people - 1) // 2  # the lesson's formula
    return str(pairs)


def rsa_key(b: dict[str, str]) -> tuple[int, int, int, int]:
    f = {k: int(v) for k, v in fields(b["rsa-task"]).items()}
    p, q, e, c = f["p"], f["q"], f["e"], f["c"]
    assert is_prime(p) and is_prime(q) and p != q
    phi = (p - 1) * (q - 1)
    assert math.gcd(e, phi) == 1
    d = private_exponent_by_hand(e, phi)
    assert d == pow(e, -1, phi) and (e * d) % phi == 1
    return p * q, e, d, c


def solve_rsa_private_exponent(b: dict[str, str]) -> str:
    return str(rsa_key(b)[2])


def solve_rsa_flag(b: dict[str, str]) -> str:
    n, e, d, c = rsa_key(b)
    m = pow(c, d, n)
    assert pow(m, e, n) == c and m != c and 0 < m < n
    return f"kizuna{{rsa_{m}}}"


SOLVERS: dict[str, Callable[[dict[str, str]], str]] = {
    "base64-flag": solve_base64_flag,
    "hex-flag": solve_hex_flag,
    "caesar-word": solve_caesar_word,
    "rot13-flag": solve_rot13_flag,
    "caesar-key-count": solve_caesar_key_count,
    "frequency-shift": solve_frequency_shift,
    "vigenere-flag": solve_vigenere_flag,
    "xor-flag": solve_xor_flag,
    "pad-reuse-flag": solve_pad_reuse_flag,
    "crack-hash": solve_crack_hash,
    "crack-salted-hash": solve_crack_salted_hash,
    "pairwise-keys": solve_pairwise_keys,
    "rsa-private-exponent": solve_rsa_private_exponent,
    "rsa-flag": solve_rsa_flag,
}

# Choice tasks: words the correct choice (at `answer`) must contain in each language, so that a
# reordered list with a stale index fails.
CHOICE_KEYWORDS: dict[str, dict[str, str]] = {
    "what-decodes-base64": {"en": "alphabet", "ja": "文字表"},
    "why-vigenere-resists": {"en": "depending on its position", "ja": "位置によって"},
    "why-salt": {"en": "different hashes", "ja": "ハッシュが別々"},
    "which-key-encrypts": {"en": "Alice's public key", "ja": "アリスの公開鍵"},
    "why-hybrid": {"en": "faster symmetric", "ja": "高速な共通鍵暗号"},
    "rsa-public-part": {"en": "n and e", "ja": "n と e"},
}


# Choice tasks whose correct choice is exactly this text; (A ⊕ K) ⊕ K = A for every pair of bytes.
CHOICE_EXACT: dict[str, str] = {"xor-undo": "A"}
assert all((a ^ k) ^ k == a for a in range(256) for k in range(256))


# --- the folder's shape --------------------------------------------------------------------------


def bilingual(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(value.get(lang), str) and value[lang].strip() for lang in LANGS
    )


def test_track_header() -> None:
    assert TRACK["version"] == 1
    assert TRACK["id"] == TRACK_DIR.name == "crypto-basics"
    assert TRACK["category"] == "crypto"
    assert TRACK["level"] == "beginner"
    assert TRACK["unlock"] == "sequential"
    assert TRACK["title"]["ja"] == "古典暗号から現代暗号へ"
    assert bilingual(TRACK["title"]) and bilingual(TRACK["summary"])
    assert TRACK.get("opens_at") is None and TRACK.get("closes_at") is None
    # A folded YAML line break would put a stray space inside a Japanese sentence.
    assert not re.search(r"[\u3001-\u30ff\u4e00-\u9fff] [\u3001-\u30ff\u4e00-\u9fff]", TRACK["summary"]["ja"])


def test_structure_and_ids() -> None:
    modules = TRACK["modules"]
    assert 2 <= len(modules) <= 3
    assert len(LESSONS) >= 6
    ids = [TRACK["id"]]
    for module in modules:
        assert bilingual(module["title"])
        assert module.get("requires", []) == []  # sequential: order alone unlocks
        assert len(module["lessons"]) >= 2
        ids.append(module["id"])
        # At least one flag task per module.
        assert any(t["type"] == "flag" for lesson in module["lessons"] for t in lesson["tasks"])
        for lesson in module["lessons"]:
            assert bilingual(lesson["title"])
            assert lesson.get("video") is None
            assert 1 <= len(lesson["tasks"]) <= 3
            ids.append(lesson["id"])
            ids.extend(t["id"] for t in lesson["tasks"])
    assert all(ID_RE.match(i) for i in ids)
    assert len(ids[1:]) == len(set(ids[1:])), "module, lesson and task ids are unique in the track"
    assert {t["type"] for _, t in TASKS} == {"choice", "text", "flag"}
    assert any(t["required"] is False for _, t in TASKS)
    assert all(isinstance(t["required"], bool) for _, t in TASKS)


def test_every_task_is_well_formed_in_both_languages() -> None:
    for _, t in TASKS:
        assert bilingual(t["prompt"]), t["id"]
        assert "challenge" not in t, "shipped tracks never reference an event challenge"
        if t["type"] == "choice":
            assert len(t["choices"]) >= 2 and all(bilingual(c) for c in t["choices"])
            assert isinstance(t["answer"], int) and 0 <= t["answer"] < len(t["choices"])
        elif t["type"] == "text":
            assert t["answers"] and all(isinstance(a, str) and a.strip() for a in t["answers"])
            assert t.get("case_sensitive", False) is False
        else:
            assert t["type"] == "flag"
            assert FLAG_RE.match(t["flag"]), t["flag"]


def test_every_task_has_a_proof() -> None:
    choice = {t["id"] for _, t in TASKS if t["type"] == "choice"}
    others = {t["id"] for _, t in TASKS if t["type"] != "choice"}
    assert choice == set(CHOICE_KEYWORDS) | set(CHOICE_EXACT)
    assert not set(CHOICE_KEYWORDS) & set(CHOICE_EXACT)
    assert others == set(SOLVERS)


def test_lesson_files_are_exactly_the_lessons() -> None:
    expected = {f"{lesson['id']}.{lang}.md" for lesson in LESSONS for lang in LANGS}
    present = {p.name for p in (TRACK_DIR / "lessons").iterdir()}
    assert present == expected
    assert {p.name for p in TRACK_DIR.iterdir()} == {"track.yml", "lessons"}


def prose(text: str) -> str:
    return re.sub(r"^```.*?^```$", "", text, flags=re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("lesson_id", [lesson["id"] for lesson in LESSONS])
def test_lesson_bodies_are_real_in_both_languages(lesson_id: str) -> None:
    english_words = len(prose(body(lesson_id, "en")).split())
    assert 300 <= english_words <= 700, english_words
    for lang in LANGS:
        text = body(lesson_id, lang)
        assert WORKED_EXAMPLE[lang] in text and YOUR_TURN[lang] in text
        assert not text.lstrip().startswith("# "), "the page shows the lesson title itself"
    japanese = prose(body(lesson_id, "ja"))
    assert len(re.findall(r"[\u3040-\u30ff\u4e00-\u9fff]", japanese)) >= 600
    # A soft line break between Japanese characters renders as a stray space: paragraphs are one line.
    assert not re.search(r"[\u3001-\u30ff\u4e00-\u9fff\uff01-\uff5e]\n[\u3001-\u30ff\u4e00-\u9fff]", japanese)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("lesson_id", [lesson["id"] for lesson in LESSONS])
def test_emphasis_renders(lesson_id: str, lang: str) -> None:
    # Emphasis markers next to full-width punctuation (「**符号化（…）**と」) are not parsed by
    # CommonMark and would show as literal asterisks: rendered text outside code has none left.
    html = render_markdown(body(lesson_id, lang))
    html = re.sub(r"<pre>.*?</pre>|<code>.*?</code>", "", html, flags=re.DOTALL)
    assert "*" not in re.sub(r"<[^>]+>", "", html)


@pytest.mark.parametrize("lesson_id", [lesson["id"] for lesson in LESSONS])
def test_both_languages_carry_the_same_values(lesson_id: str) -> None:
    en, ja = blocks(lesson_id, "en"), blocks(lesson_id, "ja")
    assert en == ja
    assert any(name not in {"wordlist"} and not name.endswith("-example") for name in en), "task data"


@pytest.mark.parametrize("lesson_id", [lesson["id"] for lesson in LESSONS])
def test_flags_are_not_given_away(lesson_id: str) -> None:
    flags = [t["flag"] for lid, t in TASKS if lid == lesson_id and t["type"] == "flag"]
    for lang in LANGS:
        text = body(lesson_id, lang)
        assert not any(flag in text for flag in flags)


# --- solving every task from its lesson, in each language ---------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("lesson_id", "task_id"), [(lid, t["id"]) for lid, t in TASKS if t["type"] != "choice"]
)
def test_task_is_solved_from_its_lesson(lesson_id: str, task_id: str, lang: str) -> None:
    t = task(task_id)
    solution = SOLVERS[task_id](blocks(lesson_id, lang))
    if t["type"] == "flag":
        assert solution == t["flag"]
    else:
        assert accepted(task_id, solution), (solution, t["answers"])


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("task_id", sorted(CHOICE_KEYWORDS))
def test_choice_answer_is_the_right_choice(task_id: str, lang: str) -> None:
    t = task(task_id)
    correct = t["choices"][t["answer"]][lang]
    assert CHOICE_KEYWORDS[task_id][lang] in correct
    others = [c[lang] for i, c in enumerate(t["choices"]) if i != t["answer"]]
    assert all(CHOICE_KEYWORDS[task_id][lang] not in c for c in others)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("task_id", sorted(CHOICE_EXACT))
def test_choice_answer_is_exactly_the_right_choice(task_id: str, lang: str) -> None:
    t = task(task_id)
    texts = [c[lang] for c in t["choices"]]
    assert texts.index(CHOICE_EXACT[task_id]) == t["answer"]
    assert texts.count(CHOICE_EXACT[task_id]) == 1


def test_wrong_answers_are_refused() -> None:
    # The checks above would be empty if any answer were accepted.
    assert not accepted("crack-hash", "tanuki")
    assert not accepted("frequency-shift", "6")
    assert accepted("crack-hash", "  SAKURA ")


# --- the worked examples teach correct results ---------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_worked_examples_are_correct(lang: str) -> None:
    b = blocks("encoding-is-not-encryption", lang)
    # Every byte of the hex flag can be read off the lesson's ASCII table.
    fences = MarkdownIt("commonmark").parse(body("encoding-is-not-encryption", lang))
    ascii_table = next(t.content for t in fences if t.type == "fence" and t.content.startswith("61 a"))
    table = dict(re.findall(r"([0-9a-f]{2}) (\S)", ascii_table))
    assert len(table) == 35
    assert all(bytes.fromhex(h).decode() == ch for h, ch in table.items())
    assert set(b["hex-flag"].split()) <= set(table)
    assert base64.b64encode(b"Cat") == b"Q2F0" and "Q2F0" in body("encoding-is-not-encryption", lang)
    assert base64.b64encode(b"kizuna").decode() == "a2l6dW5h"

    f = fields(blocks("caesar-and-rot13", lang)["caesar-example"])
    assert caesar(f["plaintext"], int(f["shift"])) == f["ciphertext"]
    assert caesar("kizuna", 13) == "xvmhan"

    b = blocks("vigenere-and-frequency", lang)
    f = fields(b["frequency-example"])
    assert most_common_letter_shift(f["ciphertext"]) == int(f["shift"])
    assert caesar(f["ciphertext"], -int(f["shift"])) == f["plaintext"]
    counts = Counter(ch for ch in f["ciphertext"] if ch.isalpha()).most_common(2)
    assert counts[0][1] == 9 and counts[1][1] <= 3  # "nine times … no other letter more than three"
    f = fields(b["vigenere-example"])
    assert vigenere(f["plaintext"], f["key"], 1) == f["ciphertext"]

    f = fields(blocks("xor-and-one-time-pads", lang)["xor-example"])
    key = bytes.fromhex(f["key (hex)"])
    assert xor(f["plaintext"].encode(), key) == bytes.fromhex(f["ciphertext (hex)"])

    lines = blocks("hash-functions", lang)["hash-example"].splitlines()
    for line in lines:
        match = re.fullmatch(r'SHA-256\("(.*)"\)\s+= ([0-9a-f]{64})', line)
        assert match, line
        assert sha256(match[1].replace("\\n", "\n")) == match[2]
    assert len(lines) == 3

    f = {k: int(v) for k, v in fields(blocks("symmetric-and-public-key", lang)["pairwise-example"]).items()}
    assert f["people"] * (f["people"] - 1) // 2 == f["keys"]

    f = {k: int(v) for k, v in fields(blocks("toy-rsa", lang)["rsa-example"]).items()}
    n, phi = f["p"] * f["q"], (f["p"] - 1) * (f["q"] - 1)
    assert private_exponent_by_hand(f["e"], phi) == f["d"]
    assert pow(f["m"], f["e"], n) == f["c"] and pow(f["c"], f["d"], n) == f["m"]
    # The flag format shown in the task prompt matches the worked example.
    assert f"kizuna{{rsa_{f['m']}}}" in task("rsa-flag")["prompt"][lang]
