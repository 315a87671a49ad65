"""KIZUNA_DB_POOL_SIZE sizes each process's PostgreSQL pool (N processes hold at most 2 x N x it);
SQLite's pool is sized for every thread of a worker."""

from __future__ import annotations

import pytest

from kizuna.settings import SettingsError, load_settings
from kizuna.storage.db import SQLITE_POOL_SIZE, make_engine


def test_the_setting_is_read_and_bounded() -> None:
    assert load_settings(environ={}).db_pool_size == 10
    assert load_settings(environ={"KIZUNA_DB_POOL_SIZE": "4"}).db_pool_size == 4
    for bad in ("0", "-1", "5000", "many"):
        with pytest.raises(SettingsError):
            load_settings(environ={"KIZUNA_DB_POOL_SIZE": bad})


def test_postgresql_pool_follows_the_setting() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", pool_size=4)
    try:
        assert engine.pool.size() == 4
        assert engine.pool._max_overflow == 4  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def test_sqlite_pool_covers_every_worker_thread(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}")
    try:
        assert engine.pool.size() == SQLITE_POOL_SIZE >= 41  # anyio's 40 threads and the fast lane
    finally:
        engine.dispose()
