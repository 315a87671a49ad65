"""Reading the stored event log (``events``) for the live stream.

The unit of work appends; this module only reads: the events after an id in bounded batches (what a
process's tailer does a few times a second), the most recent events after an id (a stream resuming
with ``Last-Event-ID``), and the few rows those events name (challenges, accounts, announcements),
looked up by primary key once per batch for every connection of the process.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from kizuna.domain.schedule import player_visible
from kizuna.domain.text import LocalizedText
from kizuna.storage import tables as t
from kizuna.storage.tables import utcnow

BATCH = 500


def latest_id(s: Session) -> int:
    """The id of the newest stored event (0 when the log is empty)."""
    return int(s.scalar(select(func.max(t.EventLog.id))) or 0)


def events_after(
    s: Session, after_id: int, limit: int = BATCH, also: Collection[int] = ()
) -> list[t.EventLog]:
    """At most ``limit`` events with an id above ``after_id``, oldest first, plus those of the ids in
    ``also`` that exist now (ids below ``after_id`` whose transactions committed late)."""
    where: Any = t.EventLog.id > after_id
    if also:
        where = or_(where, t.EventLog.id.in_(sorted(also)))
    return list(s.scalars(select(t.EventLog).where(where).order_by(t.EventLog.id).limit(limit)))


def recent_after(
    s: Session,
    after_id: int,
    limit: int,
    audiences: Iterable[str] | None = None,
    account_id: int | None = None,
) -> list[t.EventLog]:
    """The newest ``limit`` events with an id above ``after_id``, oldest first.

    ``audiences`` (None: every audience) narrows the read to events of those audiences plus, with
    ``account_id``, the ``account`` events of that account: a coarse pre-filter so that a player's
    resume is not crowded out by staff events; callers still apply the per-viewer rules."""
    stmt = select(t.EventLog).where(t.EventLog.id > after_id)
    if audiences is not None:
        allowed: list[Any] = [t.EventLog.audience.in_(sorted(set(audiences)))]
        if account_id is not None:
            allowed.append(and_(t.EventLog.audience == "account", t.EventLog.account_id == account_id))
        stmt = stmt.where(or_(*allowed))
    rows = list(s.scalars(stmt.order_by(t.EventLog.id.desc()).limit(limit)))
    rows.reverse()
    return rows


@dataclass(frozen=True)
class AccountName:
    name: str
    ranked: bool  # on the public scoreboard: not hidden, not banned (and, per user, a player)


def account_names(s: Session, mode: str, ids: Collection[int]) -> dict[int, AccountName]:
    """Names of the scoring accounts ``ids`` (teams in team mode, users otherwise); missing ids are
    left out."""
    if not ids:
        return {}
    out: dict[int, AccountName] = {}
    if mode == "teams":
        teams = select(t.Team.id, t.Team.name, t.Team.hidden, t.Team.banned).where(t.Team.id.in_(sorted(ids)))
        for ident, name, hidden, banned in s.execute(teams):
            out[int(ident)] = AccountName(name, not hidden and not banned)
        return out
    users = select(t.User.id, t.User.name, t.User.hidden, t.User.banned, t.User.role).where(
        t.User.id.in_(sorted(ids))
    )
    for ident, name, hidden, banned, role in s.execute(users):
        out[int(ident)] = AccountName(name, not hidden and not banned and role == "player")
    return out


@dataclass(frozen=True)
class ChallengeName:
    visible: bool  # players can see it (state "visible")
    text: LocalizedText  # its name in every language it has
    prerequisites: frozenset[int] = frozenset()  # challenges to solve before it unlocks


def prerequisites_of(requirements: Any) -> frozenset[int]:
    """The prerequisite challenge ids in a challenge's ``requirements``."""
    found = (requirements or {}).get("prerequisites") if isinstance(requirements, dict) else None
    return frozenset(int(x) for x in found or () if isinstance(x, int) and not isinstance(x, bool))


def challenge_names(
    s: Session, ids: Collection[int], now: datetime | None = None
) -> dict[int, ChallengeName]:
    """State, names and prerequisites of the challenges ``ids`` that still exist (one primary-key
    read). Players see one that is visible and released by ``now`` (naive UTC)."""
    if not ids:
        return {}
    stmt = select(
        t.Challenge.id,
        t.Challenge.state,
        t.Challenge.name,
        t.Challenge.locale,
        t.Challenge.translations,
        t.Challenge.requirements,
        t.Challenge.release_at,
    ).where(t.Challenge.id.in_(sorted(ids)))
    return {
        int(ident): ChallengeName(
            player_visible(state, release_at, now or utcnow()),
            LocalizedText.of(locale or "en", {"name": name}, translations),
            prerequisites_of(requirements),
        )
        for ident, state, name, locale, translations, requirements, release_at in s.execute(stmt)
    }


def unlocked_by(s: Session, needs: dict[int, frozenset[int]]) -> dict[int, frozenset[int]]:
    """For each challenge of ``needs`` (challenge -> its prerequisites), the accounts that solved
    every prerequisite: one read of the solves of those prerequisites, only when there are any."""
    wanted = sorted(set().union(*needs.values())) if needs else []
    if not wanted:
        return {challenge: frozenset() for challenge in needs}
    solvers: dict[int, set[int]] = {}
    stmt = select(t.Solve.challenge_id, t.Solve.account_id).where(t.Solve.challenge_id.in_(wanted))
    for challenge, account in s.execute(stmt):
        solvers.setdefault(int(challenge), set()).add(int(account))
    out: dict[int, frozenset[int]] = {}
    for challenge, prereqs in needs.items():
        sets = [solvers.get(p, set()) for p in prereqs]
        out[challenge] = frozenset(set.intersection(*sets)) if sets else frozenset()
    return out


def notifications(s: Session, ids: Collection[int]) -> dict[int, t.Notification]:
    """The announcements ``ids`` that still exist."""
    if not ids:
        return {}
    return {n.id: n for n in s.scalars(select(t.Notification).where(t.Notification.id.in_(sorted(ids))))}


@dataclass(frozen=True)
class Standing:
    """What authorises a signed-in stream, as stored now."""

    role: str
    team_id: int | None
    session_version: int
    banned: bool
    hidden: bool = False


def standings(s: Session, user_ids: Collection[int]) -> dict[int, Standing]:
    """The stored role, team, session version, ban and hiding of each of ``user_ids`` that still
    exists."""
    if not user_ids:
        return {}
    stmt = select(
        t.User.id, t.User.role, t.User.team_id, t.User.session_version, t.User.banned, t.User.hidden
    ).where(t.User.id.in_(sorted(user_ids)))
    return {
        int(i): Standing(role, team_id, int(version or 0), bool(banned), bool(hidden))
        for i, role, team_id, version, banned, hidden in s.execute(stmt)
    }


def live_tokens(s: Session, digests: Collection[str], now: datetime) -> set[str]:
    """Those of the API token ``digests`` that still exist and have not expired at ``now``."""
    if not digests:
        return set()
    stmt = select(t.Token.digest, t.Token.expires_at).where(t.Token.digest.in_(sorted(digests)))
    return {str(d) for d, expires in s.execute(stmt) if expires is None or expires >= now}


def live_sessions(s: Session, digests: Collection[str], now: datetime) -> set[str]:
    """Those of the browser-session ``digests`` that still exist and have not expired at ``now``
    (a log-out deletes the row)."""
    if not digests:
        return set()
    stmt = select(t.WebSession.digest, t.WebSession.expires_at).where(
        t.WebSession.digest.in_(sorted(digests))
    )
    return {str(d) for d, expires in s.execute(stmt) if expires >= now}
