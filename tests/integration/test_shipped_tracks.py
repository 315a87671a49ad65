"""Every learning track shipped in ``src/kizuna/demo/tracks/`` imports, follows the content rules of
the folder format (docs/tracks.md), and can be completed: a Japanese-locale player (typing through an
IME, so in full-width characters) and an English-locale player answer every task correctly through
the API, module by module as they unlock, and each ends with the track completed.

Skipped, visibly, while no track is shipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kizuna.demo import TRACKS_DIR, track_folders
from kizuna.domain.tracks import TrackSpec
from kizuna.services import badges, tracks
from kizuna.services.context import Context
from kizuna.storage import tables as t
from tests.conftest import Factory, auth

FOLDERS = track_folders()
pytestmark = pytest.mark.skipif(not FOLDERS, reason="no track folders shipped in src/kizuna/demo/tracks/ yet")


def full_width(text: str) -> str:
    """What a Japanese IME in full-width mode types for ASCII text (the space stays)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def answer_for(spec: TrackSpec, key: str, japanese: bool) -> Any:
    task = next(x for x in spec.tasks() if x.key == key)
    if task.type == "choice":
        return task.answer
    given = task.answers[0] if task.type == "text" else task.flag
    assert given is not None
    return full_width(given) if japanese else given


def test_every_shipped_folder_is_a_track() -> None:
    assert FOLDERS
    for folder in FOLDERS:
        specs, _warnings = tracks.read_tracks(folder)
        assert [s.key for s in specs] == [folder.name], "the folder is named by the track's id"


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_a_shipped_track_follows_the_content_rules(folder: Path) -> None:
    [spec], warnings = tracks.read_tracks(folder)
    assert not warnings, [f"{w.path}: {w.field}: {w.error.code if w.error else w.message}" for w in warnings]
    assert len(spec.lessons()) >= 5 and len(spec.modules) >= 2
    for lesson in spec.lessons():
        assert 1 <= len(lesson.tasks) <= 3, lesson.key
        assert set(lesson.body) == {"en", "ja"}, lesson.key
    for task in spec.tasks():
        assert task.challenge is None, f"{task.key}: shipped tracks must not reference event challenges"
        if task.type == "flag":
            assert task.flag and task.flag.startswith("kizuna{") and task.flag.isascii(), task.key
    for c in tracks.completeness_of(spec):
        assert c.percent == 100, f"{c.locale}: missing {c.missing}"


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_every_shipped_track_is_completed_through_the_api(
    ctx: Context, make: Factory, client: Any, locale: str
) -> None:
    report = tracks.import_tracks(ctx, TRACKS_DIR)
    assert sorted(report.created) == sorted(f.name for f in FOLDERS)
    user = make.user()
    with ctx.write() as uow:
        row = uow.session.get(t.User, user.id)
        assert row is not None
        row.locale = locale
    headers = {**auth(make.token(user)), "Accept-Language": locale}
    for folder in FOLDERS:
        key = folder.name
        spec = tracks.stored_spec(ctx, key)
        for _round in range(len(spec.modules) + 1):
            detail = client.get(f"/api/v1/tracks/{key}", headers=headers).json()["data"]
            todo = [
                (lesson["id"], task["id"])
                for module in detail["modules"]
                if module["unlocked"]
                for lesson in module["lessons"]
                for task in lesson["tasks"]
                if not task["done"]
            ]
            if not todo:
                break
            for lesson_id, task_id in todo:
                lesson = client.get(f"/api/v1/tracks/{key}/lessons/{lesson_id}", headers=headers)
                assert lesson.status_code == 200
                body = lesson.json()["data"]
                assert body["body"] and body["body_fallback"] is False, (key, lesson_id, locale)
                r = client.post(
                    f"/api/v1/tracks/{key}/tasks/{task_id}/answer",
                    json={"answer": answer_for(spec, task_id, locale == "ja")},
                    headers=headers,
                )
                assert r.status_code == 200, r.text
                assert r.json()["data"]["correct"] is True, (key, task_id, locale)
        detail = client.get(f"/api/v1/tracks/{key}", headers=headers).json()["data"]
        assert detail["progress"]["complete"] is True, key
        assert all(task["done"] for m in detail["modules"] for x in m["lessons"] for task in x["tasks"])
    # The badge job turns the completions into each track's own badge (and the any-track one).
    badges.catch_up(ctx)
    held = {h.badge.key for h in badges.held_by(ctx, user.id)}
    named = {b.rule.track for b in badges.shipped_catalogue().badges if b.rule.kind == "track_completed"}
    assert {f.name for f in FOLDERS} <= named, "every shipped track has a badge of its own"
    assert {f"{f.name}-graduate" for f in FOLDERS} | {"track-graduate"} <= held


def test_the_shipped_track_badges_name_shipped_tracks() -> None:
    keys = {f.name for f in FOLDERS}
    for badge in badges.shipped_catalogue().badges:
        if badge.rule.kind == "track_completed" and badge.rule.track:
            assert badge.rule.track in keys, badge.key
