"""``kizuna tracks import|export|list``: the fixture track in and out; errors name the file and field
and leave the database unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tracks"


def test_import_list_export_and_reimport(run: Any, tmp_path: Path) -> None:
    first = run("tracks", "import", str(FIXTURE))
    assert first.exit_code == 0, first.output
    assert "1 new" in first.output
    listed = run("tracks", "list")
    assert listed.exit_code == 0
    assert "sample-track" in listed.output and "en 100%" in listed.output and "ja 100%" in listed.output
    out = tmp_path / "out"
    exported = run("tracks", "export", str(out), "--track", "sample-track")
    assert exported.exit_code == 0, exported.output
    assert (out / "sample-track" / "track.yml").is_file()
    assert (out / "sample-track" / "lessons" / "encodings.ja.md").read_text(encoding="utf-8") == (
        FIXTURE / "sample-track" / "lessons" / "encodings.ja.md"
    ).read_text(encoding="utf-8")
    assert (out / "sample-track" / "files" / "notes.txt").read_bytes() == (
        FIXTURE / "sample-track" / "files" / "notes.txt"
    ).read_bytes()
    again = run("tracks", "import", str(out))
    assert again.exit_code == 0, again.output
    assert "1 updated" in again.output


def test_a_bad_folder_names_file_and_field_and_changes_nothing(run: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(FIXTURE / "sample-track", bad / "sample-track")
    yml = bad / "sample-track" / "track.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("answer: 1", "answer: 7"), encoding="utf-8")
    result = run("tracks", "import", str(bad))
    assert result.exit_code == 1
    assert "track.yml: modules[0].lessons[0].tasks[0].answer" in result.output
    assert "Nothing was imported" in result.output
    listed = run("tracks", "list")
    assert "sample-track" not in listed.output


def test_export_of_a_missing_track_fails(run: Any, tmp_path: Path) -> None:
    result = run("tracks", "export", str(tmp_path / "x"), "--track", "nope")
    assert result.exit_code == 1


def test_the_demo_imports_every_shipped_track_folder(ctx: Any, monkeypatch: Any, tmp_path: Path) -> None:
    import kizuna.demo as demo
    from kizuna.services import tracks

    shipped = tmp_path / "tracks"
    shutil.copytree(FIXTURE / "sample-track", shipped / "sample-track")
    (shipped / "notes").mkdir()  # a folder without track.yml is not a track
    monkeypatch.setattr(demo, "TRACKS_DIR", shipped)
    assert [p.name for p in demo.track_folders()] == ["sample-track"]
    assert demo.load_tracks(ctx) == 1
    assert [v.key for v in tracks.list_tracks(ctx, None)] == ["sample-track"]
    monkeypatch.setattr(demo, "TRACKS_DIR", tmp_path / "none")
    assert demo.load_tracks(ctx) == 0
