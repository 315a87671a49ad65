"""The shipped "Web basics" track is well formed and every task can be solved from its own lesson.

Reads the track folder directly (track.yml and the lesson markdown, no importer). Each flag is
recovered from the lesson by doing what the lesson teaches (reading a header or an HTML comment,
percent-decoding a URL, Base64-decoding a cookie, reversing a string, running the lesson's SQL
injection against the lesson's table in SQLite), in both languages, from the markdown and from the
page a player actually sees (rendered and sanitised). Text answers are derived the same way, and
every choice question's correct option is checked against the lesson.
"""

from __future__ import annotations

import base64
import html
import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml

import kizuna
from kizuna.domain.flags import FlagSpec, flag_matches
from kizuna.markdown import render_markdown

TRACK_DIR = Path(kizuna.__file__).parent / "demo" / "tracks" / "web-basics"
LANGS = ("en", "ja")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
FLAG_RE = re.compile(r"^kizuna\{[\x21-\x7e]+\}$")
FLAG_IN_TEXT = re.compile(r"kizuna\{[^}\s]*\}")
FENCE_RE = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


# --- reading the folder -------------------------------------------------------------------------


def load_track() -> dict[str, Any]:
    data = yaml.safe_load((TRACK_DIR / "track.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


TRACK = load_track()


def all_lessons() -> list[dict[str, Any]]:
    return [lesson for module in TRACK["modules"] for lesson in module["lessons"]]


def all_tasks() -> dict[str, tuple[str, dict[str, Any]]]:
    """task id -> (id of its lesson, the task)."""
    return {task["id"]: (lesson["id"], task) for lesson in all_lessons() for task in lesson["tasks"]}


TASKS = all_tasks()


def markdown(lesson_id: str, lang: str) -> str:
    return (TRACK_DIR / "lessons" / f"{lesson_id}.{lang}.md").read_text(encoding="utf-8")


def _table_row(row: re.Match[str]) -> str:
    return "| " + " | ".join(re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(1), re.S)) + " |"


def seen(lesson_id: str, lang: str) -> str:
    """The lesson as a player reads it, rendered and sanitised, written back as plain text: code
    blocks as their lines, inline code between backticks, each table row on one line between bars."""
    page = render_markdown(markdown(lesson_id, lang))
    page = re.sub(r"<pre><code[^>]*>(.*?)</code></pre>", r"\n\1", page, flags=re.S)
    page = re.sub(r"<code>(.*?)</code>", r"`\1`", page, flags=re.S)
    page = re.sub(r"<tr>(.*?)</tr>", _table_row, page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def fences(text: str) -> list[tuple[str, str]]:
    return [(m.group(1).strip(), m.group(2)) for m in FENCE_RE.finditer(text)]


def prose(text: str) -> str:
    return FENCE_RE.sub("", text)


def task(task_id: str) -> dict[str, Any]:
    return TASKS[task_id][1]


def accepts(task_data: dict[str, Any], submission: str) -> bool:
    """How a player's answer is judged: normalised like flags, case-insensitive unless stated."""
    if task_data["type"] == "flag":
        return flag_matches(FlagSpec("static", task_data["flag"]), submission)
    data = None if task_data.get("case_sensitive") else "case_insensitive"
    return any(flag_matches(FlagSpec("static", answer, data), submission) for answer in task_data["answers"])


def versions(lesson_id: str) -> list[tuple[str, str]]:
    """Every (where, text) a solver must work on: each language, as markdown and as seen."""
    return [
        (f"{lang}/{kind}", text)
        for lang in LANGS
        for kind, text in (("markdown", markdown(lesson_id, lang)), ("seen", seen(lesson_id, lang)))
    ]


def one(pattern: str, text: str, flags: int = re.M) -> re.Match[str]:
    found = list(re.finditer(pattern, text, flags))
    assert len(found) == 1, f"expected exactly one match of {pattern!r}, found {len(found)}"
    return found[0]


# --- solving what the lessons teach -------------------------------------------------------------


def solve_header_flag(text: str) -> str:
    """Read the home page's response headers: one of them carries the flag."""
    headers = one(r"^HTTP/1\.1 200 OK\n((?:[A-Za-z-]+: .*\n)+)\n<html>", text).group(1)
    values = [line.split(": ", 1)[1] for line in headers.splitlines()]
    (flag,) = [value for value in values if FLAG_RE.match(value)]
    return flag


def coupon_code(text: str) -> str:
    return parse_qs(urlsplit(one(r"^(https://shop\.example/coupon\?\S+)$", text).group(1)).query)["code"][0]


def solve_coupon(text: str) -> str:
    """parse_qs percent-decodes the query string, as the lesson does by hand with its table."""
    return coupon_code(text)


def remember_cookie(text: str) -> dict[str, str]:
    value = one(r"^Set-Cookie: remember=([A-Za-z0-9+/=]+);", text).group(1)
    sent = one(r"^Cookie: .*\bremember=([A-Za-z0-9+/=]+)$", text).group(1)
    assert sent == value, "the next request sends the cookie back unchanged"
    decoded = json.loads(base64.b64decode(value, validate=True).decode("utf-8"))
    assert isinstance(decoded, dict)
    return decoded


def solve_cookie(text: str) -> str:
    return remember_cookie(text)["note"]


def solve_html_comment(text: str) -> str:
    comments = re.findall(r"<!--(.*?)-->", text, re.S)
    (flag,) = [found for comment in comments for found in FLAG_IN_TEXT.findall(comment)]
    return flag


def solve_reversed_js(text: str) -> str:
    expected = one(r'const expected = "([^"]+)";', text).group(1)
    assert 'code === expected.split("").reverse().join("")' in text
    return expected[::-1]


USERS_SQL = re.compile(r"^(?:CREATE TABLE users|INSERT INTO users) .*;$", re.M)


def lesson_login(text: str) -> tuple[sqlite3.Connection, str, str]:
    """The lesson's table in SQLite, and the attacker's username and password from the lesson."""
    db = sqlite3.connect(":memory:")
    statements = USERS_SQL.findall(text)
    assert len(statements) == 4
    db.executescript("\n".join(statements))
    username = one(r"^username: (.*)$", text).group(1)
    password = one(r"^password: (.*)$", text).group(1)
    return db, username, password


def vulnerable_query(username: str, password: str) -> str:
    """What the lesson's login() builds by pasting the input into the SQL."""
    return (
        "SELECT id, username, note FROM users "  # noqa: S608 - the lesson's vulnerable login, on purpose
        "WHERE username = '" + username + "' AND password = '" + password + "'"
    )


def sqli_row(text: str) -> tuple[int, str, str]:
    db, username, password = lesson_login(text)
    with db:
        query = vulnerable_query(username, password)
        assert query in text, "the lesson shows the query the database receives"
        normal = db.execute(vulnerable_query("hana", "matcha")).fetchall()
        assert [row[1] for row in normal] == ["hana"]
        row = db.execute(query).fetchone()
        fixed = one(r'"(SELECT id, username, note FROM users WHERE username = \? AND password = \?)"', text)
        assert db.execute(fixed.group(1), (username, password)).fetchone() is None, "the fix stops it"
    db.close()
    assert row is not None
    return row


def solve_sqli(text: str) -> str:
    return sqli_row(text)[2]


def solve_stolen_cookie(text: str) -> str:
    stolen = unquote(one(r'"GET /steal\?c=(\S+) HTTP/1\.1"', text).group(1))
    cookies = dict(pair.split("=", 1) for pair in stolen.split("; "))
    return cookies["session"]


FLAG_SOLVERS: dict[str, Callable[[str], str]] = {
    "http-header-flag": solve_header_flag,
    "url-coupon-flag": solve_coupon,
    "cookie-remember-flag": solve_cookie,
    "html-comment-flag": solve_html_comment,
    "client-js-flag": solve_reversed_js,
    "sqli-note-flag": solve_sqli,
    "xss-stolen-cookie": solve_stolen_cookie,
}
# Flags that must take a step of work: they never appear as such in their lesson.
ENCODED = {"url-coupon-flag", "cookie-remember-flag", "client-js-flag", "xss-stolen-cookie"}


def text_missing_status(text: str) -> str:
    return one(r"^GET /old-sale\.html HTTP/1\.1$.*?^HTTP/1\.1 (\d{3}) ", text, re.M | re.S).group(1)


def text_query_value(text: str) -> str:
    return parse_qs(one(r"^GET /search\?(\S+) HTTP/1\.1$", text).group(1))["q"][0]


def text_role(text: str) -> str:
    return remember_cookie(text)["role"]


def text_hidden_price(text: str) -> str:
    return one(r'<input type="hidden" name="price" value="(\d+)">', text).group(1)


def text_network_tab(text: str) -> str:
    """The first cell of the developer tools table's row about every request the page makes."""
    row = one(r"^\| ([^|]+) \|[^|\n]*(?:Every request|すべてのリクエスト)[^|\n]*\|$", text)
    return row.group(1)


def text_forged_total(text: str) -> str:
    sent = parse_qs(one(r"^curl -d '([^']+)' https://shop\.example/order$", text).group(1))
    return str(int(sent["qty"][0]) * int(sent["price"][0]))


def text_sqli_user(text: str) -> str:
    return sqli_row(text)[1]


def text_escaped_lt(text: str) -> str:
    shown = one(r"^\| `<` \| `([^`]+)` \|$", text).group(1)
    assert shown == html.escape("<")
    return shown


TEXT_SOLVERS: dict[str, Callable[[str], str]] = {
    "http-status-missing": text_missing_status,
    "url-query-value": text_query_value,
    "cookie-role": text_role,
    "html-hidden-price": text_hidden_price,
    "client-forged-total": text_forged_total,
    "sqli-user": text_sqli_user,
    "xss-escape-lt": text_escaped_lt,
}


def choice_login_method(text: str) -> str:
    return one(r"^(\w+) /login HTTP/1\.1$", text).group(1)


def choice_fragment(text: str) -> str:
    """The example URL's request line keeps everything but the part after #."""
    url = urlsplit(one(r"`(https://shop\.example:443/\S+)`$", text).group(1))
    target = one(r"`GET (\S+) HTTP/1\.1`", text).group(1)
    assert target == f"{url.path}?{url.query}" and url.fragment and "#" not in target
    return "#"


def choice_httponly(text: str) -> str:
    return one(r"^\| `(\w+)` \|[^\n]*`document\.cookie`[^\n]*\|$", text).group(1)


# The correct choice (by language) must contain what the lesson shows; wrong ones must not.
CHOICE_SOLVERS: dict[str, Callable[[str], str]] = {
    "http-method-login": choice_login_method,
    "url-fragment": choice_fragment,
    "cookie-httponly": choice_httponly,
}

# Choices whose correct option the lesson states in words: text the lesson must contain, in each
# language, and that identifies the correct option (which the wrong options do not contain).
CHOICE_STATED: dict[str, dict[str, tuple[str, str]]] = {
    "client-where-check": {
        "en": ("a check that protects something must be made on the server", "server"),
        "ja": ("何かを守るためのチェックは、リクエストが届いた後にサーバー側で行うこと", "サーバー側"),
    },
    "sqli-fix": {
        "en": ("Use **placeholders**", "placeholders"),
        "ja": ("**プレースホルダ**", "プレースホルダ"),
    },
    "xss-stored-type": {
        "en": ("| Stored XSS | Input is saved", "Stored"),
        "ja": ("| 格納型（蓄積型）XSS | 入力（コメント、プロフィールの名前など）が保存され", "格納型"),
    },
}


# --- the folder follows the format --------------------------------------------------------------


def test_track_header() -> None:
    assert TRACK["version"] == 1
    assert TRACK["id"] == TRACK_DIR.name == "web-basics"
    assert TRACK["title"] == {"en": "Web basics", "ja": "Web の基礎"}
    assert TRACK["category"] == "web"
    assert TRACK["level"] == "beginner"
    assert TRACK["unlock"] == "sequential"
    assert TRACK["opens_at"] is None and TRACK["closes_at"] is None


def bilingual_fields() -> list[tuple[str, Any]]:
    fields: list[tuple[str, Any]] = [("track.title", TRACK["title"]), ("track.summary", TRACK["summary"])]
    for module in TRACK["modules"]:
        fields.append((f"{module['id']}.title", module["title"]))
        for lesson in module["lessons"]:
            fields.append((f"{lesson['id']}.title", lesson["title"]))
            for item in lesson["tasks"]:
                fields.append((f"{item['id']}.prompt", item["prompt"]))
                for n, choice in enumerate(item.get("choices", [])):
                    fields.append((f"{item['id']}.choices[{n}]", choice))
    return fields


@pytest.mark.parametrize(("where", "field"), bilingual_fields())
def test_every_text_is_in_both_languages(where: str, field: Any) -> None:
    assert isinstance(field, dict) and set(field) == set(LANGS), where
    assert all(isinstance(field[lang], str) and field[lang].strip() for lang in LANGS), where


@pytest.mark.parametrize(("where", "field"), [f for f in bilingual_fields() if ".choices[" not in f[0]])
def test_japanese_texts_are_japanese(where: str, field: dict[str, str]) -> None:
    assert JAPANESE.search(field["ja"]), where


def test_shape_ids_and_counts() -> None:
    modules = TRACK["modules"]
    assert 2 <= len(modules) <= 3
    lessons = all_lessons()
    assert len(lessons) >= 6
    ids = [m["id"] for m in modules] + [lesson["id"] for lesson in lessons] + list(TASKS)
    assert all(ID_RE.match(i) for i in ids), ids
    task_count = sum(len(lesson["tasks"]) for lesson in lessons)
    assert len(set(ids)) == len(ids) and len(TASKS) == task_count, "ids are unique within the track"
    for module in modules:
        assert module["requires"] == [] and module["opens_at"] is None and module["closes_at"] is None
        assert module["lessons"], module["id"]
        flag_tasks = [t for lesson in module["lessons"] for t in lesson["tasks"] if t["type"] == "flag"]
        assert flag_tasks, f"module {module['id']} has no flag task"
    for lesson in lessons:
        assert 1 <= len(lesson["tasks"]) <= 3, lesson["id"]
        assert lesson.get("video") is None
    required = [t["required"] for _, t in TASKS.values()]
    assert all(isinstance(r, bool) for r in required)
    assert True in required and False in required, "some tasks are required, some optional"


def test_tasks_follow_their_type() -> None:
    flags = []
    for task_id, (_, item) in TASKS.items():
        assert "challenge" not in item, "shipped tracks reference no event challenge"
        if item["type"] == "choice":
            choices = item["choices"]
            assert len(choices) >= 2, task_id
            assert isinstance(item["answer"], int) and not isinstance(item["answer"], bool)
            assert 0 <= item["answer"] < len(choices), task_id
            for lang in LANGS:
                texts = [unicodedata.normalize("NFKC", c[lang]).casefold() for c in choices]
                assert len(set(texts)) == len(texts), f"{task_id}: choices repeat in {lang}"
        elif item["type"] == "text":
            answers = item["answers"]
            assert answers and all(isinstance(a, str) and a.strip() for a in answers), task_id
            assert item["case_sensitive"] is False
            normalised = [unicodedata.normalize("NFKC", a).strip().casefold() for a in answers]
            assert len(set(normalised)) == len(normalised), f"{task_id}: answers repeat"
        else:
            assert item["type"] == "flag", task_id
            assert FLAG_RE.match(item["flag"]), task_id
            flags.append(item["flag"])
    assert len(set(flags)) == len(flags)


def test_lesson_files_are_exactly_the_lessons() -> None:
    expected = {f"{lesson['id']}.{lang}.md" for lesson in all_lessons() for lang in LANGS}
    assert {p.name for p in (TRACK_DIR / "lessons").iterdir()} == expected
    assert {p.name for p in TRACK_DIR.iterdir()} == {"track.yml", "lessons"}


@pytest.mark.parametrize("lesson_id", [lesson["id"] for lesson in all_lessons()])
def test_lessons_are_real_and_say_the_same_in_both_languages(lesson_id: str) -> None:
    en, ja = markdown(lesson_id, "en"), markdown(lesson_id, "ja")
    words = len(re.findall(r"[A-Za-z0-9][\w'’-]*", prose(en)))
    assert 300 <= words <= 700, f"{lesson_id}.en.md has {words} words of explanation"
    assert len(JAPANESE.findall(prose(ja))) >= 500, f"{lesson_id}.ja.md is too short"
    assert fences(en), "a worked example"
    assert fences(en) == fences(ja), "both languages show the same worked examples"
    assert not en.lstrip().startswith("# ") and not ja.lstrip().startswith("# "), "the title is in track.yml"


# --- every task is solvable from its lesson -----------------------------------------------------


def test_every_task_has_a_proof() -> None:
    proven = set(FLAG_SOLVERS) | set(TEXT_SOLVERS) | set(CHOICE_SOLVERS) | set(CHOICE_STATED)
    proven.add("devtools-network")  # test_network_tab_is_named_in_the_lesson
    assert proven == set(TASKS)
    assert {t for t, (_, item) in TASKS.items() if item["type"] == "flag"} == set(FLAG_SOLVERS)


@pytest.mark.parametrize("task_id", sorted(FLAG_SOLVERS))
def test_flag_is_recovered_from_its_lesson(task_id: str) -> None:
    lesson_id, item = TASKS[task_id]
    for where, text in versions(lesson_id):
        solved = FLAG_SOLVERS[task_id](text)
        assert solved == item["flag"], where
        assert accepts(item, solved), where
        if task_id in ENCODED:
            assert item["flag"] not in text, f"{where}: the flag should take decoding, not copying"


@pytest.mark.parametrize("task_id", sorted(TEXT_SOLVERS))
def test_text_answer_follows_from_its_lesson(task_id: str) -> None:
    lesson_id, item = TASKS[task_id]
    for where, text in versions(lesson_id):
        derived = TEXT_SOLVERS[task_id](text)
        assert accepts(item, derived), f"{where}: {derived!r} is not accepted"
        assert accepts(item, derived.upper()), "case does not matter"
        assert accepts(item, f"  {unicodedata.normalize('NFKC', derived)}  "), "spaces around do not matter"
        assert not accepts(item, derived + "x")


def test_text_answers_accept_the_usual_spellings() -> None:
    assert accepts(task("http-status-missing"), "404 not found")
    assert accepts(task("http-status-missing"), "４０４")  # full-width digits from a Japanese IME
    assert not accepts(task("http-status-missing"), "200")
    assert accepts(task("devtools-network"), "network")
    assert accepts(task("devtools-network"), "ネットワーク")
    assert accepts(task("client-forged-total"), "50円")
    assert not accepts(task("url-query-value"), "matcha+%26+sencha"), "the value is asked decoded"


@pytest.mark.parametrize("lang", LANGS)
def test_network_tab_is_named_in_the_lesson(lang: str) -> None:
    item = task("devtools-network")
    lesson_id = TASKS["devtools-network"][0]
    for text in (markdown(lesson_id, lang), seen(lesson_id, lang)):
        cell = text_network_tab(text)
        assert any(accepts(item, word) for word in re.split(r"[（）()\s]+", cell) if word)


@pytest.mark.parametrize("task_id", sorted(CHOICE_SOLVERS))
def test_choice_answer_is_what_the_lesson_shows(task_id: str) -> None:
    lesson_id, item = TASKS[task_id]
    for where, text in versions(lesson_id):
        shown = CHOICE_SOLVERS[task_id](text)
        lang = where.split("/")[0]
        matching = [n for n, choice in enumerate(item["choices"]) if shown_in(shown, choice[lang])]
        assert matching == [item["answer"]], where


def shown_in(shown: str, choice: str) -> bool:
    if shown == "#":
        return "#" in choice
    return shown.casefold() == choice.casefold()


@pytest.mark.parametrize("task_id", sorted(CHOICE_STATED))
def test_choice_answer_is_stated_in_the_lesson(task_id: str) -> None:
    lesson_id, item = TASKS[task_id]
    for lang in LANGS:
        statement, key = CHOICE_STATED[task_id][lang]
        assert statement in markdown(lesson_id, lang), f"{lang}: the lesson states the answer"
        matching = [
            n for n, choice in enumerate(item["choices"]) if key.casefold() in choice[lang].casefold()
        ]
        assert matching == [item["answer"]], lang


def test_sql_injection_really_logs_in_as_the_first_user() -> None:
    lesson_id = TASKS["sqli-note-flag"][0]
    row = sqli_row(markdown(lesson_id, "en"))
    assert row == (1, "admin", task("sqli-note-flag")["flag"])
