"""The shipped track ``forensics-basics`` is well formed and every task can be solved from its lessons.

This test reads the folder directly (``track.yml`` and the lesson markdown), with no importer: it
parses the log excerpts, hex dumps and captures that the lessons print, computes each answer the way
a learner would (the address with the most 404s, failed logins per address, times turned into UTC,
file types from magic bytes, a ZIP carved out of a GIF, a password in an HTTP body, a flag rebuilt
from DNS labels) and checks that ``track.yml`` accepts exactly that answer. Both languages must show
the same evidence, so a learner reading in Japanese solves the same tasks.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import re
import struct
import unicodedata
import urllib.parse
import zipfile
from collections import Counter
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

import kizuna.demo
from kizuna.markdown import render_markdown

TRACK_DIR = Path(kizuna.demo.__file__).parent / "tracks" / "forensics-basics"
LANGS = ("en", "ja")
ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
FLAG = re.compile(r"^kizuna\{[\x21-\x7c\x7e]+\}$")
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
TOKYO = ZoneInfo("Asia/Tokyo")
LONDON = ZoneInfo("Europe/London")


# --- reading the folder ------------------------------------------------------------------------


@cache
def track() -> dict[str, Any]:
    data = yaml.safe_load((TRACK_DIR / "track.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def lessons() -> list[dict[str, Any]]:
    return [lesson for module in track()["modules"] for lesson in module["lessons"]]


def tasks() -> list[dict[str, Any]]:
    return [task for lesson in lessons() for task in lesson["tasks"]]


def task(task_id: str) -> dict[str, Any]:
    (found,) = [t for t in tasks() if t["id"] == task_id]
    return found


@cache
def body(lesson_id: str, lang: str) -> str:
    return (TRACK_DIR / "lessons" / f"{lesson_id}.{lang}.md").read_text(encoding="utf-8")


def blocks(lesson_id: str, lang: str = "en") -> list[str]:
    return FENCE.findall(body(lesson_id, lang))


def block_with(lesson_id: str, needle: str) -> str:
    """The one code block of the lesson that contains ``needle`` (the same in both languages)."""
    found = [b for b in blocks(lesson_id) if needle in b]
    assert len(found) == 1, (lesson_id, needle, len(found))
    return found[0]


def prose(text: str) -> str:
    return FENCE.sub("", text)


def normalise(answer: str) -> str:
    return unicodedata.normalize("NFKC", answer).strip()


def accepts(task_: dict[str, Any], answer: str) -> bool:
    """Whether the task takes ``answer``, normalised as the format says (NFKC, trimmed, case)."""
    assert task_["type"] == "text"
    given = normalise(answer)
    accepted = [normalise(a) for a in task_["answers"]]
    if task_.get("case_sensitive"):
        return given in accepted
    return given.casefold() in [a.casefold() for a in accepted]


def correct_choice(task_: dict[str, Any]) -> str:
    assert task_["type"] == "choice"
    return str(task_["choices"][task_["answer"]]["en"])


def flag(task_: dict[str, Any]) -> str:
    assert task_["type"] == "flag"
    return str(task_["flag"])


def parse_xxd(block: str) -> tuple[int, bytes]:
    """The bytes of an ``xxd`` dump (lines after any ``$ command``), checked for consistency:
    offsets follow on, 16 bytes a line, and the ASCII column shows the same bytes."""
    start: int | None = None
    data = b""
    for line in block.splitlines():
        if line.startswith("$ ") or not line.strip():
            continue
        # xxd's columns: an 8-digit offset and ": ", the hex padded to 39 characters, two spaces, the text.
        m = re.fullmatch(r"([0-9a-f]{8}): ([0-9a-f ]{39})  (.{1,16})", line)
        assert m, line
        offset = int(m.group(1), 16)
        chunk = bytes.fromhex(m.group(2).replace(" ", ""))
        if start is None:
            start = offset
        assert offset == start + len(data), line
        assert len(chunk) <= 16 and re.fullmatch(r"([0-9a-f]{4} ){0,7}[0-9a-f]{2,4} *", m.group(2)), line
        shown = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        assert m.group(3) == shown, line
        data += chunk
    assert start is not None
    return start, data


def block_starting(lesson_id: str, start: str) -> str:
    (found,) = [b for b in blocks(lesson_id) if b.startswith(start)]
    return found


def command_file(block: str) -> str:
    """The file named at the end of the ``$ xxd ...`` line heading a dump."""
    first = block.splitlines()[0]
    assert first.startswith("$ xxd ")
    return first.split()[-1]


# --- the folder and the format -----------------------------------------------------------------


def bilingual(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(value.get(k), str) and value[k].strip() for k in LANGS)


def test_track_follows_the_folder_format() -> None:
    t = track()
    assert t["version"] == 1
    assert t["id"] == TRACK_DIR.name == "forensics-basics"
    assert bilingual(t["title"]) and bilingual(t["summary"])
    assert t["category"] == "forensics" and t["level"] == "beginner"
    assert t["unlock"] == "graph"
    assert t.get("opens_at") is None and t.get("closes_at") is None

    modules = t["modules"]
    assert len(modules) >= 2 and len(lessons()) >= 5
    ids = [m["id"] for m in modules] + [ls["id"] for ls in lessons()] + [tk["id"] for tk in tasks()]
    assert all(ID.match(i) for i in ids), ids
    assert len(ids) == len(set(ids)), "ids must be unique within the track"

    # The prerequisite graph: known modules only, listed earlier (so no cycle), and really a graph.
    seen: set[str] = set()
    for module in modules:
        assert bilingual(module["title"])
        assert set(module["requires"]) <= seen, module["id"]
        seen.add(module["id"])
    assert sum(1 for m in modules if m["requires"]) >= 2

    for module in modules:
        kinds = [tk["type"] for ls in module["lessons"] for tk in ls["tasks"]]
        assert "flag" in kinds, f"module {module['id']} has no flag task"
        for lesson in module["lessons"]:
            assert bilingual(lesson["title"])
            assert lesson.get("video") is None
            assert 1 <= len(lesson["tasks"]) <= 3, lesson["id"]
            assert any(tk["required"] for tk in lesson["tasks"]), lesson["id"]

    assert {tk["type"] for tk in tasks()} == {"choice", "text", "flag"}
    assert any(not tk["required"] for tk in tasks()), "some tasks should be optional"


def test_every_task_is_complete_in_both_languages() -> None:
    for tk in tasks():
        assert isinstance(tk["required"], bool)
        assert bilingual(tk["prompt"]), tk["id"]
        assert "challenge" not in tk, "shipped tracks must not refer to event challenges"
        if tk["type"] == "choice":
            assert len(tk["choices"]) >= 2 and all(bilingual(c) for c in tk["choices"]), tk["id"]
            assert isinstance(tk["answer"], int) and 0 <= tk["answer"] < len(tk["choices"]), tk["id"]
            texts = [c["en"] for c in tk["choices"]]
            assert len(set(texts)) == len(texts), tk["id"]
        elif tk["type"] == "text":
            assert tk["answers"] and all(isinstance(a, str) and a.strip() for a in tk["answers"]), tk["id"]
            assert tk["case_sensitive"] is False
        else:
            assert tk["type"] == "flag"
            assert FLAG.match(tk["flag"]), tk["id"]


def test_every_lesson_has_both_languages_and_nothing_else() -> None:
    expected = {f"{ls['id']}.{lang}.md" for ls in lessons() for lang in LANGS}
    assert {p.name for p in (TRACK_DIR / "lessons").iterdir()} == expected
    for lesson in lessons():
        en, ja = body(lesson["id"], "en"), body(lesson["id"], "ja")
        # A real explanation, and a worked example, in each language.
        words = len(re.findall(r"[A-Za-z0-9']+", prose(en)))
        assert 300 <= words <= 750, (lesson["id"], words)
        assert len(re.sub(r"\s", "", prose(ja))) >= 900, lesson["id"]
        assert "## Worked example" in en and "## 例題" in ja, lesson["id"]
        assert re.search(r"[\u3040-\u30ff]", prose(ja)), lesson["id"]


def test_both_languages_show_the_same_evidence() -> None:
    for lesson in lessons():
        en, ja = blocks(lesson["id"], "en"), blocks(lesson["id"], "ja")
        assert en, lesson["id"]
        assert en == ja, f"{lesson['id']}: the code blocks differ between English and Japanese"
        assert all(len(b.splitlines()) <= 40 for b in en), "evidence short enough to read"


def test_lessons_render_with_their_evidence_intact() -> None:
    """Through the project's own (sanitising) renderer, every excerpt reaches the page unchanged."""
    for lesson in lessons():
        for lang in LANGS:
            page = render_markdown(body(lesson["id"], lang))
            assert page.count("<pre><code") == len(blocks(lesson["id"], lang)), (lesson["id"], lang)
            for block in blocks(lesson["id"], lang):
                assert block in html.unescape(page), (lesson["id"], lang, block[:40])


def test_japanese_paragraphs_are_not_wrapped() -> None:
    """A line break inside a Japanese paragraph renders as a stray space between two characters."""
    for lesson in lessons():
        lines = prose(body(lesson["id"], "ja")).splitlines()
        for first, second in itertools.pairwise(lines):
            plain = re.compile(r"^(?![#|>\-\s]|\d+\. |```)\S")
            assert not (plain.match(first) and plain.match(second)), (lesson["id"], first[:30])


# --- module 1: logs ---------------------------------------------------------------------------

COMBINED = re.compile(
    r'^(?P<ip>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<method>\S+) (?P<path>\S+) (?P<proto>[^"]+)" '
    r'(?P<status>\d{3}) (?P<size>\d+|-) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$'
)


def access_log() -> list[dict[str, str]]:
    block = block_with("web-access-logs", "gobuster")
    rows = []
    for line in block.splitlines():
        m = COMBINED.match(line)
        assert m, line
        rows.append(m.groupdict())
    assert 10 <= len(rows) <= 40
    return rows


def test_web_access_log_tasks() -> None:
    rows = access_log()
    not_found = Counter(r["ip"] for r in rows if r["status"] == "404")
    (top, top_count), (_, second_count) = not_found.most_common(2)
    assert top_count > second_count, "the scanner must stand out unambiguously"
    # The scanner's tool names itself; it is the same address as the 404 burst.
    assert {r["ip"] for r in rows if "gobuster" in r["agent"]} == {top}
    # ... and the burst is fast: all its 404s within a few seconds.
    burst = [
        datetime.strptime(r["time"], "%d/%b/%Y:%H:%M:%S %z")
        for r in rows
        if r["ip"] == top and r["status"] == "404"
    ]
    assert (max(burst) - min(burst)).total_seconds() <= 10

    assert accepts(task("scanner-ip"), top)
    assert not accepts(task("scanner-ip"), "198.51.100.23")
    assert accepts(task("scanner-404-count"), str(top_count))
    assert not accepts(task("scanner-404-count"), str(sum(not_found.values())))

    messages = [
        value
        for r in rows
        if r["ip"] == top
        for value in urllib.parse.parse_qs(urllib.parse.urlsplit(r["path"]).query).get("msg", [])
    ]
    assert messages == [flag(task("scanner-message"))]


SSHD = re.compile(
    r"^(?P<when>\w{3} [ \d]\d \d\d:\d\d:\d\d) (?P<host>\S+) (?P<prog>[\w-]+)\[\d+\]: (?P<msg>.*)$"
)


def test_auth_log_tasks() -> None:
    block = block_with("auth-logs", "Accepted password for backup")
    failures: Counter[str] = Counter()
    accepted: list[tuple[str, str]] = []
    for line in block.splitlines():
        m = SSHD.match(line)
        assert m, line
        msg = m.group("msg")
        if f := re.match(r"Failed password for (?:invalid user )?(\S+) from (\S+) port \d+ ssh2$", msg):
            failures[f.group(2)] += 1
        elif a := re.match(r"Accepted (?:password|publickey) for (\S+) from (\S+) port \d+", msg):
            accepted.append((a.group(1), a.group(2)))
    (attacker, count), (_, runner_up) = failures.most_common(2)
    assert count > runner_up
    assert len(failures) == 3, "the lesson says three addresses fail at least once"

    assert accepts(task("brute-force-ip"), attacker)
    assert accepts(task("failed-count"), str(count))
    (account,) = [user for user, ip in accepted if ip == attacker]
    assert correct_choice(task("compromised-account")) == account
    # The other accounts offered are real distractors from the same log.
    assert {c["en"] for c in task("compromised-account")["choices"]} <= set(block.split())


def tokyo_lines() -> list[tuple[datetime, str]]:
    block = block_with("timelines", "tyo-files01")
    out = []
    for line in block.splitlines():
        m = SSHD.match(line)
        assert m, line
        # syslog has no year and no zone: the lesson says the clock is on Japan time, in 2026.
        local = datetime.strptime(f"2026 {m.group('when')}", "%Y %b %d %H:%M:%S").replace(tzinfo=TOKYO)
        out.append((local, line))
    return out


def london_lines() -> list[tuple[datetime, str]]:
    block = block_with("timelines", "lon-web01")
    out = []
    for line in block.splitlines():
        stamp = line.split()[0]
        assert stamp.endswith("Z"), line
        out.append((datetime.fromisoformat(stamp), line))
    return out


def test_timeline_tasks() -> None:
    events = [(when.astimezone(UTC), line) for when, line in tokyo_lines() + london_lines()]
    tagged = [(when, re.search(r"tag=(\S+)$", line)) for when, line in events]
    tagged_only = [(when, m.group(1)) for when, m in tagged if m]
    assert len(tagged_only) == 6
    assert "".join(tag for _, tag in sorted(tagged_only)) == flag(task("timeline-flag"))
    # Reading the clocks naively (wall-clock time, zones ignored) gives nonsense: the zones matter.
    naive = sorted(
        [(w.replace(tzinfo=None), line) for w, line in tokyo_lines() + london_lines() if "tag=" in line]
    )
    assert "".join(line.rsplit("tag=", 1)[1] for _, line in naive) != flag(task("timeline-flag"))

    (opened,) = [w for w, line in tokyo_lines() if "salaries.xlsx" in line]
    utc = opened.astimezone(UTC)
    assert opened.strftime("%H:%M:%S") == "08:07:03"  # what the prompt quotes
    for spelling in (utc.strftime("%H:%M:%S"), utc.strftime("%H:%M"), utc.strftime("%Y-%m-%dT%H:%M:%SZ")):
        assert accepts(task("utc-conversion"), spelling), spelling
    assert not accepts(task("utc-conversion"), opened.strftime("%H:%M:%S"))

    # 09:00 in Tokyo, in July (BST) and in November (GMT), as the lesson's table says.
    july = datetime(2026, 7, 15, 9, 0, tzinfo=TOKYO).astimezone(LONDON)
    assert correct_choice(task("summer-time")) == f"{july:%H:%M} the same day"
    november = datetime(2026, 11, 28, 9, 0, tzinfo=TOKYO).astimezone(LONDON)
    assert f"{november:%H:%M}" == "00:00" and november.day == 28

    # The worked example's arithmetic is right.
    example = datetime(2026, 11, 29, 2, 30, tzinfo=TOKYO).astimezone(UTC)
    assert f"`{example:%Y-%m-%dT%H:%M:%SZ}`" in body("timelines", "en")
    assert f"`{example:%Y-%m-%dT%H:%M:%SZ}`" in body("timelines", "ja")


# --- module 2: files --------------------------------------------------------------------------

SIGNATURES: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF89a", "gif"),
    (b"GIF87a", "gif"),
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"MZ", "exe"),
    (b"\x7fELF", "elf"),
]


def file_type(data: bytes) -> str:
    (kind,) = [kind for magic, kind in SIGNATURES if data.startswith(magic)]
    return kind


def dumps(lesson_id: str) -> dict[str, bytes]:
    out = {}
    for block in blocks(lesson_id):
        if block.startswith("$ xxd "):
            _start, data = parse_xxd(block)
            out[command_file(block)] = data
    return out


def test_magic_bytes_tasks() -> None:
    files = dumps("magic-bytes")
    assert set(files) == {"scan.dat", "invoice.pdf", "holiday.jpg", "report.docx"}
    types = {name: file_type(data) for name, data in files.items()}
    assert types["scan.dat"] == "pdf"  # the worked example's conclusion

    assert types["invoice.pdf"] == "exe"
    assert "EXE" in correct_choice(task("invoice-type"))
    assert "PDF" not in correct_choice(task("invoice-type"))

    assert types["holiday.jpg"] == "png"
    assert accepts(task("photo-type"), "png") and accepts(task("photo-type"), "PNG")
    assert not accepts(task("photo-type"), "jpg")

    assert types["report.docx"] == "zip"
    assert "ZIP" in correct_choice(task("docx-check"))
    # The table the learner reads names every signature the test relies on, in both languages.
    for lang in LANGS:
        for magic, _ in SIGNATURES:
            if magic != b"GIF87a":
                assert " ".join(f"{b:02X}" for b in magic) in body("magic-bytes", lang), (lang, magic)


def test_hidden_files_tasks() -> None:
    files = dumps("hidden-files")
    data = files["logo.gif"]
    for lang in LANGS:
        assert re.search(rf"(?<!\d){len(data)}\s(bytes|バイト)", prose(body("hidden-files", lang))), lang
    assert file_type(data) == "gif"

    offset = data.index(b"PK\x03\x04")
    assert data[offset - 1 : offset] == b";", "the ZIP follows the GIF trailer"
    for spelling in (f"0x{offset:x}", f"{offset:x}", f"0x{offset:08x}", str(offset), f"0X{offset:X}"):
        assert accepts(task("zip-offset"), spelling), spelling

    sig, _ver, _flags, method, _t, _d, _crc, csize, _usize, name_len, extra_len = struct.unpack(
        "<4sHHHHHIIIHH", data[offset : offset + 30]
    )
    assert sig == b"PK\x03\x04" and method == 0, "stored, so readable in the ASCII column"
    name = data[offset + 30 : offset + 30 + name_len].decode()
    content_at = offset + 30 + name_len + extra_len
    content = data[content_at : content_at + csize].decode().strip()
    assert correct_choice(task("hidden-name")) == name
    assert content == flag(task("carved-flag"))
    # A real archive: the standard library opens it, image and all.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read(name).decode().strip() == content

    # The worked example's offset is where the lesson says.
    photo_start, photo = parse_xxd(block_starting("hidden-files", "$ xxd -s 0x1a20 -l 48 photo.jpg\n"))
    assert photo == files["photo.jpg"]
    pk = photo.index(b"PK\x03\x04")
    assert photo[pk - 2 : pk] == b"\xff\xd9", "right after the JPEG's end marker"
    assert struct.unpack("<H", photo[pk + 8 : pk + 10]) == (8,), "deflate, as the lesson reads it"
    at = photo_start + pk
    en = " ".join(body("hidden-files", "en").split())
    assert f"0x{at:x}" in en and f"({at} in decimal)" in en
    assert f"0x{at:x}" in body("hidden-files", "ja") and f"10 進数で {at}" in body("hidden-files", "ja")


# --- module 3: network ------------------------------------------------------------------------

TCPDUMP = re.compile(
    r"^(?P<time>[\d:.]+) IP (?P<src>[\d.]+)\.(?P<sport>\d+) > (?P<dst>[\d.]+)\.(?P<dport>\d+): "
    r"Flags \[(?P<flags>[^\]]+)\](?P<rest>.*), length (?P<length>\d+)(?::.*)?$"
)


def http_message(block: str) -> bytes:
    head, _, body_ = block.rstrip("\n").partition("\n\n")
    return ("\r\n".join(head.split("\n")) + "\r\n\r\n" + body_).encode()


def test_packet_tasks() -> None:
    capture = block_with("packets-http", "Flags [S.]")
    packets = [TCPDUMP.match(line) for line in capture.splitlines()]
    assert all(packets), capture
    pk = [p.groupdict() for p in packets if p]
    syn, synack, ack = pk[0], pk[1], pk[2]
    client, server = (syn["src"], syn["sport"]), (syn["dst"], syn["dport"])
    assert syn["flags"] == "S" and (synack["src"], synack["sport"]) == server
    assert synack["flags"] == "S." and ack["flags"] == "."
    seq = re.search(r"seq (\d+)", syn["rest"])
    assert seq
    isn = int(seq.group(1))
    assert f"ack {isn + 1}" in synack["rest"]
    assert correct_choice(task("handshake-reply")).startswith(f"[{synack['flags']}]")

    assert client[0] == "192.0.2.15"  # the address the prompt names
    assert accepts(task("client-port"), client[1])
    assert not accepts(task("client-port"), server[1])

    # The stream views match the capture byte for byte.
    sent = [int(p["length"]) for p in pk if (p["src"], p["sport"]) == client and int(p["length"])]
    answered = [int(p["length"]) for p in pk if (p["src"], p["sport"]) == server and int(p["length"])]
    request = http_message(block_starting("packets-http", "POST /login HTTP/1.1\n"))
    response = http_message(block_starting("packets-http", "HTTP/1.1 302 Found\n"))
    assert sent == [len(request)] and answered == [len(response)]
    headers, _, form = request.decode().partition("\r\n\r\n")
    assert f"Content-Length: {len(form)}" in headers
    (password,) = urllib.parse.parse_qs(form)["password"]
    assert password == flag(task("login-password"))
    assert pk[-3]["flags"] == "F." and pk[-2]["flags"] == "F."


DNS_LINE = re.compile(r"^(?P<time>\S+Z) (?P<client>[\d.]+) (?P<qtype>[A-Z]+) +(?P<name>\S+)$")


def test_dns_exfiltration_tasks() -> None:
    block = block_with("dns-exfiltration", "cdn-sync.example")
    queries = [DNS_LINE.match(line) for line in block.splitlines()]
    assert all(queries) and 10 <= len(queries) <= 40
    rows = [q.groupdict() for q in queries if q]

    # The signs the lesson lists: one client, many different subdomains of one parent domain.
    subdomains: dict[tuple[str, str], set[str]] = {}
    for r in rows:
        first, parent = r["name"].split(".", 1)
        subdomains.setdefault((r["client"], parent), set()).add(first)
    ranked = sorted(subdomains.items(), key=lambda item: len(item[1]), reverse=True)
    assert len(ranked[0][1]) > 1 and len(ranked[1][1]) <= 1
    # Sequence labels sit one level down: group on the domain below them.
    pieces: dict[int, str] = {}
    leaker: set[str] = set()
    domains: set[str] = set()
    for r in rows:
        if m := re.fullmatch(r"(\d+)\.([a-z2-7]+)\.(.+)", r["name"]):
            seq, chunk, domain = int(m.group(1)), m.group(2), m.group(3)
            assert pieces.setdefault(seq, chunk) == chunk, "a repeated piece must be identical"
            leaker.add(r["client"])
            domains.add(domain)
    (host,) = leaker
    (domain,) = domains
    assert sorted(pieces) == list(range(1, len(pieces) + 1))
    assert sum(1 for r in rows if r["client"] == host and domain in r["name"]) > len(pieces), "a retry"

    joined = "".join(pieces[i] for i in sorted(pieces)).upper()
    decoded = base64.b32decode(joined + "=" * (-len(joined) % 8)).decode()
    assert decoded == flag(task("dns-flag"))
    assert accepts(task("exfil-host"), host)
    assert correct_choice(task("exfil-domain")) == domain

    # The worked examples decode to what the lesson prints.
    assert bytes.fromhex("6b697a756e61").decode() == "kizuna"
    assert base64.b32decode("NBSWY3DP").decode() == "hello"
    assert "echo 6b697a756e61 | xxd -r -p\nkizuna" in block_with("dns-exfiltration", "xxd -r -p")
    assert "base32 -d\nhello" in block_with("dns-exfiltration", "base32 -d")


@pytest.mark.parametrize("lesson_id", [ls["id"] for ls in lessons()])
def test_every_task_is_checked_by_a_solver(lesson_id: str) -> None:
    """Each task is answered by one of the solvers above; a new task needs a solver too."""
    solved = {
        "web-access-logs": {"scanner-ip", "scanner-404-count", "scanner-message"},
        "auth-logs": {"brute-force-ip", "compromised-account", "failed-count"},
        "timelines": {"utc-conversion", "summer-time", "timeline-flag"},
        "magic-bytes": {"invoice-type", "photo-type", "docx-check"},
        "hidden-files": {"zip-offset", "hidden-name", "carved-flag"},
        "packets-http": {"handshake-reply", "client-port", "login-password"},
        "dns-exfiltration": {"exfil-host", "exfil-domain", "dns-flag"},
    }
    (lesson,) = [ls for ls in lessons() if ls["id"] == lesson_id]
    assert {tk["id"] for tk in lesson["tasks"]} == solved[lesson_id]
