"""Several replicas starting at once against a fresh database migrate it once: the others wait for
the lock (a PostgreSQL advisory lock; SQLite's write lock) and then find the schema current."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from kizuna.storage.db import Database
from kizuna.storage.migrate import needs_upgrade
from tests.faults.conftest import fresh_pg_database

ROOT = Path(__file__).resolve().parents[2]
REPLICAS = 4


@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    """An empty PostgreSQL database of its own, dropped afterwards."""
    with fresh_pg_database() as url:
        yield url


def _start_replicas(url: str, data_dir: Path) -> list[subprocess.CompletedProcess[str]]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("KIZUNA_")}
    env = {
        **inherited,
        "KIZUNA_DATABASE_URL": url,
        "KIZUNA_DATA_DIR": str(data_dir),
        "KIZUNA_SECRET_KEY": "faults-test-secret",
        "KIZUNA_ENVIRONMENT": "test",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "kizuna.cli.main", "db", "upgrade"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(REPLICAS)
    ]
    results = []
    for proc in procs:
        try:
            out, _ = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate(timeout=10)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, ""))
    return results


def _check(url: str, results: list[subprocess.CompletedProcess[str]]) -> None:
    for result in results:
        assert result.returncode == 0, result.stdout
        assert "Database is at the newest schema." in result.stdout
    migrated = [r for r in results if "Database migrated to the newest schema." in r.stdout]
    assert len(migrated) == 1, [r.stdout for r in results]
    db = Database(url)
    try:
        assert not needs_upgrade(db)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM event")).scalar() == 1
    finally:
        db.dispose()


@pytest.mark.postgres
def test_replicas_started_together_migrate_a_fresh_postgresql_database_once(
    fresh_pg_url: str, tmp_path: Path
) -> None:
    _check(fresh_pg_url, _start_replicas(fresh_pg_url, tmp_path / "data"))


def test_replicas_started_together_migrate_a_fresh_sqlite_file_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    _check(url, _start_replicas(url, tmp_path / "data"))
