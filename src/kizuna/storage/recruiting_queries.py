"""Reading consents to the recruiter view and what the export holds (``services/recruiting.py``)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from kizuna.storage import tables as t

USERS_PER_QUERY = 500


def open_consent(s: Session, user_id: int) -> t.RecruitingConsent | None:
    stmt = (
        select(t.RecruitingConsent)
        .where(t.RecruitingConsent.user_id == user_id, t.RecruitingConsent.withdrawn_at.is_(None))
        .order_by(t.RecruitingConsent.id.desc())
    )
    return s.scalars(stmt).first()


@dataclass(frozen=True)
class ConsentingRow:
    user_id: int
    name: str
    country: str
    affiliation: str
    team: str
    version: str
    given_at: datetime


def consenting(s: Session, version: str) -> list[ConsentingRow]:
    """Players with an open consent to ``version`` who are neither hidden nor banned, nor in a hidden
    or banned team, by name then id. The consent is the first condition: no one else is read."""
    team = aliased(t.Team)
    stmt = (
        select(
            t.User.id,
            t.User.name,
            t.User.country,
            t.User.affiliation,
            team.name,
            t.RecruitingConsent.version,
            t.RecruitingConsent.given_at,
        )
        .join(t.User, t.User.id == t.RecruitingConsent.user_id)
        .outerjoin(team, team.id == t.User.team_id)
        .where(
            t.RecruitingConsent.withdrawn_at.is_(None),
            t.RecruitingConsent.version == version,
            t.User.role == "player",
            t.User.hidden.is_(False),
            t.User.banned.is_(False),
            (team.id.is_(None)) | ((team.hidden.is_(False)) & (team.banned.is_(False))),
        )
        .order_by(t.User.name, t.User.id)
    )
    seen: set[int] = set()
    out: list[ConsentingRow] = []
    for uid, name, country, affiliation, team_name, ver, given in s.execute(stmt):
        if uid not in seen:  # one open consent per player; never listed twice
            seen.add(uid)
            out.append(
                ConsentingRow(uid, name, country or "", affiliation or "", team_name or "", ver, given)
            )
    return out


def achievements(s: Session, user_ids: Collection[int]) -> dict[int, tuple[list[str], list[str]]]:
    """Per user, the keys of the tracks completed and of the badges earned (event log, first first)."""
    out: dict[int, tuple[list[str], list[str]]] = {}
    ids = sorted(set(user_ids))
    user_of = t.EventLog.data["user_id"].as_integer()
    for start in range(0, len(ids), USERS_PER_QUERY):
        chunk = ids[start : start + USERS_PER_QUERY]
        stmt = (
            select(
                t.EventLog.type,
                user_of,
                t.EventLog.data["track_key"].as_string(),
                t.EventLog.data["badge_key"].as_string(),
            )
            .where(t.EventLog.type.in_(("track_completed", "badge_awarded")), user_of.in_(chunk))
            .order_by(t.EventLog.id)
        )
        for kind, uid, track, badge in s.execute(stmt):
            tracks, badges = out.setdefault(int(uid), ([], []))
            key, into = (track, tracks) if kind == "track_completed" else (badge, badges)
            if isinstance(key, str) and key and key not in into:
                into.append(key)
    return out
