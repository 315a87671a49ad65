"""Learning tracks: import/export round trip, re-import, refused folders, unlocking, visibility
windows, answering (service and API), referenced event challenges and the completion race."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from kizuna.domain.errors import ErrorCode
from kizuna.domain.tracks import TrackError
from kizuna.services import submissions, tracks
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import tables as t
from tests.conftest import Factory, auth
from tests.racing import race

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tracks" / "sample-track"
ANSWERS: dict[str, Any] = {
    "base64-name": 1,
    "decode-word": "Kizuna",
    "hash-length": "６４",  # full-width digits, as a Japanese IME types them
    "reversed-flag": "kizuna{reversed}",
    "bonus-choice": 0,
}
SECRETS = ("kizuna{reversed}", "solution", '"answers"', '"flag"', '"index"')


def copy_fixture(tmp_path: Path) -> Path:
    folder = tmp_path / "tracks" / "sample-track"
    shutil.copytree(FIXTURE, folder)
    return folder


def edit_yml(folder: Path, old: str, new: str) -> None:
    yml = folder / "track.yml"
    text = yml.read_text(encoding="utf-8")
    assert old in text
    yml.write_text(text.replace(old, new), encoding="utf-8")


def table_counts(ctx: Context) -> dict[str, int]:
    tables = (
        t.LearningTrack,
        t.LearningModule,
        t.LearningLesson,
        t.LearningTask,
        t.LearningFile,
        t.TaskCompletion,
    )
    with ctx.db.read() as s:
        return {x.__tablename__: int(s.scalar(select(func.count()).select_from(x)) or 0) for x in tables}


def events(ctx: Context, *types: str) -> Counter[str]:
    with ctx.db.read() as s:
        return Counter(s.scalars(select(t.EventLog.type).where(t.EventLog.type.in_(types))))


LEARNING = ("task_completed", "lesson_completed", "module_completed", "track_completed")


# --- import and export ---------------------------------------------------------------------------


def test_import_export_import_is_lossless(ctx: Context, tmp_path: Path) -> None:
    report = tracks.import_tracks(ctx, FIXTURE)
    assert report.created == ["sample-track"] and not report.warnings
    first = tracks.stored_spec(ctx, "sample-track")
    assert len(first.modules) == 2 and len(first.lessons()) == 3
    assert {x.type for x in first.tasks()} == {"choice", "text", "flag"}
    out = tmp_path / "out"
    assert tracks.export_tracks(ctx, out) == ["sample-track"]
    again = tracks.import_tracks(ctx, out)
    assert again.updated == ["sample-track"] and not again.created
    assert tracks.stored_spec(ctx, "sample-track") == first
    # The export writes the same format: exporting again gives the same bytes, and the lesson bodies
    # and attachments are the folder's own.
    out2 = tmp_path / "out2"
    tracks.export_tracks(ctx, out2, "sample-track")
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        assert (out2 / path.relative_to(out)).read_bytes() == path.read_bytes()
    for rel in ("lessons/encodings.ja.md", "lessons/hashes.en.md", "files/notes.txt"):
        assert (out / "sample-track" / rel).read_bytes() == (FIXTURE / rel).read_bytes()


def test_reimport_updates_in_place_removes_what_is_gone_and_keeps_progress(
    ctx: Context, make: Factory, tmp_path: Path
) -> None:
    folder = copy_fixture(tmp_path)
    tracks.import_tracks(ctx, folder)
    player = Principal.of(make.user())
    assert tracks.answer_task(ctx, player, "sample-track", "base64-name", 1).correct
    assert tracks.answer_task(ctx, player, "sample-track", "hash-length", "64").correct
    before = table_counts(ctx)
    tracks.import_tracks(ctx, folder)  # idempotent
    assert table_counts(ctx) == before
    # The hashes lesson (and its task) leaves the folder; a title changes.
    text = (folder / "track.yml").read_text(encoding="utf-8")
    start = text.index("      - id: hashes")
    end = text.index("  - id: practice")
    (folder / "track.yml").write_text(text[:start] + text[end:], encoding="utf-8")
    edit_yml(folder, 'title: {en: "Basics"', 'title: {en: "The basics"')
    (folder / "files" / "notes.txt").unlink()
    tracks.import_tracks(ctx, folder)
    after = table_counts(ctx)
    assert after["learning_lessons"] == before["learning_lessons"] - 1
    assert after["learning_tasks"] == before["learning_tasks"] - 1
    assert after["learning_files"] == 0
    assert after["learning_task_completions"] == 1  # the completion of the task still there is kept
    view = tracks.track_detail(ctx, player, "sample-track")
    assert view.modules[0].texts["en"]["title"] == "The basics"
    assert [x.key for x in view.modules[0].lessons] == ["encodings"]
    assert view.modules[0].lessons[0].tasks[0].done


def test_a_folder_of_track_folders_imports_each(ctx: Context, tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    second = folder.parent / "second"
    shutil.copytree(folder, second)
    edit_yml(second, "id: sample-track", "id: second-track")
    report = tracks.import_tracks(ctx, folder.parent)
    assert sorted(report.created) == ["sample-track", "second-track"]


def problems_of(ctx: Context, folder: Path) -> list[tuple[str, str, str]]:
    before = table_counts(ctx)
    with pytest.raises(TrackError) as caught:
        tracks.import_tracks(ctx, folder)
    assert table_counts(ctx) == before, "a refused folder changed the database"
    return [
        (Path(p.path).name, p.field, p.error.code.value if p.error else p.message)
        for p in caught.value.problems
    ]


def test_refused_folders_name_file_and_field_and_change_nothing(ctx: Context, tmp_path: Path) -> None:
    tracks.import_tracks(ctx, FIXTURE)
    folder = copy_fixture(tmp_path)
    edit_yml(folder, "answer: 1", "answer: 3")
    edit_yml(folder, "- id: hash-length", "- id: decode-word")
    edit_yml(folder, "requires: []", "requires: [practice]")
    edit_yml(folder, 'title: {en: "Sample track"', 'title: {en: "Changed"')
    found = problems_of(ctx, folder)
    assert ("track.yml", "modules[0].lessons[0].tasks[0].answer", ErrorCode.TRACK_ANSWER_INDEX.value) in found
    assert ("track.yml", "modules[0].lessons[1].tasks[0].id", ErrorCode.TRACK_ID_DUPLICATE.value) in found
    assert ("track.yml", "modules", ErrorCode.TRACK_UNLOCK_CYCLE.value) in found
    assert tracks.stored_spec(ctx, "sample-track").title["en"] == "Sample track"


def test_a_missing_body_is_an_error_and_a_missing_language_a_warning(ctx: Context, tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    (folder / "lessons" / "hashes.en.md").unlink()
    (folder / "lessons" / "hashes.ja.md").unlink()
    assert ("track.yml", "modules[0].lessons[1].id", ErrorCode.TRACK_BODY_MISSING.value) in problems_of(
        ctx, folder
    )
    (folder / "lessons" / "hashes.en.md").write_text("# Hashes\n", encoding="utf-8")
    edit_yml(folder, 'ja: "演習"', 'ja: ""')
    report = tracks.import_tracks(ctx, folder)
    warned = {(Path(w.path).name, w.field, w.error.code.value if w.error else "") for w in report.warnings}
    assert ("hashes.ja.md", "", ErrorCode.TRACK_LANGUAGE_MISSING.value) in warned
    assert ("track.yml", "modules[1].title", ErrorCode.TRACK_LANGUAGE_MISSING.value) in warned
    overview = {r.key: r for r in tracks.admin_overview(ctx)}["sample-track"]
    ja = next(c for c in overview.completeness if c.locale == "ja")
    en = next(c for c in overview.completeness if c.locale == "en")
    assert en.percent == 100 and ja.percent < 100
    assert set(ja.missing) == {"lessons/hashes.md", "practice.title"}


def test_path_traversal_links_and_huge_files_are_refused(ctx: Context, tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    edit_yml(folder, "- id: hashes", "- id: ../../etc/passwd")
    found = problems_of(ctx, folder)
    assert ("track.yml", "modules[0].lessons[1].id", ErrorCode.TRACK_ID_INVALID.value) in found

    folder = copy_fixture(tmp_path / "b")
    os.symlink("/etc/hostname", folder / "files" / "leak.txt")
    (folder / "files" / "bad name.txt").write_text("x", encoding="utf-8")
    (folder / "lessons" / "hashes.ja.md").write_text("x" * 300_000, encoding="utf-8")
    (folder / "files" / "big.bin").write_bytes(b"\0" * 300_000)
    found = problems_of(ctx, folder)
    names = [name for name, _field, _why in found]
    assert {"leak.txt", "bad name.txt", "hashes.ja.md", "big.bin"} <= set(names)
    assert any("symbolic link" in why for name, _f, why in found if name == "leak.txt")

    folder = copy_fixture(tmp_path / "c")
    (folder / "track.yml").write_bytes(b"version: 1\n" + b"#" * 1_100_000)
    assert problems_of(ctx, folder)


def test_windows_validate_and_offsets_are_required(ctx: Context, tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    edit_yml(folder, "opens_at: null\ncloses_at: null", 'opens_at: "2026-12-01T09:00:00"\ncloses_at: null')
    assert ("track.yml", "opens_at", ErrorCode.TIME_OFFSET_REQUIRED.value) in problems_of(ctx, folder)


# --- progress, unlocking and windows -------------------------------------------------------------


def test_answers_complete_tasks_and_each_cascade_event_once(ctx: Context, make: Factory) -> None:
    tracks.import_tracks(ctx, FIXTURE)
    player = Principal.of(make.user())
    view = tracks.track_detail(ctx, player, "sample-track")
    assert [m.unlocked for m in view.modules] == [True, False]
    with pytest.raises(Exception) as locked:
        tracks.answer_task(ctx, player, "sample-track", "reversed-flag", ANSWERS["reversed-flag"])
    assert getattr(locked.value, "code", None) == ErrorCode.MODULE_LOCKED
    assert not tracks.answer_task(ctx, player, "sample-track", "base64-name", 0).correct
    assert not tracks.answer_task(ctx, player, "sample-track", "decode-word", "kizuna ?").correct
    for key in ("base64-name", "decode-word", "hash-length"):
        result = tracks.answer_task(ctx, player, "sample-track", key, ANSWERS[key])
        assert result.correct and result.completed["task"]
    assert result.completed == {"task": True, "lesson": True, "module": True, "track": False}
    # Answering a done task again records nothing more.
    tracks.answer_task(ctx, player, "sample-track", "hash-length", "64")
    assert events(ctx, *LEARNING) == {"task_completed": 3, "lesson_completed": 2, "module_completed": 1}
    assert tracks.track_detail(ctx, player, "sample-track").modules[1].unlocked
    result = tracks.answer_task(ctx, player, "sample-track", "reversed-flag", "  ｋｉｚｕｎａ{reversed} ")
    assert result.completed["track"]  # the optional task is not needed
    assert not tracks.answer_task(ctx, player, "sample-track", "bonus-choice", 1).correct
    assert tracks.answer_task(ctx, player, "sample-track", "bonus-choice", 0).correct
    assert events(ctx, *LEARNING) == {
        "task_completed": 5,
        "lesson_completed": 3,
        "module_completed": 2,
        "track_completed": 1,
    }


def test_sequential_unlock_follows_module_order(ctx: Context, make: Factory, tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    edit_yml(folder, "unlock: graph", "unlock: sequential")
    edit_yml(folder, "requires: [basics]", "requires: []")
    tracks.import_tracks(ctx, folder)
    player = Principal.of(make.user())
    assert [m.unlocked for m in tracks.track_detail(ctx, player, "sample-track").modules] == [True, False]
    for key in ("base64-name", "decode-word", "hash-length"):
        tracks.answer_task(ctx, player, "sample-track", key, ANSWERS[key])
    assert [m.unlocked for m in tracks.track_detail(ctx, player, "sample-track").modules] == [True, True]


def test_visibility_windows_hide_tracks_and_modules_from_players(
    ctx: Context, make: Factory, tmp_path: Path
) -> None:
    folder = copy_fixture(tmp_path)
    edit_yml(
        folder, "opens_at: null\ncloses_at: null", 'opens_at: "2030-01-01T09:00:00+09:00"\ncloses_at: null'
    )
    tracks.import_tracks(ctx, folder)
    player = Principal.of(make.user())
    admin = Principal.of(make.admin())
    clock = {"now": datetime(2029, 12, 31, 23, 59)}
    ctx.now = lambda: clock["now"]
    assert tracks.list_tracks(ctx, player) == [] and tracks.list_tracks(ctx, None) == []
    with pytest.raises(Exception) as hidden:
        tracks.track_detail(ctx, player, "sample-track")
    assert getattr(hidden.value, "status", None) == 404
    assert [v.key for v in tracks.list_tracks(ctx, admin)] == ["sample-track"]
    clock["now"] = datetime(2030, 1, 1, 0, 0)  # 09:00 in Tokyo
    assert [v.key for v in tracks.list_tracks(ctx, player)] == ["sample-track"]
    # A module's own window.
    edit_yml(
        folder,
        "requires: [basics]\n    opens_at: null\n    closes_at: null",
        'requires: [basics]\n    opens_at: null\n    closes_at: "2030-02-01T00:00:00Z"',
    )
    tracks.import_tracks(ctx, folder)
    assert [m.key for m in tracks.track_detail(ctx, player, "sample-track").modules] == ["basics", "practice"]
    clock["now"] = datetime(2030, 2, 1, 0, 0)
    assert [m.key for m in tracks.track_detail(ctx, player, "sample-track").modules] == ["basics"]
    with pytest.raises(Exception) as gone:
        tracks.lesson_view(ctx, player, "sample-track", "first-flag")
    assert getattr(gone.value, "status", None) == 404
    assert len(tracks.track_detail(ctx, admin, "sample-track").modules) == 2


# --- referenced event challenges -----------------------------------------------------------------


def referencing_track(tmp_path: Path, name: str) -> Path:
    folder = copy_fixture(tmp_path)
    edit_yml(
        folder,
        "          - id: bonus-choice",
        f"          - id: event-task\n            type: flag\n            required: false\n"
        f'            prompt: {{en: "Solve it", ja: "解いてください"}}\n            challenge: "{name}"\n'
        "          - id: bonus-choice",
    )
    return folder


def test_a_referenced_challenge_is_done_by_its_solve_and_hidden_ones_do_not_leak(
    ctx: Context, make: Factory, client: Any, tmp_path: Path
) -> None:
    hidden = make.challenge(flag="flag{hidden}", name="Secret Reference", state="hidden")
    tracks.import_tracks(ctx, referencing_track(tmp_path, hidden.name))
    user, _team = make.player_in_team()  # the default event is played in teams
    player = Principal.of(user)
    for key in ("base64-name", "decode-word", "hash-length", "reversed-flag"):
        tracks.answer_task(ctx, player, "sample-track", key, ANSWERS[key])
    headers = auth(make.token(user))
    body = client.get("/api/v1/tracks/sample-track", headers=headers).text
    assert "Secret Reference" not in body
    task = client.get("/api/v1/tracks/sample-track/lessons/first-flag", headers=headers).json()["data"][
        "tasks"
    ][1]
    assert task["available"] is False and task["challenge_id"] is None
    page = client.get("/tracks/sample-track/lessons/first-flag", headers=headers).text
    assert "Secret Reference" not in page and f"/challenges/{hidden.id}" not in page
    r = client.post(
        "/api/v1/tracks/sample-track/tasks/event-task/answer",
        json={"answer": "flag{hidden}"},
        headers=headers,
    )
    assert r.status_code == 409 and r.json()["success"] is False
    with ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(t.Solve)) == 0

    # Made visible: the flag sent through the track goes through the challenge's attempt and scores.
    from kizuna.services import challenges as challenge_service

    challenge_service.update_challenge(ctx, hidden.id, {"state": "visible"})
    r = client.post(
        "/api/v1/tracks/sample-track/tasks/event-task/answer",
        json={"answer": "flag{hidden}"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {
        "correct": True,
        "completed": {"task": True, "lesson": True, "module": True, "track": True},
    }
    with ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(t.Solve).where(t.Solve.user_id == user.id)) == 1


def test_solving_the_challenge_on_the_board_completes_the_task(
    ctx: Context, make: Factory, tmp_path: Path
) -> None:
    ch = make.challenge(flag="flag{board}", name="Board Reference")
    tracks.import_tracks(ctx, referencing_track(tmp_path, ch.name))
    player = Principal.of(make.player_in_team()[0])
    assert submissions.submit_flag(ctx, player, ch.id, "flag{wrong}").status == "incorrect"
    assert events(ctx, "task_completed") == {}
    assert submissions.submit_flag(ctx, player, ch.id, "flag{board}").status == "correct"
    assert events(ctx, "task_completed") == {"task_completed": 1}
    with ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(t.TaskCompletion)) == 1
    view = tracks.track_detail(ctx, player, "sample-track")
    assert view.modules[1].lessons[0].tasks[1].done


def test_a_practice_solve_completes_the_task_and_scores_nothing(
    ctx: Context, make: Factory, tmp_path: Path
) -> None:
    ch = make.challenge(flag="flag{practice}", name="Practice Reference")
    with ctx.write() as uow:
        row = uow.session.get(t.Challenge, ch.id)
        assert row is not None
        row.practice = True
    tracks.import_tracks(ctx, referencing_track(tmp_path, ch.name))
    player = Principal.of(make.player_in_team()[0])
    result = submissions.submit_flag(ctx, player, ch.id, "flag{practice}")
    assert result.status == "correct" and result.practice
    assert events(ctx, "task_completed") == {"task_completed": 1}
    with ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(t.Solve)) == 0
        assert s.scalar(select(func.count()).select_from(t.PracticeSolve)) == 1
    view = tracks.track_detail(ctx, player, "sample-track")
    assert view.modules[1].lessons[0].tasks[1].done


# --- the completion race -------------------------------------------------------------------------


def test_racing_answers_complete_a_task_once(backend: str, ctx: Context, make: Factory) -> None:
    """Many requests completing the same task (and, at once, the other task the module needs) record
    one completion each and exactly one of each cascade event (on PostgreSQL the user's progress row
    lock decides; SQLite serialises writes)."""
    tracks.import_tracks(ctx, FIXTURE)
    player = Principal.of(make.user())
    tracks.answer_task(ctx, player, "sample-track", "base64-name", 1)
    keys = ["decode-word", "hash-length"]

    def work(i: int) -> bool:
        key = keys[i % 2]
        return tracks.answer_task(ctx, player, "sample-track", key, ANSWERS[key]).correct

    results = race(16, work)
    assert all(r is True for r in results), [r for r in results if r is not True][:3]
    with ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(t.TaskCompletion)) == 3
    assert events(ctx, *LEARNING) == {"task_completed": 3, "lesson_completed": 2, "module_completed": 1}


def test_staff_see_hidden_tracks_players_get_404(
    ctx: Context, make: Factory, client: Any, tmp_path: Path
) -> None:
    folder = copy_fixture(tmp_path)
    edit_yml(folder, "opens_at: null\ncloses_at: null", 'opens_at: null\ncloses_at: "2000-01-01T00:00:00Z"')
    tracks.import_tracks(ctx, folder)
    player = auth(make.token(make.user()))
    admin = auth(make.token(make.admin()))
    missing = client.get("/api/v1/tracks/no-such-track", headers=player)
    hidden = client.get("/api/v1/tracks/sample-track", headers=player)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert client.get("/api/v1/tracks/sample-track", headers=admin).status_code == 200
    assert client.get("/tracks/sample-track").status_code == 404
    assert client.get("/tracks/sample-track/files/notes.txt").status_code == 404
