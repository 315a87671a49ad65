"""Reading a challenge folder or zip archive, and writing an export, without ever leaving its root.

A crafted folder must not publish ``/etc/passwd`` or the server's secret key. So every path taken
from a folder, an archive or an export is checked before anything is written:

- a path is relative, with no ``..``, no NUL byte, no backslash and no drive letter;
- no component of it is a symbolic link, and what it names is a regular file (no device, pipe or
  socket) with no other hard link (a hard link to a file elsewhere cannot be told from a copy);
- a folder is read through directory descriptors opened without following links (``openat`` with
  ``O_NOFOLLOW``), so a link swapped in after the check is refused too, and a file is re-checked
  (same inode, size and time) when its bytes are read;
- sizes and counts are bounded: each file and an archive's whole uncompressed content by
  ``Settings.max_upload_bytes``, the entries walked or listed by ``Limits.max_entries``, an archive
  entry's compression ratio by ``Limits.max_ratio``, and an entry is never read past its declared size.

Refusals name the entry (never its content) in the reader's language.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Protocol

from kizuna.i18n import gettext as _

YML_NAMES = ("challenge.yml", "challenge.yaml")
MIB = 1_048_576

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | _CLOEXEC
# O_NONBLOCK: opening a FIFO swapped in after the check must not hang the import.
_FILE_FLAGS = os.O_RDONLY | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Limits:
    """Bounds on one import. ``max_bytes`` is ``Settings.max_upload_bytes``: the largest archive, the
    largest file, and an archive's whole uncompressed content."""

    max_bytes: int = 100 * MIB
    max_entries: int = 20_000  # files and folders walked in a folder, or listed in an archive
    max_ratio: int = 200  # uncompressed / compressed size of an archive entry…
    ratio_floor: int = MIB  # …checked for entries larger than this (small files compress freely)
    max_yml_bytes: int = MIB  # one challenge.yml


class Refused(Exception):
    """An entry that is not read; ``message`` names it, in the reader's language."""

    def __init__(self, entry: str, message: str) -> None:
        super().__init__(message)
        self.entry = entry
        self.message = message


def show(entry: str) -> str:
    """An entry's name as it can be printed: control characters escaped, length bounded."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", entry)
    return text if len(text) <= 200 else text[:200] + "…"


def _mib(limit: int) -> str:
    return f"{limit / MIB:g}"


def relative_parts(given: str) -> list[str]:
    """The components of a path written in a challenge.yml or an archive: refused unless it is a plain
    relative path that stays inside its root (``.`` and empty components are dropped)."""
    entry = show(given)
    if "\x00" in given:
        raise Refused(given, _("“%(entry)s” contains a NUL byte.", entry=entry))
    if "\\" in given or _DRIVE.match(given):
        raise Refused(
            given, _("“%(entry)s” has a backslash or a drive letter: write paths with /.", entry=entry)
        )
    if given.startswith("/"):
        raise Refused(
            given, _("“%(entry)s” is an absolute path: give paths relative to the folder.", entry=entry)
        )
    parts = [part for part in given.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise Refused(given, _("“%(entry)s” goes up with “..”: it must stay inside the folder.", entry=entry))
    if not parts:
        raise Refused(given, _("“%(entry)s” names no file.", entry=entry))
    return parts


def _refuse_kind(rel: str, st: os.stat_result, limits: Limits, limit: int) -> None:
    """Refuse what is not a plain, single-linked regular file within ``limit`` bytes."""
    entry = show(rel)
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        raise Refused(rel, _("“%(entry)s” is a symbolic link: links are never followed.", entry=entry))
    if stat.S_ISDIR(mode):
        raise Refused(rel, _("“%(entry)s” is a folder, not a file.", entry=entry))
    if not stat.S_ISREG(mode):
        raise Refused(rel, _("“%(entry)s” is a device, pipe or socket, not a file.", entry=entry))
    if st.st_nlink > 1:
        raise Refused(
            rel,
            _(
                "“%(entry)s” has other hard links: it may be a file from outside the folder; copy it "
                "instead.",
                entry=entry,
            ),
        )
    if st.st_size > limit:
        raise Refused(rel, _("“%(entry)s” is larger than %(limit)s MiB.", entry=entry, limit=_mib(limit)))


class Source(Protocol):
    """A checked file whose bytes are read when they are stored."""

    @property
    def size(self) -> int: ...

    def read(self) -> bytes: ...


class Tree(Protocol):
    limits: Limits

    def label(self, rel: str) -> str: ...

    def ymls(self) -> tuple[list[str], list[Refused]]: ...

    def source(self, rel: str, limit: int) -> Source: ...

    def read(self, rel: str, limit: int) -> bytes: ...


# --- folders ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FolderSource:
    tree: FolderTree
    rel: str
    size: int
    identity: tuple[int, int, int]  # device, inode, modification time

    def read(self) -> bytes:
        return self.tree.read(self.rel, self.size, expect=(self.identity, self.size))


class FolderTree:
    """A folder on disk (or one ``challenge.yml`` in it), read without following any link."""

    def __init__(self, root: Path, limits: Limits) -> None:
        self.limits = limits
        self.only = ""
        try:
            st = os.lstat(root)
        except OSError:
            raise Refused(str(root), _("“%(entry)s” does not exist.", entry=show(str(root)))) from None
        if stat.S_ISLNK(st.st_mode):
            raise Refused(
                str(root),
                _("“%(entry)s” is a symbolic link: links are never followed.", entry=show(str(root))),
            )
        if stat.S_ISREG(st.st_mode):
            self.dir, self.only = root.parent, root.name
        elif stat.S_ISDIR(st.st_mode):
            self.dir = root
        else:
            raise Refused(
                str(root), _("“%(entry)s” is a device, pipe or socket, not a file.", entry=show(str(root)))
            )

    def label(self, rel: str) -> str:
        return str(self.dir / rel) if rel else str(self.dir)

    def ymls(self) -> tuple[list[str], list[Refused]]:
        """Every challenge.yml below the folder, skipping hidden folders; links are not followed
        (each one found is reported)."""
        if self.only:
            return [self.only], []
        found: list[str] = []
        skipped: list[Refused] = []
        count = 0
        for top, dirs, files in os.walk(self.dir, followlinks=False):
            count += len(dirs) + len(files)
            if count > self.limits.max_entries:
                raise Refused(
                    self.label(""),
                    _(
                        "More than %(count)s files and folders: import fewer at a time.",
                        count=self.limits.max_entries,
                    ),
                )
            here = PurePosixPath(Path(top).relative_to(self.dir).as_posix())
            for name in list(dirs):
                if not name.startswith(".") and os.path.islink(os.path.join(top, name)):
                    rel = str(here / name) if str(here) != "." else name
                    skipped.append(
                        Refused(rel, _("“%(entry)s” is a symbolic link: not followed.", entry=show(rel)))
                    )
            dirs[:] = sorted(
                d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(top, d))
            )
            for name in files:
                if name in YML_NAMES:
                    found.append(str(here / name) if str(here) != "." else name)
        return sorted(found), skipped

    @contextmanager
    def _open(self, rel: str) -> Iterator[tuple[int, os.stat_result]]:
        """An open descriptor of ``rel``, reached one directory at a time without following links."""
        parts = relative_parts(rel)
        try:
            fd = os.open(self.dir, _DIR_FLAGS)
        except OSError:
            raise Refused(rel, _("“%(entry)s” cannot be read.", entry=show(self.label("")))) from None
        try:
            for index, part in enumerate(parts[:-1]):
                where = "/".join(parts[: index + 1])
                st = self._lstat(part, fd, where)
                if stat.S_ISLNK(st.st_mode):
                    raise Refused(
                        where,
                        _("“%(entry)s” is a symbolic link: links are never followed.", entry=show(where)),
                    )
                if not stat.S_ISDIR(st.st_mode):
                    raise Refused(where, _("“%(entry)s” is not a folder.", entry=show(where)))
                next_fd = self._open_at(part, _DIR_FLAGS, fd, where)
                os.close(fd)
                fd = next_fd
            st = self._lstat(parts[-1], fd, rel)
            _refuse_kind(rel, st, self.limits, self.limits.max_bytes)
            file_fd = self._open_at(parts[-1], _FILE_FLAGS, fd, rel)
            try:
                opened = os.fstat(file_fd)
                if (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino) or not stat.S_ISREG(
                    opened.st_mode
                ):
                    raise Refused(rel, _("“%(entry)s” changed while it was being read.", entry=show(rel)))
                yield file_fd, opened
            finally:
                os.close(file_fd)
        finally:
            os.close(fd)

    @staticmethod
    def _lstat(name: str, dir_fd: int, rel: str) -> os.stat_result:
        try:
            return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            raise Refused(rel, _("No file at “%(entry)s”.", entry=show(rel))) from None
        except OSError:
            raise Refused(rel, _("“%(entry)s” cannot be read.", entry=show(rel))) from None

    @staticmethod
    def _open_at(name: str, flags: int, dir_fd: int, rel: str) -> int:
        try:
            return os.open(name, flags, dir_fd=dir_fd)
        except OSError:  # a link or something else swapped in since the check (ELOOP, ENOTDIR…)
            raise Refused(rel, _("“%(entry)s” changed while it was being read.", entry=show(rel))) from None

    def source(self, rel: str, limit: int) -> FolderSource:
        with self._open(rel) as (_fd, st):
            if st.st_size > limit:
                raise Refused(
                    rel, _("“%(entry)s” is larger than %(limit)s MiB.", entry=show(rel), limit=_mib(limit))
                )
            return FolderSource(self, rel, st.st_size, (st.st_dev, st.st_ino, st.st_mtime_ns))

    def read(self, rel: str, limit: int, expect: tuple[tuple[int, int, int], int] | None = None) -> bytes:
        with self._open(rel) as (fd, st):
            if expect is not None and ((st.st_dev, st.st_ino, st.st_mtime_ns), st.st_size) != expect:
                raise Refused(rel, _("“%(entry)s” changed while it was being read.", entry=show(rel)))
            if st.st_size > limit:
                raise Refused(
                    rel, _("“%(entry)s” is larger than %(limit)s MiB.", entry=show(rel), limit=_mib(limit))
                )
            chunks: list[bytes] = []
            left = st.st_size + 1  # one byte more than stated: a file that grew is refused
            while left > 0:
                chunk = os.read(fd, min(left, MIB))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            data = b"".join(chunks)
            if len(data) != st.st_size:
                raise Refused(rel, _("“%(entry)s” changed while it was being read.", entry=show(rel)))
            return data


# --- zip archives -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZipSource:
    tree: ZipTree
    rel: str
    size: int

    def read(self) -> bytes:
        return self.tree.read(self.rel, self.size)


class ZipTree:
    """A zip archive, checked entry by entry from its directory before any entry is read; entries are
    read into memory, never extracted."""

    def __init__(self, data: IO[bytes], name: str, size: int, limits: Limits) -> None:
        self.limits = limits
        self.name = name
        if size > limits.max_bytes:
            raise Refused(
                name,
                _(
                    "“%(entry)s” is larger than %(limit)s MiB.",
                    entry=show(name),
                    limit=_mib(limits.max_bytes),
                ),
            )
        try:
            self.zip = zipfile.ZipFile(data)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            raise Refused(
                name, _("“%(entry)s” is not a zip archive or is damaged.", entry=show(name))
            ) from None
        if len(infos) > limits.max_entries:
            self.zip.close()
            raise Refused(
                name,
                _("More than %(count)s files and folders: import fewer at a time.", count=limits.max_entries),
            )
        self.files: dict[str, zipfile.ZipInfo] = {}
        self.dirs: set[str] = set()
        self.problems: list[Refused] = []
        total = 0
        for info in infos:
            try:
                rel = self._check(info)
            except Refused as exc:
                self.problems.append(exc)
                continue
            if rel is None:
                continue
            total += info.file_size
            if total > limits.max_bytes:
                self.problems.append(
                    Refused(
                        name,
                        _(
                            "The archive's files add up to more than %(limit)s MiB once uncompressed.",
                            limit=_mib(limits.max_bytes),
                        ),
                    )
                )
                break
        if self.problems:
            self.zip.close()

    def _check(self, info: zipfile.ZipInfo) -> str | None:
        """The entry's path when it is a file to keep; ``None`` for a folder; ``Refused`` otherwise."""
        given = info.filename
        entry = show(given)
        parts = relative_parts(given)
        rel = "/".join(parts)
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if stat.S_ISLNK(mode):
            raise Refused(given, _("“%(entry)s” is a symbolic link: links are never followed.", entry=entry))
        if info.is_dir() or stat.S_ISDIR(mode):
            if rel in self.files:
                raise Refused(given, _("“%(entry)s” appears twice in the archive.", entry=entry))
            self.dirs.add(rel)
            return None
        if kind not in (0, stat.S_IFREG):
            raise Refused(given, _("“%(entry)s” is a device, pipe or socket, not a file.", entry=entry))
        if info.flag_bits & 0x1:
            raise Refused(given, _("“%(entry)s” is encrypted.", entry=entry))
        if rel in self.files or rel in self.dirs:
            raise Refused(given, _("“%(entry)s” appears twice in the archive.", entry=entry))
        if info.file_size > self.limits.max_bytes:
            raise Refused(
                given,
                _(
                    "“%(entry)s” is larger than %(limit)s MiB.",
                    entry=entry,
                    limit=_mib(self.limits.max_bytes),
                ),
            )
        if info.file_size > self.limits.ratio_floor and info.file_size > self.limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise Refused(
                given,
                _(
                    "“%(entry)s” is compressed more than %(ratio)s times: refused as a possible zip bomb.",
                    entry=entry,
                    ratio=self.limits.max_ratio,
                ),
            )
        for index in range(1, len(parts)):
            self.dirs.add("/".join(parts[:index]))
        self.files[rel] = info
        return rel

    def close(self) -> None:
        self.zip.close()

    def label(self, rel: str) -> str:
        return f"{self.name}:{rel}" if rel else self.name

    def ymls(self) -> tuple[list[str], list[Refused]]:
        found = [
            rel
            for rel in self.files
            if PurePosixPath(rel).name in YML_NAMES
            and not any(part.startswith(".") for part in PurePosixPath(rel).parts[:-1])
        ]
        return sorted(found), []

    def _info(self, rel: str) -> zipfile.ZipInfo:
        parts = relative_parts(rel)
        key = "/".join(parts)
        if key in self.files:
            return self.files[key]
        if key in self.dirs:
            raise Refused(rel, _("“%(entry)s” is a folder, not a file.", entry=show(rel)))
        raise Refused(rel, _("No file at “%(entry)s”.", entry=show(rel)))

    def source(self, rel: str, limit: int) -> ZipSource:
        info = self._info(rel)
        if info.file_size > limit:
            raise Refused(
                rel, _("“%(entry)s” is larger than %(limit)s MiB.", entry=show(rel), limit=_mib(limit))
            )
        return ZipSource(self, rel, info.file_size)

    def read(self, rel: str, limit: int) -> bytes:
        """The entry's bytes, never decompressing more than its declared size (plus one byte)."""
        info = self._info(rel)
        if info.file_size > limit:
            raise Refused(
                rel, _("“%(entry)s” is larger than %(limit)s MiB.", entry=show(rel), limit=_mib(limit))
            )
        try:
            with self.zip.open(info) as fh:
                data = fh.read(info.file_size + 1)
        except (
            zipfile.BadZipFile,
            OSError,
            ValueError,
            EOFError,
            zlib.error,
            NotImplementedError,
            RuntimeError,
        ):
            raise Refused(rel, _("“%(entry)s” cannot be read from the archive.", entry=show(rel))) from None
        if len(data) != info.file_size:
            raise Refused(rel, _("“%(entry)s” cannot be read from the archive.", entry=show(rel)))
        return data


def is_archive(path: Path) -> bool:
    return path.suffix.lower() == ".zip"


@contextmanager
def open_tree(root: Path, limits: Limits) -> Iterator[Tree]:
    """A folder, one challenge.yml, or a ``.zip`` archive (read without following a link)."""
    if not is_archive(root):
        yield FolderTree(root, limits)
        return
    try:
        st = os.lstat(root)
    except OSError:
        raise Refused(str(root), _("“%(entry)s” does not exist.", entry=show(str(root)))) from None
    _refuse_kind(str(root), st, limits, limits.max_bytes)
    try:
        fd = os.open(root, _FILE_FLAGS)
    except OSError:
        raise Refused(str(root), _("“%(entry)s” cannot be read.", entry=show(str(root)))) from None
    with os.fdopen(fd, "rb") as fh:
        tree = ZipTree(fh, str(root), os.fstat(fh.fileno()).st_size, limits)
        try:
            yield tree
        finally:
            tree.close()


@contextmanager
def archive_tree(data: bytes, name: str, limits: Limits) -> Iterator[ZipTree]:
    """An uploaded archive held in memory (for a web or API import)."""
    tree = ZipTree(io.BytesIO(data), name, len(data), limits)
    try:
        yield tree
    finally:
        tree.close()


# --- writing an export --------------------------------------------------------------------------


def safe_dir(root: Path, parts: list[str]) -> Path:
    """``root/parts…``, each folder below ``root`` created when missing; an existing component that is a
    link or not a folder is refused (nothing is written through it)."""
    path = root
    root.mkdir(parents=True, exist_ok=True)
    for index, part in enumerate(parts):
        path = path / part
        rel = "/".join(parts[: index + 1])
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            path.mkdir()
            st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
            raise Refused(
                rel,
                _(
                    "“%(entry)s” exists and is a link or not a folder: nothing is written through it.",
                    entry=show(rel),
                ),
            )
    return path


def safe_write(root: Path, rel: str, data: bytes) -> Path:
    """Write ``root/rel`` without following a link at any component."""
    parts = relative_parts(rel)
    folder = safe_dir(root, parts[:-1])
    target = folder / parts[-1]
    refused = _(
        "“%(entry)s” exists and is a link or not a file: nothing is written through it.", entry=show(rel)
    )
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        pass
    else:  # replaced, never written through (it may be a link, or a hard link to another file)
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
            raise Refused(rel, refused)
        target.unlink()
    try:
        fd = os.open(target, _WRITE_FLAGS, 0o644)
    except OSError:
        raise Refused(rel, refused) from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return target
