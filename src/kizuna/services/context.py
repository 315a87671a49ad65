"""What every use case needs, built once at start-up and passed in (no globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

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
    upload_dir: str = "uploads"
    now: Callable[[], datetime] = field(default=_now)
