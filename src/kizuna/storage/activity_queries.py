"""Read-only queries behind the staff's live views: the activity feed (every flag attempt as it
happens) and the rosters (every team with its members and its latest submission).

The feed never carries what was typed: marshals watch it, and a submitted answer can be a flag. Its
text filter therefore looks at names and addresses only, never at the answers. Names are matched as
the other staff lists match them (``names.matches``: NFKC, case folded, katakana as hiragana), which
is not SQL: the matching accounts and challenges are found first (a few thousand names at most),
then the submissions are filtered by their ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from kizuna.domain.names import by_name, matches
from kizuna.storage import tables as t

RESULTS = ("correct", "incorrect", "already_solved", "ratelimited")
FEED_PAGE = 50
MAX_LIMIT = 100
HIDDEN_RECENT = 10


@dataclass(frozen=True)
class FeedFilters:
    """What the feed shows: one result, one challenge, one team, and names or an address containing
    ``text``. Empty filters show everything."""

    result: str | None = None
    challenge_id: int | None = None
    team_id: int | None = None
    text: str = ""


@dataclass(frozen=True)
class FeedRow:
    id: int
    date: datetime
    user_id: int
    user_name: str
    team_id: int | None
    team_name: str | None
    challenge_id: int
    challenge_name: str
    result: str
    address: str
    blood: int  # the solve's rank on its challenge when it is among the first three, else 0
    hidden: bool  # the user or their team is hidden (pending review)
    banned: bool  # the user or their team is banned

    @property
    def first_blood(self) -> bool:
        return self.blood == 1


@dataclass(frozen=True)
class FeedPage:
    rows: list[FeedRow]
    older: int | None  # the ``before`` of the next (older) page, None on the last one


@dataclass(frozen=True)
class HiddenChange:
    """An ``account_hidden`` event of the log, with the account's current name."""

    at: datetime
    kind: str  # user | team
    account_id: int
    name: str
    hidden: bool


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _named(s: Session, table: Any, text: str) -> list[int]:
    pairs = s.execute(select(table.id, table.name))
    return [row_id for row_id, name in pairs if matches(text, name or "")]


def _where(s: Session, f: FeedFilters) -> list[Any]:
    where: list[Any] = []
    if f.result:
        where.append(t.Submission.type == f.result)
    if f.challenge_id is not None:
        where.append(t.Submission.challenge_id == f.challenge_id)
    if f.team_id is not None:
        where.append(t.Submission.team_id == f.team_id)
    text = f.text.strip()
    if text:
        where.append(
            or_(
                t.Submission.user_id.in_(_named(s, t.User, text)),
                t.Submission.team_id.in_(_named(s, t.Team, text)),
                t.Submission.challenge_id.in_(_named(s, t.Challenge, text)),
                t.Submission.ip.like(_like(text), escape="\\"),
            )
        )
    return where


def _bloods(s: Session, solve_ids: dict[int, int], challenge_ids: set[int]) -> dict[int, int]:
    """Submission id -> its solve's rank (1-3) on its challenge, for the solves among the first three."""
    if not solve_ids:
        return {}
    rank = (
        func.row_number()
        .over(partition_by=t.Solve.challenge_id, order_by=(t.Solve.date, t.Solve.id))
        .label("rank")
    )
    ranked = select(t.Solve.id.label("sid"), rank).where(t.Solve.challenge_id.in_(challenge_ids)).subquery()
    by_solve = {sid: sub for sub, sid in solve_ids.items()}
    stmt = select(ranked.c.sid, ranked.c.rank).where(ranked.c.rank <= 3, ranked.c.sid.in_(list(by_solve)))
    return {by_solve[sid]: int(r) for sid, r in s.execute(stmt)}


def feed(
    s: Session,
    f: FeedFilters,
    before: int | None = None,
    after: int | None = None,
    limit: int = FEED_PAGE,
) -> FeedPage:
    """Submissions newest first: those older than ``before`` (paging back) or newer than ``after``
    (what arrived since the page was made), at most ``limit``."""
    limit = min(max(limit, 1), MAX_LIMIT)
    team = aliased(t.Team)
    stmt = (
        select(
            t.Submission.id,
            t.Submission.date,
            t.Submission.user_id,
            t.User.name,
            t.Submission.team_id,
            team.name,
            t.Submission.challenge_id,
            t.Challenge.name,
            t.Submission.type,
            t.Submission.ip,
            t.User.hidden,
            t.User.banned,
            team.hidden,
            team.banned,
            t.Solve.id,
        )
        .join(t.User, t.User.id == t.Submission.user_id)
        .join(t.Challenge, t.Challenge.id == t.Submission.challenge_id)
        .outerjoin(team, team.id == t.Submission.team_id)
        .outerjoin(t.Solve, t.Solve.submission_id == t.Submission.id)
        .where(*_where(s, f))
    )
    if before is not None:
        stmt = stmt.where(t.Submission.id < before)
    if after is not None:
        stmt = stmt.where(t.Submission.id > after)
    found = list(s.execute(stmt.order_by(t.Submission.id.desc()).limit(limit + 1)))
    more = len(found) > limit
    found = found[:limit]
    solves = {row[0]: row[14] for row in found if row[14] is not None}
    bloods = _bloods(s, solves, {row[6] for row in found if row[14] is not None})
    rows = [
        FeedRow(
            id=sub_id,
            date=date,
            user_id=user_id,
            user_name=user_name,
            team_id=team_id,
            team_name=team_name,
            challenge_id=challenge_id,
            challenge_name=challenge_name,
            result=result,
            address=address or "",
            blood=bloods.get(sub_id, 0),
            hidden=bool(u_hidden or t_hidden),
            banned=bool(u_banned or t_banned),
        )
        for (
            sub_id,
            date,
            user_id,
            user_name,
            team_id,
            team_name,
            challenge_id,
            challenge_name,
            result,
            address,
            u_hidden,
            u_banned,
            t_hidden,
            t_banned,
            _solve,
        ) in found
    ]
    return FeedPage(rows, rows[-1].id if more and rows and after is None else None)


def hidden_changes(s: Session, limit: int = HIDDEN_RECENT) -> list[HiddenChange]:
    """The latest accounts hidden or shown again, newest first (from the stored event log)."""
    events = list(
        s.scalars(
            select(t.EventLog)
            .where(t.EventLog.type == "account_hidden")
            .order_by(t.EventLog.id.desc())
            .limit(limit)
        )
    )
    ids: dict[str, set[int]] = {"user": set(), "team": set()}
    for ev in events:
        kind = str(ev.data.get("kind"))
        if kind in ids and isinstance(ev.data.get("account_id"), int):
            ids[kind].add(ev.data["account_id"])
    names = {
        "user": {
            i: n for i, n in s.execute(select(t.User.id, t.User.name).where(t.User.id.in_(ids["user"])))
        },
        "team": {
            i: n for i, n in s.execute(select(t.Team.id, t.Team.name).where(t.Team.id.in_(ids["team"])))
        },
    }
    out = []
    for ev in events:
        kind, account = str(ev.data.get("kind")), ev.data.get("account_id")
        if not isinstance(account, int) or account not in names.get(kind, {}):
            continue  # deleted since
        out.append(
            HiddenChange(ev.created_at, kind, account, names[kind][account], bool(ev.data.get("hidden")))
        )
    return out


# --- rosters --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    role: str
    hidden: bool
    banned: bool
    captain: bool = False


@dataclass(frozen=True)
class Last:
    """An account's latest submission: when, and from which address."""

    date: datetime
    address: str


@dataclass(frozen=True)
class RosterTeam:
    id: int
    name: str
    hidden: bool
    banned: bool
    members: list[Member] = field(default_factory=list)
    last: Last | None = None


@dataclass(frozen=True)
class Rosters:
    teams: list[RosterTeam]  # team mode: every team, by name
    players: list[tuple[Member, Last | None]]  # players in no team (individual mode: every player)


def _last_by(s: Session, column: Any) -> dict[int, Last]:
    latest = select(column.label("owner"), func.max(t.Submission.id).label("sid")).group_by(column).subquery()
    stmt = select(latest.c.owner, t.Submission.date, t.Submission.ip).join(
        t.Submission, t.Submission.id == latest.c.sid
    )
    return {owner: Last(date, ip or "") for owner, date, ip in s.execute(stmt) if owner is not None}


def rosters(s: Session, search: str = "") -> Rosters:
    """Every team with its members (staff included, so a staff account in a team shows), hidden and
    banned, and its latest submission; then the players in no team. ``search`` keeps the teams whose
    name or a member's name contains it, and the players whose name does (``names.matches``)."""
    users = list(
        s.execute(
            select(
                t.User.id, t.User.name, t.User.role, t.User.hidden, t.User.banned, t.User.team_id
            ).order_by(t.User.id)
        )
    )
    captains = {tid: cid for tid, cid in s.execute(select(t.Team.id, t.Team.captain_id))}
    members: dict[int, list[Member]] = {}
    loners: list[Member] = []
    for uid, name, role, hidden, banned, team_id in users:
        member = Member(uid, name, role, hidden, banned, team_id is not None and captains.get(team_id) == uid)
        if team_id is not None:
            members.setdefault(team_id, []).append(member)
        elif role == "player":
            loners.append(member)
    team_last = _last_by(s, t.Submission.team_id)
    user_last = _last_by(s, t.Submission.user_id)
    teams = [
        RosterTeam(tid, name, hidden, banned, members.get(tid, []), team_last.get(tid))
        for tid, name, hidden, banned in s.execute(
            select(t.Team.id, t.Team.name, t.Team.hidden, t.Team.banned).order_by(t.Team.id)
        )
    ]
    if search.strip():
        teams = [
            x for x in teams if matches(search, x.name) or any(matches(search, m.name) for m in x.members)
        ]
        loners = [m for m in loners if matches(search, m.name)]
    return Rosters(by_name(teams), [(m, user_last.get(m.id)) for m in by_name(loners)])
