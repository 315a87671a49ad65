"""Challenge folders and zip archives never read or publish anything outside their root.

Each hostile folder or archive sits next to a good challenge folder (with a file) and a secret outside
the root. The import must be refused with an error naming the offending entry (never the secret's
content), leave the database as it was and write nothing under the upload directory."""

from __future__ import annotations

import io
import os
import stat
import struct
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kizuna.i18n import current_locale
from kizuna.services import challenge_folders as folders
from kizuna.services.context import Context
from kizuna.services.safe_tree import Limits
from kizuna.storage import tables as t
from tests.cli.test_challenge_folders import DYNAMIC, EVERYTHING, FILES, STANDARD

SECRET = b"root:x:0:0:the-secret-content-that-must-never-be-published\n"
GOOD = {**STANDARD, "name": "Good One", "files": ["files/ok.txt"]}


def yml(files: list[str], name: str = "Hostile") -> str:
    return yaml.safe_dump({**STANDARD, "name": name, "files": files}, allow_unicode=True)


def snapshot(ctx: Context) -> dict[str, int]:
    with ctx.db.read() as s:
        return {
            table.__name__: s.query(table).count()
            for table in (t.Challenge, t.File, t.Flag, t.Hint, t.Tag, t.AuditEntry)
        }


def uploads(ctx: Context) -> list[Path]:
    root = Path(ctx.upload_dir)
    return sorted(p for p in root.rglob("*") if not p.is_dir()) if root.exists() else []


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A secret file and a folder of secrets outside the imported root."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_bytes(SECRET)
    (tmp_path / "secret.txt").write_bytes(SECRET)
    return tmp_path / "outside"


def good_folder(root: Path) -> None:
    (root / "good" / "files").mkdir(parents=True)
    (root / "good" / "challenge.yml").write_text(yaml.safe_dump(GOOD))
    (root / "good" / "files" / "ok.txt").write_bytes(b"fine\n")


def hostile(root: Path, files: list[str]) -> Path:
    folder = root / "hostile"
    (folder / "files").mkdir(parents=True, exist_ok=True)
    (folder / "challenge.yml").write_text(yml(files))
    return folder


# --- hostile folders -----------------------------------------------------------------------------
# Each builds ``root`` (the folder imported) and returns the entry the error must name.


def dot_dot(root: Path, out: Path) -> str:
    hostile(root, ["../../secret.txt"])
    return "../../secret.txt"


def dot_dot_inside_a_path(root: Path, out: Path) -> str:
    hostile(root, ["files/../../outside/secret.txt"])
    return "files/../../outside/secret.txt"


def absolute(root: Path, out: Path) -> str:
    hostile(root, [str(out / "secret.txt")])
    return str(out / "secret.txt")


def absolute_etc_passwd(root: Path, out: Path) -> str:
    hostile(root, ["/etc/passwd"])
    return "/etc/passwd"


def backslash(root: Path, out: Path) -> str:
    hostile(root, ["..\\..\\secret.txt"])
    return "..\\..\\secret.txt"


def drive_letter(root: Path, out: Path) -> str:
    hostile(root, ["C:/Windows/win.ini"])
    return "C:/Windows/win.ini"


def nul_byte(root: Path, out: Path) -> str:
    hostile(root, ["files/ok.txt\x00../../secret.txt"])
    return "files/ok.txt\\x00"


def symlink_to_file(root: Path, out: Path) -> str:
    folder = hostile(root, ["files/leak.txt"])
    (folder / "files" / "leak.txt").symlink_to(out / "secret.txt")
    return "files/leak.txt"


def symlink_to_file_by_relative_target(root: Path, out: Path) -> str:
    folder = hostile(root, ["files/leak.txt"])
    (folder / "files" / "leak.txt").symlink_to("../../../outside/secret.txt")
    return "files/leak.txt"


def symlink_to_dir(root: Path, out: Path) -> str:
    folder = hostile(root, ["files/linked/secret.txt"])
    (folder / "files" / "linked").symlink_to(out, target_is_directory=True)
    return "files/linked"


def symlink_in_a_parent_component(root: Path, out: Path) -> str:
    folder = root / "hostile"
    folder.mkdir(parents=True)
    (folder / "challenge.yml").write_text(yml(["files/secret.txt"]))
    (folder / "files").symlink_to(out, target_is_directory=True)  # the folder's own files/ entry
    return "files"


def symlink_to_the_secret_key(root: Path, out: Path) -> str:
    (out / "data").mkdir()
    (out / "data" / "secret_key").write_bytes(SECRET)
    folder = hostile(root, ["files/key"])
    (folder / "files" / "key").symlink_to(out / "data" / "secret_key")
    return "files/key"


def symlinked_challenge_yml(root: Path, out: Path) -> str:
    (out / "challenge.yml").write_text(yml([]))  # harmless by itself: only the link is wrong
    (root / "hostile").mkdir(parents=True)
    (root / "hostile" / "challenge.yml").symlink_to(out / "challenge.yml")
    return "challenge.yml"


def hard_link(root: Path, out: Path) -> str:
    folder = hostile(root, ["files/hard.txt"])
    os.link(out / "secret.txt", folder / "files" / "hard.txt")
    return "files/hard.txt"


def fifo(root: Path, out: Path) -> str:
    folder = hostile(root, ["files/pipe"])
    os.mkfifo(folder / "files" / "pipe")
    return "files/pipe"


def device(root: Path, out: Path) -> str:
    folder = hostile(root, ["files/zero"])
    try:
        os.mknod(folder / "files" / "zero", stat.S_IFCHR | 0o600, os.makedev(1, 5))
    except (PermissionError, OSError):
        pytest.skip("cannot create a device node here (needs CAP_MKNOD)")
    return "files/zero"


def folder_listed_as_a_file(root: Path, out: Path) -> str:
    folder = hostile(root, ["files/sub"])
    (folder / "files" / "sub").mkdir()
    return "files/sub"


def huge_file(root: Path, out: Path) -> str:
    folder = hostile(root, ["files/huge.bin"])
    with open(folder / "files" / "huge.bin", "wb") as fh:
        fh.truncate(SMALL.max_bytes + 1)  # sparse: costs no disk
    return "files/huge.bin"


def too_many_entries(root: Path, out: Path) -> str:
    folder = hostile(root, [])
    for index in range(SMALL.max_entries + 5):
        (folder / "files" / f"f{index}").write_bytes(b"")
    return f"{SMALL.max_entries}"


SMALL = Limits(max_bytes=64 * 1024, max_entries=40)
FOLDERS: list[Callable[[Path, Path], str]] = [
    dot_dot,
    dot_dot_inside_a_path,
    absolute,
    absolute_etc_passwd,
    backslash,
    drive_letter,
    nul_byte,
    symlink_to_file,
    symlink_to_file_by_relative_target,
    symlink_to_dir,
    symlink_in_a_parent_component,
    symlink_to_the_secret_key,
    symlinked_challenge_yml,
    hard_link,
    fifo,
    device,
    folder_listed_as_a_file,
    huge_file,
    too_many_entries,
]


def assert_refused_and_nothing_changed(
    ctx: Context, tmp_path: Path, do: Callable[[], Any], entry: str
) -> list[folders.Problem]:
    before = snapshot(ctx)
    with pytest.raises(folders.FolderError) as caught:
        do()
    problems = caught.value.problems
    text = "\n".join(f"{p.path} {p.field} {p.message}" for p in problems)
    assert entry in text, text
    assert SECRET.decode().strip() not in text and "the-secret-content" not in text
    assert snapshot(ctx) == before
    assert uploads(ctx) == []
    return problems


@pytest.mark.timeout(60)  # a FIFO that were opened for reading would block here
@pytest.mark.parametrize("build", FOLDERS, ids=[f.__name__ for f in FOLDERS])
def test_a_hostile_folder_is_refused_and_changes_nothing(
    backend: str, ctx: Context, tmp_path: Path, outside: Path, build: Callable[[Path, Path], str]
) -> None:
    root = tmp_path / "in"
    good_folder(root)
    entry = build(root, outside)
    problems = assert_refused_and_nothing_changed(
        ctx, tmp_path, lambda: folders.import_challenges(ctx, root, limits=SMALL), entry
    )
    assert all(p.message for p in problems)
    # The dry run refuses it the same way.
    assert_refused_and_nothing_changed(
        ctx, tmp_path, lambda: folders.import_challenges(ctx, root, dry_run=True, limits=SMALL), entry
    )


def test_the_folder_itself_may_not_be_a_link(ctx: Context, tmp_path: Path, outside: Path) -> None:
    good_folder(tmp_path / "real")
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    assert_refused_and_nothing_changed(
        ctx, tmp_path, lambda: folders.import_challenges(ctx, tmp_path / "link"), "link"
    )


def test_a_linked_folder_below_the_root_is_not_followed_and_said_so(
    ctx: Context, tmp_path: Path, outside: Path
) -> None:
    good_folder(tmp_path / "in")
    good_folder(outside)  # a whole challenge folder elsewhere: linking it in imports nothing of it
    (outside / "challenge.yml").write_text(yaml.safe_dump({**GOOD, "name": "Elsewhere"}))
    (tmp_path / "in" / "elsewhere").symlink_to(outside, target_is_directory=True)
    report = folders.import_challenges(ctx, tmp_path / "in")
    assert report.created == ["Good One"]
    assert any("elsewhere" in w.message for w in report.warnings)


def test_the_error_is_in_the_readers_language(ctx: Context, tmp_path: Path, outside: Path) -> None:
    root = tmp_path / "in"
    symlink_to_file(root, outside)
    token = current_locale.set("ja")
    try:
        with pytest.raises(folders.FolderError) as caught:
            folders.import_challenges(ctx, root)
    finally:
        current_locale.reset(token)
    [problem] = caught.value.problems
    assert problem.field == "files[0]"
    assert problem.message == "「hostile/files/leak.txt」はシンボリックリンクです。リンクはたどりません。"


def test_the_command_names_the_entry_in_the_terminals_language(
    run: Any, env: dict[str, Any], tmp_path: Path, outside: Path
) -> None:
    root = tmp_path / "in"
    good_folder(root)
    dot_dot(root, outside)
    env.update({"LC_ALL": None, "LC_MESSAGES": None, "LANG": "C.UTF-8"})
    try:
        refused = run("challenges", "import", str(root))
        assert refused.exit_code == 1
        assert (
            "files[0]: “../../secret.txt” goes up with “..”: it must stay inside the folder."
            in refused.output
        )
        assert "Nothing was imported" in refused.output
        for change in ({"LANG": "ja_JP.UTF-8"}, {"LANG": "C.UTF-8", "KIZUNA_DEFAULT_LOCALE": "ja"}):
            env.update(change)
            refused = run("challenges", "import", str(root))
            assert refused.exit_code == 1
            assert "「../../secret.txt」は「..」で上の階層に出ています。" in refused.output
            assert "the-secret-content" not in refused.output
    finally:
        current_locale.set("en")  # the command set it in this (the test's) context


# --- hostile zip archives ------------------------------------------------------------------------


def entry(name: str, data: bytes, mode: int = stat.S_IFREG | 0o644, deflate: bool = False) -> tuple:
    info = zipfile.ZipInfo(name)
    info.external_attr = mode << 16
    info.create_system = 3
    info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    return info, data


def archive(*extra: tuple[zipfile.ZipInfo, bytes], files: list[str] | None = None) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w") as zf:
        warnings.simplefilter("ignore")  # a duplicate name is one of the hostile cases
        zf.writestr("good/challenge.yml", yaml.safe_dump(GOOD))
        zf.writestr("good/files/ok.txt", b"fine\n")
        zf.writestr("hostile/challenge.yml", yml(files or []))
        for info, data in extra:
            zf.writestr(info, data)
    return buf.getvalue()


ZIPS: list[tuple[str, Callable[[], bytes], str]] = [
    ("dot_dot_entry", lambda: archive(entry("../../evil.txt", b"x")), "../../evil.txt"),
    (
        "dot_dot_inside_an_entry",
        lambda: archive(entry("hostile/files/../../../evil.txt", b"x")),
        "../evil.txt",
    ),
    ("absolute_entry", lambda: archive(entry("/etc/cron.d/evil", b"x")), "/etc/cron.d/evil"),
    ("backslash_entry", lambda: archive(entry("..\\..\\evil.txt", b"x")), "..\\..\\evil.txt"),
    ("drive_letter_entry", lambda: archive(entry("C:/evil.txt", b"x")), "C:/evil.txt"),
    (
        "symlink_entry",
        lambda: archive(
            entry("hostile/files/leak", b"/etc/passwd", stat.S_IFLNK | 0o777), files=["files/leak"]
        ),
        "hostile/files/leak",
    ),
    (
        "symlink_folder_entry",
        lambda: archive(entry("hostile/files", b"/etc", stat.S_IFLNK | 0o777)),
        "hostile/files",
    ),
    (
        "fifo_entry",
        lambda: archive(entry("hostile/files/pipe", b"", stat.S_IFIFO | 0o644)),
        "hostile/files/pipe",
    ),
    (
        "device_entry",
        lambda: archive(entry("hostile/files/zero", b"", stat.S_IFCHR | 0o644)),
        "hostile/files/zero",
    ),
    (
        "zip_bomb_ratio",
        lambda: archive(entry("hostile/files/bomb.bin", b"\0" * (2 * 1024 * 1024), deflate=True)),
        "hostile/files/bomb.bin",
    ),
    (
        "huge_entry",
        lambda: archive(entry("hostile/files/huge.bin", b"\0" * (SMALL.max_bytes + 1), deflate=True)),
        "hostile/files/huge.bin",
    ),
    (
        "total_uncompressed_size",
        lambda: archive(
            *(entry(f"hostile/files/part{i}", b"\0" * (SMALL.max_bytes // 3), deflate=True) for i in range(4))
        ),
        "MiB once uncompressed",
    ),
    (
        "too_many_entries",
        lambda: archive(*(entry(f"hostile/files/f{i}", b"") for i in range(SMALL.max_entries))),
        str(SMALL.max_entries),
    ),
    ("duplicate_entry", lambda: archive(entry("good/files/ok.txt", b"other")), "good/files/ok.txt"),
    (
        "listed_file_missing_in_the_archive",
        lambda: archive(files=["../good/files/ok.txt"]),
        "../good/files/ok.txt",
    ),
    ("not_a_zip", lambda: b"PK\x03\x04 this is not really a zip archive", "hostile.zip"),
]


def bomb_ratio_only() -> Limits:
    """The default byte limit (the 2 MiB bomb fits in it): only the ratio refuses it."""
    return Limits(max_entries=SMALL.max_entries)


@pytest.mark.parametrize(("make", "named"), [(m, n) for _, m, n in ZIPS], ids=[i for i, _, _ in ZIPS])
def test_a_hostile_archive_is_refused_and_changes_nothing(
    backend: str, ctx: Context, tmp_path: Path, make: Callable[[], bytes], named: str
) -> None:
    path = tmp_path / "hostile.zip"
    path.write_bytes(make())
    limits = bomb_ratio_only() if "bomb" in named else SMALL
    assert_refused_and_nothing_changed(
        ctx, tmp_path, lambda: folders.import_challenges(ctx, path, limits=limits), named
    )
    # The same archive uploaded (held in memory) is refused the same way.
    assert_refused_and_nothing_changed(
        ctx,
        tmp_path,
        lambda: folders.import_archive(ctx, path.read_bytes(), "hostile.zip", limits=limits),
        named,
    )


def test_an_archive_larger_than_the_upload_limit_is_refused_unread(ctx: Context, tmp_path: Path) -> None:
    path = tmp_path / "big.zip"
    path.write_bytes(archive(entry("hostile/files/x.bin", os.urandom(SMALL.max_bytes))))
    assert_refused_and_nothing_changed(
        ctx, tmp_path, lambda: folders.import_challenges(ctx, path, limits=SMALL), "big.zip"
    )


def test_an_archive_that_is_a_link_is_refused(ctx: Context, tmp_path: Path) -> None:
    (tmp_path / "real.zip").write_bytes(archive())
    (tmp_path / "link.zip").symlink_to(tmp_path / "real.zip")
    assert_refused_and_nothing_changed(
        ctx, tmp_path, lambda: folders.import_challenges(ctx, tmp_path / "link.zip"), "link.zip"
    )


def _lie_about_size(data: bytes, name: bytes, size: int) -> bytes:
    """Set the uncompressed size the central directory states for ``name``."""
    at = data.index(b"PK\x01\x02")
    while True:
        length = struct.unpack("<H", data[at + 28 : at + 30])[0]
        if data[at + 46 : at + 46 + length] == name:
            return data[: at + 24] + struct.pack("<I", size) + data[at + 28 :]
        at = data.index(b"PK\x01\x02", at + 4)


def test_a_lying_entry_size_never_decompresses_more_than_it_states(ctx: Context, tmp_path: Path) -> None:
    """An entry stating 100 bytes but holding 64 MiB of zeros (compressed to ~64 KiB): at most the stated
    size (plus one byte) is ever decompressed; the import keeps the stated 100 bytes or refuses."""
    real = archive(
        entry("hostile/files/liar.bin", b"\0" * (64 * 1024 * 1024), deflate=True), files=["files/liar.bin"]
    )
    path = tmp_path / "liar.zip"
    path.write_bytes(_lie_about_size(real, b"hostile/files/liar.bin", 100))
    try:
        folders.import_challenges(ctx, path)
    except folders.FolderError as exc:
        assert "liar.bin" in str(exc)
        assert uploads(ctx) == []
        return
    sizes = [p.stat().st_size for p in uploads(ctx) if p.name == "liar.bin"]
    assert sizes == [100]


# --- export --------------------------------------------------------------------------------------


def test_export_never_writes_through_a_link(ctx: Context, tmp_path: Path, outside: Path) -> None:
    good_folder(tmp_path / "in")
    folders.import_challenges(ctx, tmp_path / "in")
    out = tmp_path / "out"
    (out / "misc").mkdir(parents=True)
    (out / "misc" / "good-one").symlink_to(outside, target_is_directory=True)
    before = sorted((p.name, p.read_bytes()) for p in outside.iterdir())
    with pytest.raises(folders.FolderError) as caught:
        folders.export_challenges(ctx, out)
    assert "misc/good-one" in str(caught.value)
    assert sorted((p.name, p.read_bytes()) for p in outside.iterdir()) == before

    # A link where a file will be written is replaced, never written through.
    (out / "misc" / "good-one").unlink()
    (out / "misc" / "good-one" / "files").mkdir(parents=True)
    (out / "misc" / "good-one" / "challenge.yml").symlink_to(outside / "secret.txt")
    (out / "misc" / "good-one" / "files" / "ok.txt").symlink_to(tmp_path / "secret.txt")
    folders.export_challenges(ctx, out)
    assert (outside / "secret.txt").read_bytes() == SECRET == (tmp_path / "secret.txt").read_bytes()
    written = out / "misc" / "good-one" / "challenge.yml"
    assert not written.is_symlink() and yaml.safe_load(written.read_text())["name"] == "Good One"
    assert (out / "misc" / "good-one" / "files" / "ok.txt").read_bytes() == b"fine\n"

    # The files folder itself a link: refused.
    import shutil

    shutil.rmtree(out / "misc" / "good-one" / "files")
    (out / "misc" / "good-one" / "files").symlink_to(outside, target_is_directory=True)
    with pytest.raises(folders.FolderError):
        folders.export_challenges(ctx, out)
    assert sorted((p.name, p.read_bytes()) for p in outside.iterdir()) == before


# --- the happy path stays lossless ---------------------------------------------------------------


def zipped(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return buf.getvalue()


def test_folder_then_export_then_archive_round_trip_is_lossless(ctx: Context, tmp_path: Path) -> None:
    from tests.cli.test_challenge_folders import exported, write_folder

    write_folder(tmp_path / "in", "cookie", EVERYTHING, FILES["Cookie Jar"])
    write_folder(tmp_path / "in", "plain", STANDARD)
    write_folder(tmp_path / "in", "dyn", DYNAMIC)
    folders.import_challenges(ctx, tmp_path / "in")
    first = exported(ctx, tmp_path / "out1")
    (tmp_path / "out1.zip").write_bytes(zipped(tmp_path / "out1"))
    report = folders.import_challenges(ctx, tmp_path / "out1.zip")
    assert sorted(report.updated) == ["Cookie Jar", "Decaying", "Plain Standard"] and report.created == []
    second = exported(ctx, tmp_path / "out2")
    assert {n: d for n, (d, _) in second.items()} == {n: d for n, (d, _) in first.items()}
    assert second["Cookie Jar"][0] == EVERYTHING
    for path, content in FILES["Cookie Jar"].items():
        assert (second["Cookie Jar"][1] / path).read_bytes() == content
    # Into an empty database from the archive alone: the same again.
    with ctx.write() as uow:
        for row in uow.session.query(t.Challenge):
            uow.session.delete(row)
    report = folders.import_archive(ctx, (tmp_path / "out1.zip").read_bytes(), "out1.zip")
    assert sorted(report.created) == ["Cookie Jar", "Decaying", "Plain Standard"]
    third = exported(ctx, tmp_path / "out3")
    assert {n: d for n, (d, _) in third.items()} == {n: d for n, (d, _) in first.items()}
