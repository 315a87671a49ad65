"""Two replicas on PostgreSQL + Redis behind nginx, started together on an empty database, as
``bench/replicas.py`` (and docs/deploy.md's scaled recipe) runs them:

* both replicas wait on the migration lock while someone holds it, neither serves meanwhile, and once
  it is released exactly one migrates, the other starts on the current schema, and none fails;
* nginx sends ``/readyz`` to both;
* a correct attempt on replica A reaches replica B's scoreboard, a stream held on B, and a stream held
  through nginx (so nginx does not buffer the stream) — within a generous bound; the measured delays
  are printed (``-s``), never asserted against the 1 s target.

Needs PostgreSQL and Redis (required under ``CI=true``, skipped elsewhere when unreachable) and the
nginx binary (the same rule).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import text

from kizuna.storage.db import Database
from kizuna.storage.migrate import ADVISORY_LOCK_KEY, needs_upgrade
from tests.conftest import IN_CI, PG_URL, unavailable

ROOT = Path(__file__).resolve().parents[2]
BOUND = 10.0  # seconds; the target is one second, this only catches a propagation that is broken
WAIT = 60.0  # seconds for processes to start on a loaded machine


def load_replicas() -> ModuleType:
    """``bench/replicas.py`` (bench/ is not a package)."""
    name = "kizuna_bench_replicas"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "replicas.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def need_nginx() -> None:
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        message = "nginx is not installed (Debian package nginx)"
        if IN_CI:
            pytest.fail(f"{message}; CI=true requires it", pytrace=False)
        pytest.skip(message)


def need_postgres() -> None:
    try:
        import psycopg
        from sqlalchemy.engine import make_url

        dsn = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
        psycopg.connect(dsn, connect_timeout=3).close()
    except Exception as exc:
        unavailable("PostgreSQL", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def advisory_waiters(conn: object, database: str) -> int:
    """Sessions of ``database`` waiting for an advisory lock (the migration lock)."""
    return int(
        conn.execute(  # type: ignore[attr-defined]
            text(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                "WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = :name"
            ),
            {"name": database},
        ).scalar()
    )


def poll(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(180)
def test_two_replicas_behind_nginx_migrate_once_and_share_solves_within_a_bound(
    tmp_path: Path, redis_url: str
) -> None:
    need_postgres()
    need_nginx()
    replicas = load_replicas()
    env = {"KIZUNA_ENVIRONMENT": "test", "KIZUNA_LOG_LEVEL": "info"}
    rs = replicas.prepare(
        2, env, tmp_path / "data", postgres_url=PG_URL, redis_url=redis_url, access_log=True
    )
    db = Database(rs.env["KIZUNA_DATABASE_URL"])
    try:
        # Hold the migration lock ourselves, then start both replicas together on the empty database.
        with db.engine.connect() as holder, db.engine.connect() as watcher:
            holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            holder.commit()
            rs.launch()
            poll(lambda: advisory_waiters(watcher, rs.database) == 2, WAIT, "both replicas to wait")
            watcher.rollback()
            for replica in rs.replicas:
                assert replica.proc.poll() is None, replica.output()
                # Nobody serves before the schema is there.
                assert "Kizuna is at" not in replica.output()
                with pytest.raises(OSError):
                    replicas._get(f"{replica.base}/healthz", timeout=2)
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            holder.commit()
        rs.wait_replicas(timeout=WAIT)
        rs.start_nginx()

        # Exactly one replica migrated; the other found the schema current; nobody failed.
        outputs = [r.output() for r in rs.replicas]
        assert len(rs.migrated_by()) == 1, outputs
        for output in outputs:
            assert "Kizuna is at" in output and "Traceback" not in output, output
        assert not needs_upgrade(db)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM event")).scalar() == 1

        # nginx sends /readyz to both replicas.
        upstreams = {f"127.0.0.1:{r.port}" for r in rs.replicas}

        def both_seen() -> bool:
            replicas._get(f"{rs.base}/readyz")
            return {
                line[3] for line in rs.nginx_access() if line[:3] == ["200", "GET", "/readyz"]
            } >= upstreams

        poll(both_seen, 30, "/readyz through nginx to reach both replicas")

        # A solve on A is on B's scoreboard and streams (held on B, and through nginx), and back.
        results = replicas.propagation(rs, 0, 1, rounds=2, timeout=BOUND)
        results += replicas.propagation(rs, 1, 0, rounds=2, timeout=BOUND)
        print("\n" + replicas.report(rs, results))
        assert all(p.worst < BOUND for p in results), results
        # One worker each: the replica processes themselves.
        assert sorted(rs.worker_pids()) == sorted(r.proc.pid for r in rs.replicas)
    finally:
        db.dispose()
        rs.stop()
    # Everything we started is gone: processes, database, Redis keys, the temporary directory.
    assert all(r.proc.poll() is not None for r in rs.replicas) and rs.nginx.poll() is not None
    assert not replicas.database_exists(PG_URL, rs.database)
    import redis

    # Our Redis database was emptied (its claim marker is gone; another run may claim it right after).
    claimed = redis.Redis.from_url(f"{replicas._redis_server(redis_url)}/{rs.redis_db}")
    try:
        assert claimed.get(replicas.CLAIM_KEY) != rs.redis_marker.encode()
    finally:
        claimed.close()
    assert not rs.run_dir.exists()
