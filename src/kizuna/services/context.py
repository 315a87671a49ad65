"""What every use case needs, built once at start-up and passed in (no globals)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kizuna.domain.badges import Catalogue
from kizuna.domain.integrity import Rules
from kizuna.domain.progress import XpRules
from kizuna.storage.uow import UnitOfWork

if TYPE_CHECKING:
    from kizuna.bus import Bus
    from kizuna.challenge_types import ChallengeTypeRegistry
    from kizuna.storage.db import Database


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Context:
    db: Database
    types: ChallengeTypeRegistry
    bus: Bus
    attempt_rate_limit: int = 10
    answer_file_bytes: int = 1_048_576  # a manual challenge's answer file (Settings.answer_file_bytes)
    # A team's wrong answers a minute, as multiples of attempt_rate_limit: on one challenge, and
    # across challenges (services.submissions).
    team_challenge_factor: int = 2
    team_factor: int = 3
    integrity: Rules = field(default_factory=Rules)
    upload_dir: str = "uploads"
    # The badge definitions (services.badges.load_catalogue); None: the shipped ones alone.
    badges: Catalogue | None = None
    # Learning XP and levels (settings KIZUNA_XP_*; services.learning_stats).
    xp: XpRules = field(default_factory=XpRules)
    now: Callable[[], datetime] = field(default=_now)

    @contextmanager
    def write(self) -> Iterator[UnitOfWork]:
        """The unit of work for one use case: a write transaction in which the use case bumps
        revisions, appends events and audit entries. Committed when the block ends without an
        exception (then the events are published on the bus), rolled back otherwise."""
        with self.db.write() as session:
            uow = UnitOfWork(session, self.now)
            yield uow
            uow.finish()
        for event in uow.published():
            self.bus.publish(event)
