"""Alembic migrations, configured in code so no alembic.ini is needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, inspect, text

from kizuna.storage.db import _IMMEDIATE, Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


# The key of the PostgreSQL advisory lock held while migrating ("kizuna" in ASCII); any number works
# as long as every replica uses the same one.
ADVISORY_LOCK_KEY = 0x6B697A756E61


def upgrade(db: Database, revision: str = "head") -> bool:
    """Migrate to ``revision``, once even when several processes or replicas start together.

    PostgreSQL: a session-level advisory lock is held around the upgrade, so a second replica waits
    for the first and then finds the schema current (Alembic reads the version after the lock).
    SQLite: the upgrade runs in a ``BEGIN IMMEDIATE`` transaction, which takes the database's write
    lock before reading the version, with the same effect for processes sharing the file."""
    cfg = alembic_config(db.url)
    if db.is_sqlite:
        with db.engine.connect().execution_options(**{_IMMEDIATE: True}) as conn, conn.begin():
            return _upgrade_on(conn, cfg, revision)
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # Waiting for another replica's migration is expected: no lock timeout for this wait.
            conn.exec_driver_sql("SET lock_timeout = 0")
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            conn.commit()
        try:
            with conn.begin():
                return _upgrade_on(conn, cfg, revision)
        finally:
            if conn.dialect.name == "postgresql":
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                conn.exec_driver_sql("RESET lock_timeout")
                conn.commit()


def _upgrade_on(conn: Connection, cfg: Config, revision: str) -> bool:
    from alembic.runtime.migration import MigrationContext

    before = set(MigrationContext.configure(conn).get_current_heads())
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)
    return set(MigrationContext.configure(conn).get_current_heads()) != before


def needs_upgrade(db: Database) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(db.url))
    with db.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return True
        current = MigrationContext.configure(conn).get_current_heads()
    return set(current) != set(script.get_heads())
