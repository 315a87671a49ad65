"""The data directory, the SQLite database (with its -wal and -shm files), the uploads and the secret
key are created readable by their owner only, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from kizuna.bootstrap import prepare_database
from kizuna.services import content
from kizuna.settings import load_settings
from kizuna.web.app import build_context


@pytest.fixture(params=[0o022, 0o002, 0o000], ids=["umask022", "umask002", "umask000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_new_data_directory_is_owner_only(umask: int, tmp_path: Path) -> None:
    data = tmp_path / "deep" / "data"
    settings = load_settings(environ={}, data_dir=data, environment="test")  # no secret: one is generated
    assert mode(data) == 0o700
    assert mode(data / "secret_key") == 0o600
    assert len(settings.secret_key) > 30
    # Read back, not written again.
    assert load_settings(environ={}, data_dir=data, environment="test").secret_key == settings.secret_key

    ctx = build_context(settings)
    try:
        prepare_database(ctx.db)
        db_file = data / "kizuna.db"
        with ctx.db.write() as s:  # a write: the WAL file exists now
            s.connection().exec_driver_sql("CREATE TABLE IF NOT EXISTS mode_probe (x INTEGER)")
            wal = Path(f"{db_file}-wal")
            shm = Path(f"{db_file}-shm")
            assert wal.exists() and shm.exists()
            assert (mode(db_file), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)

        row = content.store_file(ctx, "notes.txt", b"attachment")
        stored = Path(ctx.upload_dir) / row.location
        assert mode(Path(ctx.upload_dir)) == 0o700
        assert mode(stored.parent) == 0o700
        assert mode(stored) == 0o600
        assert stored.read_bytes() == b"attachment"
    finally:
        ctx.db.dispose()


def test_an_existing_data_directory_keeps_the_mode_its_owner_chose(umask: int, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o750)
    data.chmod(0o750)
    load_settings(environ={}, data_dir=data, environment="test")
    assert mode(data) == 0o750
    assert mode(data / "secret_key") == 0o600
