"""What the venue screen reads besides the scoreboard snapshots: the latest first bloods in the stored
event log, with the challenges and accounts they name."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.domain.schedule import player_visible
from kizuna.domain.text import LocalizedText
from kizuna.storage import tables as t

# How far back (in events) the screen looks for first bloods: reading the log backwards from its newest
# id stops here, so a long event with thousands of submissions costs the same as a short one.
WINDOW = 20_000


def blood_events(s: Session, limit: int, before: datetime | None = None) -> list[t.EventLog]:
    """The newest public ``solve`` events that were among the first three of their challenge, newest
    first; with ``before``, only those made earlier (the scoreboard freeze)."""
    newest = s.scalar(select(t.EventLog.id).order_by(t.EventLog.id.desc()).limit(1)) or 0
    stmt = select(t.EventLog).where(
        t.EventLog.id > newest - WINDOW,
        t.EventLog.type == "solve",
        t.EventLog.audience == "public",
        t.EventLog.data["first_blood"].as_integer() > 0,
    )
    if before is not None:
        stmt = stmt.where(t.EventLog.created_at < before)
    return list(s.scalars(stmt.order_by(t.EventLog.id.desc()).limit(limit)))


@dataclass(frozen=True)
class ChallengeName:
    visible: bool  # players can see it now
    text: LocalizedText  # its name in every language
    locked: bool = False  # it has prerequisites: locked for a visitor, who has solved nothing


def challenge_names(
    s: Session, ids: Collection[int], now: datetime | None = None
) -> dict[int, ChallengeName]:
    """The challenges ``ids`` that exist, with their names in every language and whether players see them."""
    if not ids:
        return {}
    rows = s.scalars(select(t.Challenge).where(t.Challenge.id.in_(sorted(ids))))
    return {
        ch.id: ChallengeName(
            player_visible(ch.state, ch.release_at, now or t.utcnow()),
            LocalizedText.of(ch.locale or "en", {"name": ch.name}, ch.translations),
            bool((ch.requirements or {}).get("prerequisites")),
        )
        for ch in rows
    }
