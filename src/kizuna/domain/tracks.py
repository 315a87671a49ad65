"""Learning tracks (学習コース): the folder format's rules, answers, completion, unlocking, windows.

A track is authored as a folder (``docs/tracks.md``): ``track.yml`` beside ``lessons/<id>.<locale>.md``
and optional ``files/``. :func:`parse_track` checks the data of ``track.yml`` (already read as YAML)
together with the lesson bodies and attachment names the service read from the folder, and returns
the checked :class:`TrackSpec` or the problems, each naming the file and the field and carrying a
domain error (worded in the reader's language by the adapter). Nothing here reads files or a database.

Progress rules:

* a task is done once (per user);
* a lesson or module is complete when its required tasks are done (with no required task: when all
  of its tasks are; with no task at all it is complete, there being nothing to do);
* a track is complete when all its modules are;
* unlocking: ``sequential`` opens each module once the previous one is complete, ``graph`` once all
  of its ``requires`` are (cycles are refused at import);
* visibility windows: a track or module outside ``opens_at``/``closes_at`` is hidden from players
  (the same 404 as a missing one); staff see everything.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.flags import FlagSpec, flag_matches, normalise_submission
from kizuna.domain.folders import FolderError, Problem

FORMAT_VERSION = 1
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
LOCALES = ("en", "ja")  # the languages a track is written in (completeness is reported for these)
CATEGORIES = ("web", "crypto", "forensics", "pwn", "reversing", "misc")
LEVELS = ("beginner", "intermediate", "advanced")
UNLOCKS = ("sequential", "graph")
TASK_TYPES = ("choice", "text", "flag")
# Bounds on one track folder: nothing an author needs comes near them, and an import stays cheap.
MAX_YML_BYTES = 1_048_576
MAX_BODY_BYTES = 131_072  # one lesson body (one language): all of it is rendered as markdown
MAX_FILE_BYTES = 262_144  # one attachment
MAX_FILES = 64
MAX_MODULES = 50
MAX_LESSONS = 200
MAX_TASKS = 500
MAX_CHOICES = 12
MAX_ANSWERS = 20
MAX_TITLE = 200
MAX_TEXT = 4000  # a summary, prompt, choice or accepted answer
MAX_ANSWER_LENGTH = 4096  # what a player may send
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

TRACK_KEYS = (
    "version",
    "id",
    "title",
    "summary",
    "category",
    "level",
    "opens_at",
    "closes_at",
    "unlock",
    "modules",
)
MODULE_KEYS = ("id", "title", "requires", "opens_at", "closes_at", "lessons")
LESSON_KEYS = ("id", "title", "video", "tasks")
TASK_KEYS = {
    "choice": ("id", "type", "required", "prompt", "choices", "answer"),
    "text": ("id", "type", "required", "prompt", "answers", "case_sensitive"),
    "flag": ("id", "type", "required", "prompt", "flag", "challenge"),
}


# --- the checked form ------------------------------------------------------------------------------

Texts = dict[str, str]  # {locale: text}


@dataclass
class TaskSpec:
    key: str
    type: str
    required: bool
    prompt: Texts
    choices: list[Texts] = field(default_factory=list)
    answer: int | None = None  # choice: the 0-based index of the right choice
    answers: list[str] = field(default_factory=list)  # text: accepted answers
    case_sensitive: bool = False
    flag: str | None = None  # flag: the task's own static flag
    challenge: str | None = None  # flag: an event challenge, by name

    def solution(self) -> dict[str, Any]:
        """The secret part, as stored (never shown to players)."""
        if self.type == "choice":
            return {"index": self.answer}
        if self.type == "text":
            return {"answers": list(self.answers), "case_sensitive": self.case_sensitive}
        return {"flag": self.flag} if self.flag is not None else {}


@dataclass
class LessonSpec:
    key: str
    title: Texts
    body: Texts  # {locale: markdown}
    video: Texts  # {"": url} for every language, else {locale: url}
    tasks: list[TaskSpec] = field(default_factory=list)


@dataclass
class ModuleSpec:
    key: str
    title: Texts
    requires: list[str]
    opens_at: datetime | None
    closes_at: datetime | None
    lessons: list[LessonSpec] = field(default_factory=list)


@dataclass
class TrackSpec:
    key: str
    title: Texts
    summary: Texts
    category: str
    level: str
    unlock: str
    opens_at: datetime | None
    closes_at: datetime | None
    modules: list[ModuleSpec] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)

    def lessons(self) -> list[LessonSpec]:
        return [lesson for m in self.modules for lesson in m.lessons]

    def tasks(self) -> list[TaskSpec]:
        return [task for lesson in self.lessons() for task in lesson.tasks]


class TrackError(FolderError):
    """The track folder(s) cannot be imported; nothing was changed."""


# --- parsing ---------------------------------------------------------------------------------------


@dataclass
class _Check:
    path: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def fail(self, where: str, code: ErrorCode, **params: Any) -> None:
        self.problems.append(Problem(self.path, where, error=DomainError(code, field=where, **params)))

    def warn(self, where: str, code: ErrorCode, path: str = "", **params: Any) -> None:
        self.warnings.append(
            Problem(path or self.path, where, error=DomainError(code, field=where, **params))
        )

    def known(self, raw: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
        for key in raw:
            if key not in allowed:
                self.fail(_at(where, str(key)), ErrorCode.TRACK_FIELD_UNKNOWN, fields=", ".join(allowed))

    def mapping(self, raw: Any, where: str) -> Mapping[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            self.fail(where, ErrorCode.TRACK_FIELD_KIND, kind="mapping")
            return {}
        return raw

    def items(self, raw: Any, where: str, limit: int) -> list[Any]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.fail(where, ErrorCode.TRACK_FIELD_KIND, kind="list")
            return []
        if len(raw) > limit:
            self.fail(where, ErrorCode.TRACK_TOO_MANY, limit=limit)
            return raw[:limit]
        return raw

    def ident(self, raw: Any, where: str, seen: dict[str, str] | None = None) -> str:
        if not isinstance(raw, str) or not ID_PATTERN.match(raw):
            self.fail(where, ErrorCode.TRACK_ID_INVALID, value=str(raw)[:70])
            return ""
        if seen is not None:
            if raw in seen:
                self.fail(where, ErrorCode.TRACK_ID_DUPLICATE, id=raw, other=seen[raw])
            else:
                seen[raw] = where
        return raw

    def string(self, raw: Any, where: str, limit: int, required: bool = False) -> str:
        if raw is None:
            raw = ""
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            self.fail(where, ErrorCode.TRACK_FIELD_KIND, kind="text")
            return ""
        text = str(raw)
        if required and not text.strip():
            self.fail(where, ErrorCode.FIELD_REQUIRED)
        if len(text) > limit:
            self.fail(where, ErrorCode.TRACK_TEXT_LONG, max=limit)
        return text

    def texts(self, raw: Any, where: str, limit: int, required: bool = True) -> Texts:
        """A bilingual field: ``{en: …, ja: …}`` (a plain string is refused: say which language)."""
        if raw is None:
            if required:
                self.fail(where, ErrorCode.FIELD_REQUIRED)
            return {}
        if not isinstance(raw, Mapping):
            self.fail(where, ErrorCode.TRACK_FIELD_KIND, kind="{en: …, ja: …}")
            return {}
        out: Texts = {}
        for code, value in raw.items():
            if code not in LOCALES:
                self.fail(_at(where, str(code)), ErrorCode.TRACK_FIELD_UNKNOWN, fields=", ".join(LOCALES))
                continue
            text = self.string(value, _at(where, code), limit)
            if text.strip():
                out[code] = text
        if required and not out:
            self.fail(where, ErrorCode.FIELD_REQUIRED)
        for code in LOCALES:
            if out and code not in out:
                self.warn(where, ErrorCode.TRACK_LANGUAGE_MISSING, language=code)
        return out

    def choice(self, raw: Any, where: str, allowed: Sequence[str], default: str) -> str:
        if raw is None:
            return default
        if raw not in allowed:
            self.fail(where, ErrorCode.TRACK_FIELD_ONE_OF, allowed=", ".join(allowed))
            return default
        return str(raw)

    def flag(self, raw: Any, where: str, default: bool) -> bool:
        if raw is None:
            return default
        if not isinstance(raw, bool):
            self.fail(where, ErrorCode.TRACK_FIELD_KIND, kind="true / false")
            return default
        return raw

    def time(self, raw: Any, where: str) -> datetime | None:
        if raw is None or raw == "":
            return None
        value: datetime | None = raw if isinstance(raw, datetime) else None
        if isinstance(raw, str):
            try:
                value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
            except ValueError:
                value = None
        if value is None:
            self.fail(where, ErrorCode.TRACK_FIELD_KIND, kind="2026-12-01T09:00:00+09:00")
            return None
        if value.tzinfo is None:
            self.fail(where, ErrorCode.TIME_OFFSET_REQUIRED)
            return None
        return value.astimezone(UTC).replace(tzinfo=None)

    def video(self, raw: Any, where: str) -> Texts:
        if raw is None or raw == "":
            return {}
        given: dict[str, Any] = {"": raw} if isinstance(raw, str) else dict(self.mapping(raw, where))
        out: Texts = {}
        for code, url in given.items():
            here = _at(where, code) if code else where
            if code and code not in LOCALES:
                self.fail(here, ErrorCode.TRACK_FIELD_UNKNOWN, fields=", ".join(LOCALES))
            elif not isinstance(url, str) or not safe_video_url(url):
                self.fail(here, ErrorCode.URL_INVALID)
            else:
                out[code] = url
        return out


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def safe_video_url(url: str) -> bool:
    """An https link with a host, no white space or quotes (it is put in an ``href``)."""
    return bool(re.match(r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s\"'<>\\]*)?$", url)) and len(url) <= 500


def parse_track(
    raw: Any,
    *,
    path: str,
    bodies: Mapping[str, Mapping[str, str]],
    files: Mapping[str, bytes] | None = None,
    lesson_path: str = "lessons",
) -> tuple[TrackSpec | None, list[Problem], list[Problem]]:
    """Check a ``track.yml``'s data with the folder's lesson bodies (``{lesson id: {locale: text}}``)
    and attachments; the spec (None on any problem), the problems and the warnings."""
    check = _Check(path)
    if not isinstance(raw, Mapping):
        check.fail("", ErrorCode.TRACK_FIELD_KIND, kind="mapping")
        return None, check.problems, check.warnings
    check.known(raw, TRACK_KEYS, "")
    if raw.get("version", FORMAT_VERSION) != FORMAT_VERSION:
        check.fail("version", ErrorCode.TRACK_FIELD_ONE_OF, allowed=str(FORMAT_VERSION))
    spec = TrackSpec(
        key=check.ident(raw.get("id"), "id"),
        title=check.texts(raw.get("title"), "title", MAX_TITLE),
        summary=check.texts(raw.get("summary"), "summary", MAX_TEXT, required=False),
        category=check.choice(raw.get("category"), "category", CATEGORIES, "misc"),
        level=check.choice(raw.get("level"), "level", LEVELS, "beginner"),
        unlock=check.choice(raw.get("unlock"), "unlock", UNLOCKS, "sequential"),
        opens_at=check.time(raw.get("opens_at"), "opens_at"),
        closes_at=check.time(raw.get("closes_at"), "closes_at"),
        files=dict(files or {}),
    )
    _window(check, spec.opens_at, spec.closes_at, "closes_at")
    modules_seen: dict[str, str] = {}
    lessons_seen: dict[str, str] = {}
    tasks_seen: dict[str, str] = {}
    counts = {"lessons": 0, "tasks": 0}
    raw_modules = check.items(raw.get("modules"), "modules", MAX_MODULES)
    if not raw_modules:
        check.fail("modules", ErrorCode.FIELD_REQUIRED)
    for mi, raw_module in enumerate(raw_modules):
        where = f"modules[{mi}]"
        m = check.mapping(raw_module, where)
        check.known(m, MODULE_KEYS, where)
        requires_raw = check.items(m.get("requires"), f"{where}.requires", MAX_MODULES)
        module = ModuleSpec(
            key=check.ident(m.get("id"), f"{where}.id", modules_seen),
            title=check.texts(m.get("title"), f"{where}.title", MAX_TITLE),
            requires=[check.ident(r, f"{where}.requires[{ri}]") for ri, r in enumerate(requires_raw)],
            opens_at=check.time(m.get("opens_at"), f"{where}.opens_at"),
            closes_at=check.time(m.get("closes_at"), f"{where}.closes_at"),
        )
        _window(check, module.opens_at, module.closes_at, f"{where}.closes_at")
        raw_lessons = check.items(m.get("lessons"), f"{where}.lessons", MAX_LESSONS)
        if not raw_lessons:
            check.fail(f"{where}.lessons", ErrorCode.FIELD_REQUIRED)
        for li, raw_lesson in enumerate(raw_lessons):
            counts["lessons"] += 1
            module.lessons.append(
                _lesson(
                    check,
                    raw_lesson,
                    f"{where}.lessons[{li}]",
                    lessons_seen,
                    tasks_seen,
                    counts,
                    bodies,
                    lesson_path,
                )
            )
        spec.modules.append(module)
    if counts["lessons"] > MAX_LESSONS:
        check.fail("modules", ErrorCode.TRACK_TOO_MANY, limit=MAX_LESSONS)
    if counts["tasks"] > MAX_TASKS:
        check.fail("modules", ErrorCode.TRACK_TOO_MANY, limit=MAX_TASKS)
    _check_requires(check, spec)
    return (None if check.problems else spec), check.problems, check.warnings


def _window(check: _Check, opens: datetime | None, closes: datetime | None, where: str) -> None:
    if opens is not None and closes is not None and closes <= opens:
        check.fail(where, ErrorCode.TRACK_WINDOW)


def _lesson(
    check: _Check,
    raw: Any,
    where: str,
    seen: dict[str, str],
    tasks_seen: dict[str, str],
    counts: dict[str, int],
    bodies: Mapping[str, Mapping[str, str]],
    lesson_path: str,
) -> LessonSpec:
    m = check.mapping(raw, where)
    check.known(m, LESSON_KEYS, where)
    key = check.ident(m.get("id"), f"{where}.id", seen)
    body = {code: text for code, text in (bodies.get(key) or {}).items() if text.strip()}
    if key and not body:
        check.fail(f"{where}.id", ErrorCode.TRACK_BODY_MISSING, path=f"{lesson_path}/{key}.en.md", id=key)
    elif key:
        for code in LOCALES:
            if code not in body:
                check.warn(
                    "", ErrorCode.TRACK_LANGUAGE_MISSING, path=f"{lesson_path}/{key}.{code}.md", language=code
                )
    lesson = LessonSpec(
        key=key,
        title=check.texts(m.get("title"), f"{where}.title", MAX_TITLE),
        body=body,
        video=check.video(m.get("video"), f"{where}.video"),
    )
    for ti, raw_task in enumerate(check.items(m.get("tasks"), f"{where}.tasks", MAX_TASKS)):
        counts["tasks"] += 1
        task = _task(check, raw_task, f"{where}.tasks[{ti}]", tasks_seen)
        if task is not None:
            lesson.tasks.append(task)
    return lesson


def _task(check: _Check, raw: Any, where: str, seen: dict[str, str]) -> TaskSpec | None:
    m = check.mapping(raw, where)
    kind = check.choice(m.get("type"), f"{where}.type", TASK_TYPES, "")
    if not kind:
        if m.get("type") is None:
            check.fail(f"{where}.type", ErrorCode.FIELD_REQUIRED)
        return None
    check.known(m, TASK_KEYS[kind], where)
    task = TaskSpec(
        key=check.ident(m.get("id"), f"{where}.id", seen),
        type=kind,
        required=check.flag(m.get("required"), f"{where}.required", True),
        prompt=check.texts(m.get("prompt"), f"{where}.prompt", MAX_TEXT),
    )
    if kind == "choice":
        raw_choices = check.items(m.get("choices"), f"{where}.choices", MAX_CHOICES)
        task.choices = [
            check.texts(c, f"{where}.choices[{ci}]", MAX_TEXT) for ci, c in enumerate(raw_choices)
        ]
        if len(raw_choices) < 2:
            check.fail(f"{where}.choices", ErrorCode.TRACK_CHOICES_FEW)
        answer = m.get("answer")
        if (
            isinstance(answer, bool)
            or not isinstance(answer, int)
            or not 0 <= answer < max(len(raw_choices), 1)
        ):
            check.fail(f"{where}.answer", ErrorCode.TRACK_ANSWER_INDEX, last=max(len(raw_choices) - 1, 0))
        else:
            task.answer = answer
    elif kind == "text":
        raw_answers = check.items(m.get("answers"), f"{where}.answers", MAX_ANSWERS)
        task.answers = [
            check.string(a, f"{where}.answers[{ai}]", MAX_TEXT, required=True)
            for ai, a in enumerate(raw_answers)
        ]
        if not raw_answers:
            check.fail(f"{where}.answers", ErrorCode.FIELD_REQUIRED)
        task.case_sensitive = check.flag(m.get("case_sensitive"), f"{where}.case_sensitive", False)
    else:
        flag, challenge = m.get("flag"), m.get("challenge")
        if (flag is None) == (challenge is None):
            check.fail(where, ErrorCode.TRACK_FLAG_OR_CHALLENGE)
        elif flag is not None:
            task.flag = check.string(flag, f"{where}.flag", MAX_TEXT, required=True)
        else:
            task.challenge = check.string(challenge, f"{where}.challenge", MAX_TITLE, required=True).strip()
    return task


def _check_requires(check: _Check, spec: TrackSpec) -> None:
    keys = [m.key for m in spec.modules]
    for mi, module in enumerate(spec.modules):
        for ri, required in enumerate(module.requires):
            where = f"modules[{mi}].requires[{ri}]"
            if spec.unlock != "graph":
                check.fail(where, ErrorCode.TRACK_REQUIRES_SEQUENTIAL)
            elif required and required not in keys:
                check.fail(where, ErrorCode.TRACK_MODULE_UNKNOWN, id=required)
            elif required == module.key:
                check.fail(where, ErrorCode.TRACK_UNLOCK_CYCLE, cycle=f"{required} → {required}")
    if spec.unlock == "graph":
        cycle = find_cycle({m.key: [r for r in m.requires if r in keys] for m in spec.modules})
        if cycle and len(cycle) > 2:
            check.fail("modules", ErrorCode.TRACK_UNLOCK_CYCLE, cycle=" → ".join(cycle))


def find_cycle(graph: Mapping[str, Sequence[str]]) -> list[str]:
    """A cycle in a module → requires graph, as a path that returns to its start (``[a, b, a]``);
    empty when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return []

    for start in graph:
        if start not in state:
            found = visit(start)
            if found:
                return found
    return []


# --- answers ---------------------------------------------------------------------------------------


def check_answer(kind: str, solution: Mapping[str, Any], answer: Any) -> bool:
    """Whether ``answer`` is right for a task of ``kind`` with its stored ``solution``.

    choice: the index (an integer, or its digits as a form sends them); text: normalised like flags
    (NFKC, so full-width input counts; trimmed) and compared case-insensitively unless the task is
    case-sensitive; flag: the task's own static flag, compared as flags are (constant time)."""
    if kind == "choice":
        if isinstance(answer, str) and answer.strip().isdigit() and len(answer.strip()) < 4:
            answer = int(answer.strip())
        return isinstance(answer, int) and not isinstance(answer, bool) and answer == solution.get("index")
    if not isinstance(answer, str) or len(answer) > MAX_ANSWER_LENGTH:
        return False
    if kind == "text":
        given = normalise_submission(answer)
        sensitive = bool(solution.get("case_sensitive"))
        result = False
        for accepted in solution.get("answers") or []:
            want = normalise_submission(str(accepted))
            a, b = (given, want) if sensitive else (given.casefold(), want.casefold())
            result = (
                hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))
                or result
            )
        return result
    if kind == "flag" and solution.get("flag"):
        return flag_matches(FlagSpec("static", str(solution["flag"])), answer)
    return False


# --- completion, unlocking, windows ----------------------------------------------------------------


def group_complete(tasks: Iterable[tuple[str, bool]], done: set[str]) -> bool:
    """A lesson or module: its required tasks done (none required: all of its tasks; none: True)."""
    tasks = list(tasks)
    required = [key for key, req in tasks if req] or [key for key, _ in tasks]
    return all(key in done for key in required)


def unlocked(mode: str, modules: Sequence[tuple[str, Sequence[str]]], complete: set[str]) -> set[str]:
    """The modules a player may work on: ``modules`` as (key, requires) in track order."""
    out: set[str] = set()
    previous: str | None = None
    for key, requires in modules:
        if mode == "graph":
            ok = all(r in complete for r in requires)
        else:
            ok = previous is None or previous in complete
        if ok:
            out.add(key)
        previous = key
    return out


def is_open(opens_at: datetime | None, closes_at: datetime | None, now: datetime) -> bool:
    """Within a visibility window (naive UTC times; None = unbounded)."""
    return (opens_at is None or now >= opens_at) and (closes_at is None or now < closes_at)


# --- per-language completeness ---------------------------------------------------------------------


@dataclass(frozen=True)
class Completeness:
    locale: str
    percent: int
    missing: list[str]  # where the text is missing ("modules.http.title", "lessons/x.ja.md"…)


def completeness(texts: Sequence[tuple[str, Mapping[str, str]]]) -> list[Completeness]:
    """For each of :data:`LOCALES`: the share of a track's texts written in it and which are not.
    ``texts`` lists every text as (where, {locale: text})."""
    out = []
    for code in LOCALES:
        missing = [where for where, values in texts if not (values.get(code) or "").strip()]
        total = len(texts)
        percent = 100 if total == 0 else (100 * (total - len(missing))) // total
        out.append(Completeness(code, percent, missing))
    return out
