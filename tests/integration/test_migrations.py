"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL, and go
back down cleanly: a hand-written migration that forgets a column, an index or a default fails here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from kizuna.services.context import Context
from kizuna.storage.db import Database
from kizuna.storage.migrate import alembic_config, upgrade
from kizuna.storage.tables import Base


def differences(db: Database) -> list[Any]:
    with db.engine.connect() as conn:
        found = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # SQLite cannot tell BIGINT from INTEGER in a way that matters; type drift there is noise.
    return [d for d in found if not (db.is_sqlite and isinstance(d, list) and d[0][0] == "modify_type")]


def test_migrated_schema_matches_the_models(backend: str, ctx: Context) -> None:
    assert differences(ctx.db) == []


def test_migrations_go_down_to_nothing_and_up_again(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'round.db'}")
    try:
        upgrade(db)
        with db.engine.begin() as conn:
            cfg = alembic_config(db.url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        upgrade(db)
        assert differences(db) == []
    finally:
        db.dispose()
