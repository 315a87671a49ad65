"""Start-up chores shared by the CLI and the tests: migrate, make sure the event row exists."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from kizuna.services.context import Context
from kizuna.storage import repo
from kizuna.storage.db import CHALLENGES, SCOREBOARD, Database, bump
from kizuna.storage.migrate import needs_upgrade, upgrade


def prepare_database(db: Database) -> bool:
    """Migrate to the newest schema when needed; returns whether anything was migrated."""
    migrated = False
    if needs_upgrade(db):
        # Under a lock (storage.migrate.upgrade): False when another process migrated meanwhile.
        migrated = upgrade(db)
    for attempt in range(2):
        try:
            with db.write() as s:
                repo.event(s)
                bump(s, SCOREBOARD, CHALLENGES)
            break
        except IntegrityError:
            # Another replica starting at the same moment created the event row (or a revision
            # counter) first; the second attempt finds it.
            if attempt:
                raise
    return migrated


def is_empty(ctx: Context) -> bool:
    with ctx.db.read() as s:
        return repo.count_users(s) == 0 and repo.count_challenges(s) == 0
