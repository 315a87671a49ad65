"""Files and folders only their owner may read: the data directory, the SQLite database, uploads and
the secret key. Modes are set explicitly, so a permissive umask (022, 002, 000) changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def private_dir(path: Path) -> Path:
    """``path`` as a folder, created owner-only (0700) when missing; missing parents are created as
    usual, an existing folder is left as it is (its owner chose its mode)."""
    if path.is_dir():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(path, DIR_MODE)
    except FileExistsError:
        return path
    os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> bool:
    """Create ``path`` empty and owner-only (0600) unless it exists; True when it was created."""
    try:
        fd = os.open(path, _CREATE, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return True


def write_private(path: Path, content: bytes) -> None:
    """Write a new file (it must not exist) readable by its owner only."""
    fd = os.open(path, _CREATE, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), FILE_MODE)
        fh.write(content)
