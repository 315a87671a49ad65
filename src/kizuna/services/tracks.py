"""Learning tracks: import and export of track folders, what a viewer sees, answering tasks.

Folders (``docs/tracks.md``) are read through ``safe_tree`` (no link followed, nothing outside the
folder, sizes bounded), all checked first; then every track is written in one transaction. A track is
matched by its id: re-importing updates it in place, removes the modules, lessons, tasks and files no
longer in the folder (and the completions of removed tasks) and keeps every other completion.

Progress (per user): a task is done when its completion is recorded (a right answer through
:func:`answer_task`, or — for a task referencing an event challenge — :func:`challenge_solved`, called
by ``services.solves.record_solve``), or when the user has a solve or practice solve of the referenced
challenge. Completing a task appends ``task_completed`` and, when it completes them, exactly one
``lesson_completed`` / ``module_completed`` / ``track_completed`` (the user's progress is locked
while this is decided, and each of those events has a unique key besides).
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from kizuna.domain import tracks as dt
from kizuna.domain.clock import Phase
from kizuna.domain.errors import DomainError, ErrorCode, Forbidden, NotFound
from kizuna.domain.events import Audience
from kizuna.domain.policy import Action
from kizuna.domain.schedule import schedule_state
from kizuna.i18n import gettext as _
from kizuna.services.accounts import Principal, account_id
from kizuna.services.challenge_folders import dump_yml
from kizuna.services.context import Context
from kizuna.services.event import clock_of, get_event
from kizuna.services.safe_tree import FolderTree, Limits, Refused, safe_write
from kizuna.services.throttle import TASK_ANSWERS_PER_USER
from kizuna.storage import tables as t
from kizuna.storage import track_queries
from kizuna.storage.uow import UnitOfWork

TRACK_YML = "track.yml"
LESSONS_DIR = "lessons"
FILES_DIR = "files"


# --- reading folders -------------------------------------------------------------------------------


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _exists(path: Path) -> bool:
    try:
        os.lstat(path)
    except OSError:
        return False
    return True


def find_track_dirs(root: Path) -> list[Path]:
    """``root`` when it holds a track.yml, else each folder just below it that does (hidden folders
    and links skipped); ``TrackError`` when there is none."""
    if _exists(root / TRACK_YML):
        return [root]
    found: list[Path] = []
    if _is_dir(root):
        for name in sorted(os.listdir(root)):
            sub = root / name
            if not name.startswith(".") and _is_dir(sub) and _exists(sub / TRACK_YML):
                found.append(sub)
    if not found:
        raise dt.TrackError([dt.Problem(str(root), "", error=DomainError(ErrorCode.TRACK_NONE))])
    return found


def read_track_dir(folder: Path) -> tuple[dt.TrackSpec | None, list[dt.Problem], list[dt.Problem]]:
    """One track folder, checked: its spec (None on problems), problems and warnings."""
    yml_label = str(folder / TRACK_YML)
    problems: list[dt.Problem] = []
    try:
        tree = FolderTree(folder, Limits(max_bytes=dt.MAX_YML_BYTES, max_yml_bytes=dt.MAX_YML_BYTES))
        raw = yaml.safe_load(tree.read(TRACK_YML, dt.MAX_YML_BYTES).decode("utf-8"))
    except Refused as exc:
        return None, [dt.Problem(yml_label, "", message=exc.message)], []
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        detail = " ".join(str(exc).split())[:300]
        return (
            None,
            [dt.Problem(yml_label, "", message=_("cannot be read as YAML: %(detail)s", detail=detail))],
            [],
        )
    bodies: dict[str, dict[str, str]] = {}
    for key in _lesson_ids(raw):
        for code in dt.LOCALES:
            rel = f"{LESSONS_DIR}/{key}.{code}.md"
            if not _exists(folder / rel):
                continue
            try:
                bodies.setdefault(key, {})[code] = tree.read(rel, dt.MAX_BODY_BYTES).decode("utf-8")
            except Refused as exc:
                problems.append(dt.Problem(str(folder / rel), "", message=exc.message))
            except UnicodeDecodeError:
                problems.append(dt.Problem(str(folder / rel), "", message=_("is not UTF-8 text")))
    files: dict[str, bytes] = {}
    if _exists(folder / FILES_DIR):
        if not _is_dir(folder / FILES_DIR):
            problems.append(dt.Problem(str(folder / FILES_DIR), "", message=_("must be a folder")))
        else:
            names = sorted(os.listdir(folder / FILES_DIR))
            if len(names) > dt.MAX_FILES:
                problems.append(
                    dt.Problem(
                        str(folder / FILES_DIR),
                        "",
                        error=DomainError(ErrorCode.TRACK_TOO_MANY, limit=dt.MAX_FILES),
                    )
                )
                names = []
            for name in names:
                rel = f"{FILES_DIR}/{name}"
                if not dt.FILE_NAME.match(name):
                    problems.append(
                        dt.Problem(
                            str(folder / rel),
                            "",
                            error=DomainError(ErrorCode.TRACK_FILE_NAME, name=name[:100]),
                        )
                    )
                    continue
                try:
                    files[name] = tree.read(rel, dt.MAX_FILE_BYTES)
                except Refused as exc:
                    problems.append(dt.Problem(str(folder / rel), "", message=exc.message))
    spec, found, warnings = dt.parse_track(
        raw, path=yml_label, bodies=bodies, files=files, lesson_path=str(folder / LESSONS_DIR)
    )
    problems += found
    return (None if problems else spec), problems, warnings


def _lesson_ids(raw: Any) -> list[str]:
    """The lesson ids a track.yml names that are valid ids (only those are looked up as files)."""
    out: list[str] = []
    if not isinstance(raw, dict):
        return out
    for module in raw.get("modules") or []:
        if not isinstance(module, dict):
            continue
        for lesson in module.get("lessons") or []:
            key = lesson.get("id") if isinstance(lesson, dict) else None
            if isinstance(key, str) and dt.ID_PATTERN.match(key):
                out.append(key)
    return out[: dt.MAX_LESSONS]


# --- import ----------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    created: list[str]
    updated: list[str]
    warnings: list[dt.Problem]


def read_tracks(root: Path) -> tuple[list[dt.TrackSpec], list[dt.Problem]]:
    """Every track folder under ``root``, checked; ``TrackError`` lists the problems of all."""
    specs: list[dt.TrackSpec] = []
    problems: list[dt.Problem] = []
    warnings: list[dt.Problem] = []
    seen: dict[str, str] = {}
    for folder in find_track_dirs(root):
        spec, found, warned = read_track_dir(folder)
        problems += found
        warnings += warned
        if spec is not None:
            if spec.key in seen:
                problems.append(
                    dt.Problem(
                        str(folder / TRACK_YML),
                        "id",
                        error=DomainError(ErrorCode.TRACK_KEY_TWICE, id=spec.key, other=seen[spec.key]),
                    )
                )
            seen.setdefault(spec.key, str(folder))
            specs.append(spec)
    if problems:
        raise dt.TrackError(problems)
    return specs, warnings


def import_tracks(ctx: Context, root: Path, dry_run: bool = False) -> ImportReport:
    """Create or update (by id) the track of every track folder under ``root``; all or nothing."""
    specs, warnings = read_tracks(root)
    return write_tracks(ctx, specs, warnings, dry_run)


def write_tracks(
    ctx: Context, specs: list[dt.TrackSpec], warnings: list[dt.Problem], dry_run: bool = False
) -> ImportReport:
    with ctx.db.read() as s:
        stored = {row.key for row in s.query(t.LearningTrack)}
    created = [spec.key for spec in specs if spec.key not in stored]
    updated = [spec.key for spec in specs if spec.key in stored]
    if dry_run:
        return ImportReport(created, updated, warnings)
    with ctx.write() as uow:
        s = uow.session
        top = max([row.position for row in s.query(t.LearningTrack)] or [0])
        for spec in specs:
            track = _write_track(ctx, s, spec, top)
            if track.position == top + 1:
                top += 1
            uow.audit(
                None,
                "track.imported",
                "track",
                spec.key,
                after={
                    "modules": len(spec.modules),
                    "lessons": len(spec.lessons()),
                    "tasks": len(spec.tasks()),
                },
            )
    return ImportReport(created, updated, warnings)


def _texts(**fields: dict[str, str]) -> dict[str, dict[str, str]]:
    """``title={en: …}, summary={en: …}`` → ``{en: {title: …, summary: …}}``."""
    out: dict[str, dict[str, str]] = {}
    for name, values in fields.items():
        for code, text in values.items():
            out.setdefault(code, {})[name] = text
    return out


def _write_track(ctx: Context, s: Any, spec: dt.TrackSpec, top: int) -> t.LearningTrack:
    track = s.query(t.LearningTrack).filter_by(key=spec.key).one_or_none()
    if track is None:
        track = t.LearningTrack(key=spec.key, position=top + 1)
        s.add(track)
    track.texts = _texts(title=spec.title, summary=spec.summary)
    track.category, track.level, track.unlock = spec.category, spec.level, spec.unlock
    track.opens_at, track.closes_at = spec.opens_at, spec.closes_at
    track.updated_at = ctx.now()
    s.flush()
    modules = {m.key: m for m in s.query(t.LearningModule).filter_by(track_id=track.id)}
    lessons = {x.key: x for x in s.query(t.LearningLesson).filter_by(track_id=track.id)}
    tasks = {x.key: x for x in s.query(t.LearningTask).filter_by(track_id=track.id)}
    kept_modules, kept_lessons, kept_tasks = set(), set(), set()
    for mi, mspec in enumerate(spec.modules):
        module = modules.get(mspec.key) or t.LearningModule(track_id=track.id, key=mspec.key)
        module.position, module.texts, module.requires = mi, _texts(title=mspec.title), list(mspec.requires)
        module.opens_at, module.closes_at = mspec.opens_at, mspec.closes_at
        s.add(module)
        s.flush()
        kept_modules.add(mspec.key)
        for li, lspec in enumerate(mspec.lessons):
            lesson = lessons.get(lspec.key) or t.LearningLesson(track_id=track.id, key=lspec.key)
            lesson.module_id, lesson.position = module.id, li
            lesson.texts = _texts(title=lspec.title, body=lspec.body)
            lesson.video = dict(lspec.video)
            s.add(lesson)
            s.flush()
            kept_lessons.add(lspec.key)
            for ti, tspec in enumerate(lspec.tasks):
                task = tasks.get(tspec.key) or t.LearningTask(track_id=track.id, key=tspec.key)
                task.lesson_id, task.position, task.type, task.required = (
                    lesson.id,
                    ti,
                    tspec.type,
                    tspec.required,
                )
                task.texts = _texts(prompt=tspec.prompt)
                task.choices = [dict(c) for c in tspec.choices]
                task.solution = tspec.solution()
                task.challenge = tspec.challenge
                s.add(task)
                kept_tasks.add(tspec.key)
    s.flush()
    gone_tasks = [x for k, x in tasks.items() if k not in kept_tasks]
    if gone_tasks:
        s.query(t.TaskCompletion).filter(t.TaskCompletion.task_id.in_([x.id for x in gone_tasks])).delete(
            synchronize_session=False
        )
    for row in gone_tasks:
        s.delete(row)
    s.flush()
    for row in [x for k, x in lessons.items() if k not in kept_lessons]:
        s.delete(row)
    s.flush()
    for row in [x for k, x in modules.items() if k not in kept_modules]:
        s.delete(row)
    stored_files = {f.name: f for f in s.query(t.LearningFile).filter_by(track_id=track.id)}
    for name, data in spec.files.items():
        row = stored_files.get(name) or t.LearningFile(track_id=track.id, name=name)
        row.content = data
        s.add(row)
    for name, row in stored_files.items():
        if name not in spec.files:
            s.delete(row)
    s.flush()
    return track


# --- the stored track, as a spec (export, completeness) --------------------------------------------


def _field(texts: dict[str, Any], name: str) -> dict[str, str]:
    return {
        code: values[name]
        for code, values in (texts or {}).items()
        if isinstance(values, dict) and values.get(name)
    }


def track_titles(ctx: Context, key: str) -> dict[str, str] | None:
    """A track's titles ({locale: text}) for its certificate; None for a track that is not stored.
    Closed tracks keep theirs: a player who completed one may still ask for the certificate."""
    with ctx.db.read() as s:
        texts = track_queries.track_texts(s, key)
    return _field(texts, "title") if texts is not None else None


def _stored(s: Any, track: t.LearningTrack, with_files: bool = True) -> dt.TrackSpec:
    spec = dt.TrackSpec(
        key=track.key,
        title=_field(track.texts, "title"),
        summary=_field(track.texts, "summary"),
        category=track.category,
        level=track.level,
        unlock=track.unlock,
        opens_at=track.opens_at,
        closes_at=track.closes_at,
    )
    modules = s.query(t.LearningModule).filter_by(track_id=track.id).order_by(t.LearningModule.position).all()
    lessons = s.query(t.LearningLesson).filter_by(track_id=track.id).order_by(t.LearningLesson.position).all()
    tasks = s.query(t.LearningTask).filter_by(track_id=track.id).order_by(t.LearningTask.position).all()
    for m in modules:
        mspec = dt.ModuleSpec(
            m.key, _field(m.texts, "title"), list(m.requires or []), m.opens_at, m.closes_at
        )
        for lesson in [x for x in lessons if x.module_id == m.id]:
            lspec = dt.LessonSpec(
                lesson.key,
                _field(lesson.texts, "title"),
                _field(lesson.texts, "body"),
                dict(lesson.video or {}),
            )
            for task in [x for x in tasks if x.lesson_id == lesson.id]:
                sol = task.solution or {}
                lspec.tasks.append(
                    dt.TaskSpec(
                        key=task.key,
                        type=task.type,
                        required=task.required,
                        prompt=_field(task.texts, "prompt"),
                        choices=[dict(c) for c in task.choices or []],
                        answer=sol.get("index"),
                        answers=list(sol.get("answers") or []),
                        case_sensitive=bool(sol.get("case_sensitive")),
                        flag=sol.get("flag"),
                        challenge=task.challenge,
                    )
                )
            mspec.lessons.append(lspec)
        spec.modules.append(mspec)
    if with_files:
        spec.files = {f.name: f.content for f in s.query(t.LearningFile).filter_by(track_id=track.id)}
    return spec


# --- export ----------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def track_yml(spec: dt.TrackSpec) -> dict[str, Any]:
    """The ``track.yml`` data of a spec, in the documented order (what an export writes)."""

    def task_data(task: dt.TaskSpec) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": task.key,
            "type": task.type,
            "required": task.required,
            "prompt": task.prompt,
        }
        if task.type == "choice":
            out["choices"] = task.choices
            out["answer"] = task.answer
        elif task.type == "text":
            out["answers"] = task.answers
            out["case_sensitive"] = task.case_sensitive
        elif task.challenge is not None:
            out["challenge"] = task.challenge
        else:
            out["flag"] = task.flag
        return out

    def video(values: dict[str, str]) -> Any:
        if not values:
            return None
        return values[""] if "" in values else values

    return {
        "version": dt.FORMAT_VERSION,
        "id": spec.key,
        "title": spec.title,
        "summary": spec.summary,
        "category": spec.category,
        "level": spec.level,
        "opens_at": _iso(spec.opens_at),
        "closes_at": _iso(spec.closes_at),
        "unlock": spec.unlock,
        "modules": [
            {
                "id": m.key,
                "title": m.title,
                "requires": m.requires,
                "opens_at": _iso(m.opens_at),
                "closes_at": _iso(m.closes_at),
                "lessons": [
                    {
                        "id": lesson.key,
                        "title": lesson.title,
                        "video": video(lesson.video),
                        "tasks": [task_data(x) for x in lesson.tasks],
                    }
                    for lesson in m.lessons
                ],
            }
            for m in spec.modules
        ],
    }


def export_tracks(ctx: Context, root: Path, key: str | None = None) -> list[str]:
    """Write each track (or the one named) as ``root/<id>/`` in the folder format; the ids written."""
    with ctx.db.read() as s:
        query = s.query(t.LearningTrack).order_by(t.LearningTrack.position, t.LearningTrack.id)
        rows = [r for r in query if key is None or r.key == key]
        if key is not None and not rows:
            raise NotFound(field="track")
        specs = [_stored(s, row) for row in rows]
    for spec in specs:
        base = root / spec.key
        safe_write(root, f"{spec.key}/{TRACK_YML}", dump_yml(track_yml(spec)).encode("utf-8"))
        for lesson in spec.lessons():
            for code, body in lesson.body.items():
                safe_write(base, f"{LESSONS_DIR}/{lesson.key}.{code}.md", body.encode("utf-8"))
        for name, data in spec.files.items():
            safe_write(base, f"{FILES_DIR}/{name}", data)
    return [spec.key for spec in specs]


# --- what a viewer sees ----------------------------------------------------------------------------


@dataclass
class TaskView:
    key: str
    type: str
    required: bool
    texts: dict[str, Any]  # {locale: {prompt}}
    choices: list[dict[str, str]]
    challenge: str | None
    challenge_id: int | None  # the referenced challenge, when the viewer may see it
    done: bool
    available: bool  # False: a referenced challenge the viewer cannot see (yet)
    id: int = 0


@dataclass
class LessonView:
    key: str
    texts: dict[str, Any]  # {locale: {title, body}}
    video: dict[str, str]
    tasks: list[TaskView]
    complete: bool
    module_key: str = ""


@dataclass
class ModuleView:
    key: str
    texts: dict[str, Any]
    requires: list[str]
    opens_at: datetime | None
    closes_at: datetime | None
    open: bool  # within its window
    unlocked: bool
    complete: bool
    lessons: list[LessonView]
    done: int  # required tasks done
    total: int  # required tasks


@dataclass
class TrackView:
    key: str
    texts: dict[str, Any]
    category: str
    level: str
    unlock: str
    opens_at: datetime | None
    closes_at: datetime | None
    open: bool
    modules: list[ModuleView]  # those the viewer may see
    complete: bool
    done: int
    total: int
    files: list[str] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else 100 * self.done // self.total


def is_staff(who: Principal | None) -> bool:
    return who is not None and who.can(Action.CHALLENGE_VIEW_ALL)


def _load(s: Any, ctx: Context, who: Principal | None, track: t.LearningTrack) -> TrackView:
    """One track as ``who`` sees it: its visible modules, their lock state and the viewer's progress."""
    now = ctx.now()
    staff = is_staff(who)
    modules = s.query(t.LearningModule).filter_by(track_id=track.id).order_by(t.LearningModule.position).all()
    lessons = s.query(t.LearningLesson).filter_by(track_id=track.id).order_by(t.LearningLesson.position).all()
    tasks = s.query(t.LearningTask).filter_by(track_id=track.id).order_by(t.LearningTask.position).all()
    done_ids: set[int] = set()
    solved: set[str] = set()
    if who is not None and tasks:
        done_ids = {
            c.task_id
            for c in s.query(t.TaskCompletion).filter(
                t.TaskCompletion.user_id == who.user_id, t.TaskCompletion.task_id.in_([x.id for x in tasks])
            )
        }
        names = sorted({x.challenge for x in tasks if x.challenge})
        solved = track_queries.solved_names(s, who.user_id, names)
    visible_challenges: dict[str, int] = {}
    names = sorted({x.challenge for x in tasks if x.challenge})
    if names:
        # What the board would show the viewer: visible, released, the event started, and not locked
        # behind prerequisites (a locked challenge is never named to those who have not unlocked it).
        from kizuna.services import board

        started = clock_of(get_event(ctx)).phase(now) is not Phase.NOT_STARTED
        locked = board.locked_ids(s, who) if not staff else set()
        for ch in s.query(t.Challenge).filter(t.Challenge.name.in_(names)).order_by(t.Challenge.id):
            may = staff or (
                started
                and ch.state == "visible"
                and schedule_state(ch.release_at, ch.close_at, now) != "scheduled"
                and ch.id not in locked
            )
            if may:
                visible_challenges.setdefault(ch.name, ch.id)
    done_keys = {x.key for x in tasks if x.id in done_ids or (x.challenge and x.challenge in solved)}
    by_lesson: dict[int, list[t.LearningTask]] = {}
    for x in tasks:
        by_lesson.setdefault(x.lesson_id, []).append(x)
    module_views: list[ModuleView] = []
    complete_modules: set[str] = set()
    for m in modules:
        lesson_views = []
        mtasks: list[tuple[str, bool]] = []
        for lesson in [x for x in lessons if x.module_id == m.id]:
            ltasks = by_lesson.get(lesson.id, [])
            mtasks += [(x.key, x.required) for x in ltasks]
            lesson_views.append(
                LessonView(
                    lesson.key,
                    lesson.texts or {},
                    dict(lesson.video or {}),
                    [
                        TaskView(
                            x.key,
                            x.type,
                            x.required,
                            x.texts or {},
                            [dict(c) for c in x.choices or []],
                            x.challenge,
                            visible_challenges.get(x.challenge) if x.challenge else None,
                            x.key in done_keys,
                            not x.challenge or x.challenge in visible_challenges,
                            x.id,
                        )
                        for x in ltasks
                    ],
                    dt.group_complete([(x.key, x.required) for x in ltasks], done_keys),
                    m.key,
                )
            )
        complete = dt.group_complete(mtasks, done_keys)
        if complete:
            complete_modules.add(m.key)
        required = [k for k, r in mtasks if r] or [k for k, _r in mtasks]
        module_views.append(
            ModuleView(
                m.key,
                m.texts or {},
                list(m.requires or []),
                m.opens_at,
                m.closes_at,
                dt.is_open(m.opens_at, m.closes_at, now),
                False,
                complete,
                lesson_views,
                sum(1 for k in required if k in done_keys),
                len(required),
            )
        )
    opened = dt.unlocked(track.unlock, [(m.key, m.requires) for m in module_views], complete_modules)
    for mv in module_views:
        mv.unlocked = mv.key in opened
    shown = [mv for mv in module_views if staff or mv.open]
    return TrackView(
        track.key,
        track.texts or {},
        track.category,
        track.level,
        track.unlock,
        track.opens_at,
        track.closes_at,
        dt.is_open(track.opens_at, track.closes_at, now),
        shown,
        all(mv.complete for mv in module_views),
        sum(mv.done for mv in module_views),
        sum(mv.total for mv in module_views),
    )


def _visible_track(s: Any, ctx: Context, who: Principal | None, key: str) -> t.LearningTrack:
    track = s.query(t.LearningTrack).filter_by(key=key).one_or_none() if isinstance(key, str) else None
    if track is None or not (is_staff(who) or dt.is_open(track.opens_at, track.closes_at, ctx.now())):
        raise NotFound(field="track")
    return track


def list_tracks(ctx: Context, who: Principal | None) -> list[TrackView]:
    """The tracks ``who`` may see, in order, with their progress (staff: every track)."""
    with ctx.db.read() as s:
        rows = s.query(t.LearningTrack).order_by(t.LearningTrack.position, t.LearningTrack.id).all()
        now = ctx.now()
        return [
            _load(s, ctx, who, r) for r in rows if is_staff(who) or dt.is_open(r.opens_at, r.closes_at, now)
        ]


def track_names(ctx: Context, who: Principal | None) -> list[tuple[str, dict[str, Any]]]:
    """The key and texts of each track ``who`` may see, in order (one light query: for filters)."""
    with ctx.db.read() as s:
        rows = track_queries.track_headers(s)
    now = ctx.now()
    return [
        (key, texts) for key, texts, opens, closes in rows if is_staff(who) or dt.is_open(opens, closes, now)
    ]


def track_detail(ctx: Context, who: Principal | None, key: str) -> TrackView:
    """One track with its modules, lessons, tasks, lock state and the viewer's progress; hidden and
    missing tracks are the same 404 for players."""
    with ctx.db.read() as s:
        track = _visible_track(s, ctx, who, key)
        view = _load(s, ctx, who, track)
        view.files = sorted(f.name for f in s.query(t.LearningFile).filter_by(track_id=track.id))
        return view


def lesson_view(
    ctx: Context, who: Principal | None, key: str, lesson_key: str
) -> tuple[TrackView, ModuleView, LessonView]:
    """A lesson of a visible module (404 otherwise); its module may be locked (the caller shows so)."""
    view = track_detail(ctx, who, key)
    for module in view.modules:
        for lesson in module.lessons:
            if lesson.key == lesson_key:
                return view, module, lesson
    raise NotFound(field="lesson")


def track_file(ctx: Context, who: Principal | None, key: str, name: str) -> bytes:
    with ctx.db.read() as s:
        track = _visible_track(s, ctx, who, key)
        row = s.query(t.LearningFile).filter_by(track_id=track.id, name=name).one_or_none()
        if row is None:
            raise NotFound(field="file")
        return bytes(row.content)


# --- answering -------------------------------------------------------------------------------------


@dataclass
class AnswerResult:
    correct: bool
    completed: dict[str, bool]  # task, lesson, module, track: complete now
    message: str = ""  # an attempt message id, for a referenced challenge's answer
    params: dict[str, Any] = field(default_factory=dict)


def _find_task(view: TrackView, task_key: str) -> tuple[ModuleView, LessonView, TaskView]:
    for module in view.modules:
        for lesson in module.lessons:
            for task in lesson.tasks:
                if task.key == task_key:
                    return module, lesson, task
    raise NotFound(field="task")


def answer_task(
    ctx: Context, who: Principal, key: str, task_key: str, answer: Any, ip: str = "", limiter: Any = None
) -> AnswerResult:
    """Check a player's answer to a task; a right one completes it (and what it completes). A task of
    a locked module is refused (403); of a hidden track or module, 404. A task referencing an event
    challenge takes that challenge's flag through the normal attempt (it scores during the event)."""
    view = track_detail(ctx, who, key)
    module, _lesson, task = _find_task(view, task_key)
    if not module.unlocked and not is_staff(who):
        raise Forbidden(ErrorCode.MODULE_LOCKED, field="task")
    if isinstance(answer, str) and len(answer) > dt.MAX_ANSWER_LENGTH:
        raise DomainError(ErrorCode.SUBMISSION_TOO_LONG, field="answer", max=dt.MAX_ANSWER_LENGTH)
    if answer is None or answer == "":
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="answer")
    message, params = "", {}
    if task.challenge:
        if task.challenge_id is None or not task.available:
            raise DomainError(ErrorCode.TASK_UNAVAILABLE, field="task", status=409)
        from kizuna.services import submissions

        outcome = submissions.submit_flag(ctx, who, task.challenge_id, str(answer), ip=ip)
        correct = outcome.status == "correct" or outcome.message in ("already_solved_correct",)
        message, params = outcome.message, dict(outcome.params)
    else:
        # ``limiter``: the web's throttle; each answer takes a hit, a right one gives it back.
        hit = (
            limiter.take(TASK_ANSWERS_PER_USER, str(who.user_id))
            if limiter is not None and not task.done
            else None
        )
        with ctx.db.read() as s:
            row = s.get(t.LearningTask, task.id)
            solution = dict(row.solution or {}) if row is not None else {}
        correct = dt.check_answer(task.type, solution, answer)
        if correct and hit is not None:
            limiter.refund(hit)
        if correct and not task.done:
            ev = get_event(ctx)
            with ctx.write() as uow:
                complete_task(
                    uow,
                    task_id=task.id,
                    user_id=who.user_id,
                    account_id=account_id(ev.mode, who.user_id, who.team_id) or who.user_id,
                )
    after = track_detail(ctx, who, key)
    m2, l2, t2 = _find_task(after, task_key)
    return AnswerResult(
        correct,
        {"task": t2.done, "lesson": l2.complete, "module": m2.complete, "track": after.complete},
        message,
        params,
    )


def _event_key(kind: str, user_id: int, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:40]
    return f"{kind}:{user_id}:{digest}"


def complete_task(uow: UnitOfWork, *, task_id: int, user_id: int, account_id: int) -> bool:
    """Record the user's completion of the task inside ``uow``, once, and append ``task_completed``
    and each lesson/module/track event it causes; whether it was recorded now."""
    s = uow.session
    track_queries.lock_progress(s, user_id)
    task = s.get(t.LearningTask, task_id)
    if task is None:
        return False
    if not track_queries.insert_completion(s, task_id=task.id, user_id=user_id, at=uow.now()):
        return False
    track = s.get(t.LearningTrack, task.track_id)
    lesson = s.get(t.LearningLesson, task.lesson_id)
    module = s.get(t.LearningModule, lesson.module_id) if lesson is not None else None
    assert track is not None and lesson is not None and module is not None  # held by foreign keys
    tasks = s.query(t.LearningTask).filter_by(track_id=track.id).all()
    lessons = {x.id: x for x in s.query(t.LearningLesson).filter_by(track_id=track.id)}
    done_ids = {
        c.task_id
        for c in s.query(t.TaskCompletion).filter(
            t.TaskCompletion.user_id == user_id, t.TaskCompletion.task_id.in_([x.id for x in tasks])
        )
    }
    solved = track_queries.solved_names(s, user_id, sorted({x.challenge for x in tasks if x.challenge}))
    done = {x.key for x in tasks if x.id in done_ids or (x.challenge and x.challenge in solved)}
    before = done - {task.key}
    audience = {"audience": Audience.ACCOUNT, "account_id": account_id}
    uow.emit(
        "task_completed",
        {
            "track_key": track.key,
            "module_key": module.key,
            "lesson_key": lesson.key,
            "task_key": task.key,
            "user_id": user_id,
            "required": task.required,
        },
        **audience,  # type: ignore[arg-type]
    )

    def became(group: list[t.LearningTask]) -> bool:
        pairs = [(x.key, x.required) for x in group]
        return dt.group_complete(pairs, done) and not dt.group_complete(pairs, before)

    if became([x for x in tasks if x.lesson_id == lesson.id]):
        uow.emit(
            "lesson_completed",
            {"track_key": track.key, "module_key": module.key, "lesson_key": lesson.key, "user_id": user_id},
            key=_event_key("lesson", user_id, track.key, lesson.key),
            **audience,  # type: ignore[arg-type]
        )
    module_tasks = [x for x in tasks if lessons[x.lesson_id].module_id == module.id]
    if became(module_tasks):
        uow.emit(
            "module_completed",
            {"track_key": track.key, "module_key": module.key, "user_id": user_id},
            key=_event_key("module", user_id, track.key, module.key),
            **audience,  # type: ignore[arg-type]
        )
        modules = s.query(t.LearningModule).filter_by(track_id=track.id).all()

        def module_done(keys: set[str], m: t.LearningModule) -> bool:
            return dt.group_complete(
                [(x.key, x.required) for x in tasks if lessons[x.lesson_id].module_id == m.id], keys
            )

        if all(module_done(done, m) for m in modules) and not all(module_done(before, m) for m in modules):
            uow.emit(
                "track_completed",
                {"track_key": track.key, "user_id": user_id},
                key=_event_key("track", user_id, track.key),
                **audience,  # type: ignore[arg-type]
            )
    return True


def challenge_solved(uow: UnitOfWork, *, user_id: int, account_id: int, challenge_id: int) -> None:
    """A user solved an event challenge (a correct solve or a practice solve, inside the caller's unit
    of work): complete every task referencing it, with the lesson/module/track cascade. One indexed
    query when no task references the challenge (the usual case)."""
    s = uow.session
    ch = s.get(t.Challenge, challenge_id)
    if ch is None:
        return
    for task in track_queries.tasks_referencing(s, ch.name):
        complete_task(uow, task_id=task.id, user_id=user_id, account_id=account_id)


# --- the organisers' view --------------------------------------------------------------------------


@dataclass
class TrackSummary:
    key: str
    texts: dict[str, Any]
    opens_at: datetime | None
    closes_at: datetime | None
    open: bool
    modules: int
    lessons: int
    tasks: int
    learners: int
    completeness: list[dt.Completeness]


def spec_texts(spec: dt.TrackSpec) -> list[tuple[str, dict[str, str]]]:
    """Every text of a track, named by where it is (for per-language completeness)."""
    out: list[tuple[str, dict[str, str]]] = [("title", spec.title), ("summary", spec.summary)]
    for m in spec.modules:
        out.append((f"{m.key}.title", m.title))
        for lesson in m.lessons:
            out.append((f"{lesson.key}.title", lesson.title))
            out.append((f"{LESSONS_DIR}/{lesson.key}.md", lesson.body))
            for task in lesson.tasks:
                out.append((f"{task.key}.prompt", task.prompt))
                out += [(f"{task.key}.choices[{i}]", c) for i, c in enumerate(task.choices)]
    return out


def admin_overview(ctx: Context) -> list[TrackSummary]:
    with ctx.db.read() as s:
        out = []
        for row in s.query(t.LearningTrack).order_by(t.LearningTrack.position, t.LearningTrack.id):
            spec = _stored(s, row, with_files=False)
            out.append(
                TrackSummary(
                    row.key,
                    row.texts or {},
                    row.opens_at,
                    row.closes_at,
                    dt.is_open(row.opens_at, row.closes_at, ctx.now()),
                    len(spec.modules),
                    len(spec.lessons()),
                    len(spec.tasks()),
                    track_queries.learners(s, row.id),
                    dt.completeness(spec_texts(spec)),
                )
            )
        return out


def stored_spec(ctx: Context, key: str) -> dt.TrackSpec:
    """A stored track as a spec (tests compare import → export → import with it)."""
    with ctx.db.read() as s:
        row = s.query(t.LearningTrack).filter_by(key=key).one_or_none()
        if row is None:
            raise NotFound(field="track")
        return _stored(s, row)


def completeness_of(spec: dt.TrackSpec) -> list[dt.Completeness]:
    """A track's per-language completeness (en, ja): the share of its texts written in each."""
    return dt.completeness(spec_texts(spec))


def completed_tracks(ctx: Context, viewer: Principal | None, user_id: int) -> list[TrackView]:
    """The tracks a user has completed, among those ``viewer`` may see (for the player's page)."""
    learner = Principal(user_id, "", "player", None)
    now = ctx.now()
    with ctx.db.read() as s:
        rows = s.query(t.LearningTrack).order_by(t.LearningTrack.position, t.LearningTrack.id).all()
        if not rows or not s.query(t.TaskCompletion).filter(t.TaskCompletion.user_id == user_id).first():
            return []
        views = [
            _load(s, ctx, learner, r)
            for r in rows
            if is_staff(viewer) or dt.is_open(r.opens_at, r.closes_at, now)
        ]
    return [v for v in views if v.complete and v.total > 0]
