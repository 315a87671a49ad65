"""What a player sees of the challenges and of other accounts: the challenge board, one challenge in
detail, its solvers, and public team and user pages.

Shared by the API and the pages so both apply the same rules:

* Staff whose role may view every challenge (``Action.CHALLENGE_VIEW_ALL``: admins, judges,
  authors) see every challenge; players see visible challenges whose prerequisites their account has
  solved. A challenge with unmet prerequisites is left out, or — when its requirements say
  ``anonymize`` — listed as a locked "???" entry that reveals nothing (not even its category).
* Nothing is shown to players before the event starts (nor to staff who may not view every challenge).
* In team mode a player without a team has no account to play for (``TEAM_REQUIRED``); staff need none.
* Hidden and banned accounts exist only for staff who watch the rosters (``Action.ROSTER_VIEW``).
* Public views honour the scoreboard freeze: solves after the cutoff are not listed.
* An account's solves and wrong attempts leave out hidden challenges unless the reader's role may
  view every challenge (``Action.CHALLENGE_VIEW_ALL``), on the pages and in the API alike; and
  challenges still locked for the reader (prerequisites their own account has not solved; for a
  visitor, every challenge with prerequisites), so a locked challenge's name reaches no one who
  cannot open it.
* A team's members are listed without its hidden and banned users, except to roster staff; a
  member of a hidden or banned team is as hidden as the team; a solve a hidden member made for a
  visible team stays on the team's list, without the member's name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from kizuna.domain.clock import Phase
from kizuna.domain.errors import ErrorCode, Forbidden, NotFound
from kizuna.domain.names import by_name
from kizuna.domain.policy import Action
from kizuna.domain.text import LocalizedText
from kizuna.services import challenges as challenge_service
from kizuna.services.accounts import Principal, account_id
from kizuna.services.context import Context
from kizuna.services.event import clock_of
from kizuna.storage import event_log, repo, scoreboard_queries, snapshot_queries
from kizuna.storage import tables as t

SOLVER_LIMIT = 10
NEW_FOR = timedelta(hours=1)  # a challenge released during the event is "new" for this long
NO_TEXT = LocalizedText("")


# --- who is playing -------------------------------------------------------------------------------


def viewer_account(mode: str, who: Principal) -> int | None:
    """The account ``who`` plays for; staff may have none, players must (team mode: a team)."""
    acct = account_id(mode, who.user_id, who.team_id)
    if acct is None and not who.is_staff:
        raise Forbidden(ErrorCode.TEAM_REQUIRED)
    return acct


def ensure_started(ctx: Context, who: Principal, ev: t.Event) -> None:
    """Players see no challenge before the start; staff who may view every challenge always do."""
    if not who.can(Action.CHALLENGE_VIEW_ALL) and clock_of(ev).phase(ctx.now()) is Phase.NOT_STARTED:
        raise Forbidden(ErrorCode.EVENT_NOT_STARTED)


def account_name(ctx: Context, mode: str, acct: int) -> str:
    """The scoring account's name (the team's in team mode), "" when it has gone."""
    with ctx.db.read() as s:
        found = event_log.account_names(s, mode, [acct]).get(acct)
    return found.name if found is not None else ""


def solved_ids(ctx: Context, acct: int | None) -> set[int]:
    if acct is None:
        return set()
    with ctx.db.read() as s:
        return repo.solved_ids(s, acct)


# --- the board ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardEntry:
    """One card on the board. A ``locked`` entry is anonymised: only its id and position are real."""

    id: int
    type: str
    name: str
    category: str
    value: int
    position: int
    solves: int | None
    solved: bool
    locked: bool
    tags: tuple[str, ...] = ()
    text: LocalizedText = NO_TEXT  # the name in every language
    category_text: LocalizedText = NO_TEXT  # the category's display names ("" source: untranslated)
    first_blood: bool = False  # the viewer's account solved it first (see ``board_entries``)
    new: bool = False  # released during the event less than ``NEW_FOR`` ago
    # Its own schedule ("scheduled" | "open" | "closed"; domain.schedule): only staff ever see a
    # scheduled one; a closed one stays listed and refuses answers.
    schedule_state: str = "open"
    shown: bool = True  # matches the board's filters (``apply_filters``); others are rendered hidden


def category_text(category: str, names: dict[str, str]) -> LocalizedText:
    """A category's display names; without translations it is the same word in every language."""
    if not names:
        return LocalizedText.of("", {"name": category}, None)
    source = next((code for code, name in names.items() if name == category), next(iter(names)))
    return LocalizedText.of(source, {"name": names[source]}, {c: {"name": n} for c, n in names.items()})


def is_new(released_at: datetime | None, start_at: datetime | None, now: datetime) -> bool:
    """A challenge is new for ``NEW_FOR`` after it was released during the event; the ones there
    from the start (released before it) never are, nor any in an event without a start time."""
    if released_at is None or start_at is None or released_at <= start_at:
        return False
    return timedelta(0) <= now - released_at < NEW_FOR


def listed_to_players(row: dict[str, Any]) -> bool:
    """Is a challenge-list snapshot row one players may see (before prerequisites): visible and
    released (the snapshot computed its ``schedule_state`` when built; a row without one, from
    before schedules, counts as not released, failing closed)?"""
    return row["state"] == "visible" and row.get("schedule_state", "scheduled") != "scheduled"


def board_entries(
    rows: list[dict[str, Any]],
    solved: set[int],
    view_all: bool,
    account: int | None = None,
    start_at: datetime | None = None,
    now: datetime | None = None,
) -> list[BoardEntry]:
    """The entries a viewer sees, from the challenge-list snapshot rows (already in board order).

    ``first_blood`` marks the challenges whose first solver is the viewer's ``account``, from the
    same snapshot as the solve counts: the public one is frozen, so during a freeze only solves before
    it count and the mark never tells a player whether someone else solved a challenge after it."""
    out: list[BoardEntry] = []
    for r in rows:
        if not listed_to_players(r) and not view_all:
            continue
        requirements = r["requirements"] or {}
        prereqs = set(requirements.get("prerequisites") or [])
        if view_all or prereqs <= solved:
            out.append(
                BoardEntry(
                    id=r["id"],
                    type=r["type"],
                    name=r["name"],
                    category=r["category"],
                    value=r["value"],
                    position=r["position"],
                    solves=r["solves"],
                    solved=r["id"] in solved,
                    locked=False,
                    tags=tuple(r["tags"]),
                    text=LocalizedText(r["locale"], r["texts"]),
                    category_text=category_text(r["category"], r["category_texts"]),
                    first_blood=account is not None and r.get("first_account") == account,
                    new=now is not None and is_new(r.get("released_at"), start_at, now),
                    schedule_state=r.get("schedule_state", "open"),
                )
            )
        elif requirements.get("anonymize"):
            out.append(
                BoardEntry(
                    id=r["id"],
                    type="hidden",
                    name="???",
                    category="???",
                    value=0,
                    position=r["position"],
                    solves=None,
                    solved=False,
                    locked=True,
                )
            )
    return out


def by_category(entries: list[BoardEntry]) -> list[tuple[str, list[BoardEntry]]]:
    """Entries grouped by category, categories in the order their first entry appears."""
    groups: dict[str, list[BoardEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.category, []).append(entry)
    return list(groups.items())


SHOW_ALL = "all"
SHOW_UNSOLVED = "unsolved"
SHOW_CHOICES = (SHOW_ALL, SHOW_UNSOLVED)


@dataclass(frozen=True)
class BoardFilters:
    """The board's filters as asked for (``?show=unsolved&category=web``), already checked:
    ``show`` is one of ``SHOW_CHOICES``, ``category`` a category the viewer can see or ""."""

    show: str = SHOW_ALL
    category: str = ""
    unknown_show: bool = False  # a value of ``show`` we do not know was asked for (and ignored)
    unknown_category: bool = False  # likewise a category the viewer has no challenge in

    @property
    def active(self) -> bool:
        return self.show != SHOW_ALL or bool(self.category)


def board_filters(show: str, category: str, entries: list[BoardEntry]) -> BoardFilters:
    """Check the asked-for filters against what the viewer sees. An unknown value is ignored and
    flagged, never an error: a category only among hidden challenges is as unknown as one that does
    not exist, so the answer says nothing about challenges the viewer cannot see."""
    show, category = show.strip(), category.strip()
    known = {e.category for e in entries if not e.locked}
    unknown_show = bool(show) and show not in SHOW_CHOICES
    unknown_category = bool(category) and category not in known
    return BoardFilters(
        show=show if show in SHOW_CHOICES else SHOW_ALL,
        category="" if unknown_category else category,
        unknown_show=unknown_show,
        unknown_category=unknown_category,
    )


def apply_filters(entries: list[BoardEntry], filters: BoardFilters) -> list[BoardEntry]:
    """Every entry, those not matching the filters marked ``shown=False`` (the page keeps them,
    hidden, so the script can filter again without asking the server). A locked entry has no known
    category: it is left out by a category filter and kept by "unsolved"."""

    def matches(e: BoardEntry) -> bool:
        if filters.show == SHOW_UNSOLVED and e.solved:
            return False
        return not filters.category or (not e.locked and e.category == filters.category)

    return [e if matches(e) else replace(e, shown=False) for e in entries]


# --- one challenge --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HintView:
    id: int
    title: str
    cost: int
    unlocked: bool
    available: bool  # its prerequisite hints are unlocked, so it may be unlocked now
    content: str | None  # only when unlocked (or for admins)
    text: LocalizedText = NO_TEXT  # title (and, when shown, content) in every language


@dataclass(frozen=True)
class ChallengeView:
    challenge: t.Challenge
    account_id: int | None
    solved: bool
    attempts: int  # wrong answers counted towards max_attempts
    remaining: int | None  # attempts left when max_attempts is set
    tags: list[str]
    files: list[t.File]
    hints: list[HintView]
    category_text: LocalizedText = NO_TEXT


def challenge_view(ctx: Context, who: Principal, challenge_id: int, mode: str) -> ChallengeView:
    """A challenge as ``who`` may see it; NotFound when they may not (never revealing it exists)."""
    acct = viewer_account(mode, who)
    view_all = who.can(Action.CHALLENGE_VIEW_ALL)
    ch = challenge_service.get_for_player(ctx, challenge_id, acct, view_all)
    with ctx.db.read() as s:
        solved = repo.solved_ids(s, acct) if acct is not None else set()
        attempts = repo.counted_attempts(s, ch.id, acct) if acct is not None else 0
        tags = [x.value for x in s.query(t.Tag).filter(t.Tag.challenge_id == ch.id).order_by(t.Tag.id)]
        files = s.query(t.File).filter(t.File.challenge_id == ch.id).order_by(t.File.id).all()
        hints = s.query(t.Hint).filter(t.Hint.challenge_id == ch.id).order_by(t.Hint.id).all()
        unlocked = repo.unlocked_hint_ids(s, acct) if acct is not None else set()
        names = snapshot_queries.category_names(s).get(ch.category, {})
    hint_views = []
    for h in hints:
        shown = view_all or h.id in unlocked
        needed = set((h.requirements or {}).get("prerequisites") or [])
        hint_views.append(
            HintView(
                id=h.id,
                title=h.title,
                cost=h.cost,
                unlocked=h.id in unlocked,
                available=needed <= unlocked,
                content=h.content if shown else None,
                text=_hint_text(h, shown),
            )
        )
    remaining = max(ch.max_attempts - attempts, 0) if ch.max_attempts else None
    return ChallengeView(
        ch,
        acct,
        ch.id in solved,
        attempts,
        remaining,
        tags,
        files,
        hint_views,
        category_text(ch.category, names),
    )


@dataclass(frozen=True)
class HintOffer:
    """What unlocking a hint would cost the viewer's account, for the confirmation step."""

    view: ChallengeView
    hint: HintView
    score: int  # the account's score now, the cost of unlocked hints already taken off

    @property
    def enough(self) -> bool:
        return self.score >= self.hint.cost


def hint_offer(ctx: Context, who: Principal, challenge_id: int, hint_id: int, mode: str) -> HintOffer:
    """A hint of a challenge ``who`` may see, with their account's score; NotFound for a hint that is
    not this challenge's, like for a challenge they may not see."""
    view = challenge_view(ctx, who, challenge_id, mode)
    hint = next((h for h in view.hints if h.id == hint_id), None)
    if hint is None:
        raise NotFound()
    score = 0
    if view.account_id is not None:
        with ctx.db.read() as s:
            score = scoreboard_queries.account_score(s, view.account_id, ctx.now())
    return HintOffer(view, hint, score)


def _hint_text(h: t.Hint, shown: bool) -> LocalizedText:
    """A hint's text in every language; its content in none until it is shown."""
    keep = ("title", "content") if shown else ("title",)
    base = {k: getattr(h, k) for k in keep}
    other = {
        code: {k: v for k, v in values.items() if k in keep}
        for code, values in (h.translations or {}).items()
        if isinstance(values, dict)
    }
    return LocalizedText.of(h.locale, base, other)


@dataclass(frozen=True)
class Solver:
    account_id: int
    name: str
    date: datetime


def solvers(
    ctx: Context, challenge_id: int, mode: str, cutoff: datetime | None, limit: int | None = None
) -> list[Solver]:
    """Ranked accounts (neither hidden nor banned) that solved the challenge, earliest first."""
    with ctx.db.read() as s:
        table: Any = t.Team if mode == "teams" else t.User
        stmt = (
            s.query(t.Solve.account_id, table.name, t.Solve.date)
            .join(table, table.id == t.Solve.account_id)
            .filter(t.Solve.challenge_id == challenge_id, table.hidden.is_(False), table.banned.is_(False))
        )
        if cutoff is not None:
            stmt = stmt.filter(t.Solve.date < cutoff)
        stmt = stmt.order_by(t.Solve.date, t.Solve.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [Solver(a, n, d) for a, n, d in stmt.all()]


# --- what accounts have done: solves, wrong attempts, awards ---------------------------------------
#
# One visibility rule for every reader of an account's history (the public team and user pages and the
# API's ``/users/…`` and ``/teams/…`` solves, fails and awards): a hidden challenge exists only for
# staff whose role may view every challenge. For everyone else — the account's own members included —
# its solves and attempts are left out, so its name, and even its id, never reach them.

# Whose history: a user's own actions, a team's, or the scoring account's (the team in team mode).
Owner = Literal["user", "team", "account"]


def sees_every_challenge(who: Principal | None) -> bool:
    """Hidden challenges are shown only to those the policy lets view every challenge."""
    return who is not None and who.can(Action.CHALLENGE_VIEW_ALL)


def locked_ids(s: Any, who: Principal | None) -> set[int]:
    """The challenges with prerequisites that ``who``'s account has not all solved: locked for them,
    so not named to them anywhere (a visitor has solved nothing). Empty for readers who may view
    every challenge. One small read of the challenges that have requirements."""
    if sees_every_challenge(who):
        return set()
    gated: dict[int, set[int]] = {}
    for ident, requirements in s.query(t.Challenge.id, t.Challenge.requirements).filter(
        t.Challenge.requirements.is_not(None)
    ):
        needed = set((requirements or {}).get("prerequisites") or [])
        if needed:
            gated[int(ident)] = needed
    if not gated:
        return set()
    solved: set[int] = set()
    if who is not None:
        acct = account_id(repo.event(s).mode, who.user_id, who.team_id)
        solved = repo.solved_ids(s, acct) if acct is not None else set()
    return {ident for ident, needed in gated.items() if not needed <= solved}


def _owner_column(table: Any, owner: Owner) -> Any:
    return {"user": table.user_id, "team": table.team_id, "account": table.account_id}[owner]


@dataclass(frozen=True)
class SolveView:
    id: int
    challenge_id: int
    challenge_name: str
    category: str
    value: int
    date: datetime
    user_id: int
    user_name: str
    team_id: int | None
    text: LocalizedText = NO_TEXT  # the challenge's name in every language
    category_text: LocalizedText = NO_TEXT


def account_solves(
    ctx: Context, who: Principal | None, owner: Owner, ident: int, cutoff: datetime | None
) -> list[SolveView]:
    """The solves of user, team or account ``ident`` as ``who`` may see them, earliest first; with a
    ``cutoff`` (the scoreboard freeze), only those before it."""
    show_hidden = sees_every_challenge(who)
    moderator = bool(who and who.can(Action.ROSTER_VIEW))
    with ctx.db.read() as s:
        q = (
            s.query(t.Solve, t.Challenge, t.User)
            .join(t.Challenge, t.Challenge.id == t.Solve.challenge_id)
            .join(t.User, t.User.id == t.Solve.user_id)
            .filter(_owner_column(t.Solve, owner) == ident)
        )
        if not show_hidden:
            q = q.filter(repo.player_visible(ctx.now()))
            locked = locked_ids(s, who)
            if locked:
                q = q.filter(t.Solve.challenge_id.not_in(sorted(locked)))
        if cutoff is not None:
            q = q.filter(t.Solve.date < cutoff)
        rows = q.order_by(t.Solve.date, t.Solve.id).all()
        names = snapshot_queries.category_names(s)
        return [
            SolveView(
                sv.id,
                ch.id,
                ch.name,
                ch.category,
                ch.value if sv.value is None else sv.value,  # a judge's partial award
                sv.date,
                u.id,
                u.name if _named(u, sv.team_id, who, moderator) else "",
                sv.team_id,
                _name_text(ch),
                category_text(ch.category, names.get(ch.category, {})),
            )
            for sv, ch, u in rows
        ]


def _named(u: t.User, team_id: int | None, who: Principal | None, moderator: bool) -> bool:
    """May ``who`` read the name of ``u``, who made a solve for ``team_id``? Not a hidden or banned
    user's, except for roster staff and the user's own teammates."""
    if moderator or not (u.hidden or u.banned):
        return True
    return who is not None and (who.user_id == u.id or (team_id is not None and who.team_id == team_id))


def _name_text(ch: t.Challenge) -> LocalizedText:
    """A challenge's name in every language (and nothing else of its text)."""
    other = {
        code: {"name": values["name"]}
        for code, values in (ch.translations or {}).items()
        if isinstance(values, dict) and values.get("name")
    }
    return LocalizedText.of(ch.locale or "en", {"name": ch.name}, other)


@dataclass(frozen=True)
class FailView:
    id: int
    challenge_id: int
    type: str
    date: datetime
    user_id: int
    team_id: int | None


@dataclass(frozen=True)
class Fails:
    count: int
    rows: list[FailView]  # empty unless the reader may see them (see ``account_fails``)


def account_fails(ctx: Context, who: Principal | None, owner: Owner, ident: int, full: bool) -> Fails:
    """The wrong attempts of user, team or account ``ident``: always their count, and the attempts
    themselves when ``full`` (the account's own members and staff). Attempts at challenges ``who``
    may not see are not counted either."""
    with ctx.db.read() as s:
        q = s.query(t.Submission).filter(
            _owner_column(t.Submission, owner) == ident,
            t.Submission.type == "incorrect",
            t.Submission.late.is_(False),  # attempts after the end are recorded, never counted
        )
        if not sees_every_challenge(who):
            q = q.join(t.Challenge, t.Challenge.id == t.Submission.challenge_id).filter(
                repo.player_visible(ctx.now())
            )
            locked = locked_ids(s, who)
            if locked:
                q = q.filter(t.Submission.challenge_id.not_in(sorted(locked)))
        count = q.count()
        if not full:
            return Fails(count, [])
        rows = [
            FailView(x.id, x.challenge_id, x.type, x.date, x.user_id, x.team_id)
            for x in q.order_by(t.Submission.id)
        ]
    return Fails(count, rows)


@dataclass(frozen=True)
class AwardView:
    id: int
    user_id: int | None
    team_id: int | None
    name: str
    description: str
    value: int
    category: str
    icon: str
    date: datetime


def account_awards(ctx: Context, owner: Owner, ident: int, cutoff: datetime | None) -> list[AwardView]:
    """The awards (and hint costs, as negative awards) of user, team or account ``ident``; with a
    ``cutoff``, only those before it. Awards name no challenge, so every reader sees the same ones."""
    with ctx.db.read() as s:
        q = s.query(t.Award).filter(_owner_column(t.Award, owner) == ident)
        if cutoff is not None:
            q = q.filter(t.Award.date < cutoff)
        return [
            AwardView(a.id, a.user_id, a.team_id, a.name, a.description, a.value, a.category, a.icon, a.date)
            for a in q.order_by(t.Award.id)
        ]


# --- public account pages -------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberView:
    id: int
    name: str
    is_captain: bool


@dataclass(frozen=True)
class TeamPage:
    team: t.Team
    members: list[MemberView]
    solves: list[SolveView]


def team_page(ctx: Context, who: Principal | None, team_id: int, cutoff: datetime | None) -> TeamPage:
    """A team's public page; hidden and banned teams exist only for staff who watch the rosters."""
    moderator = bool(who and who.can(Action.ROSTER_VIEW))
    with ctx.db.read() as s:
        team = s.get(t.Team, team_id)
        if team is None or ((team.hidden or team.banned) and not moderator):
            raise NotFound()
        members = [
            MemberView(m.id, m.name, m.id == team.captain_id)
            for m in team.members
            if moderator or not (m.hidden or m.banned)
        ]
    return TeamPage(team, members, account_solves(ctx, who, "account", team.id, cutoff))


@dataclass(frozen=True)
class UserPage:
    user: t.User
    team: t.Team | None
    solves: list[SolveView]


def user_page(ctx: Context, who: Principal | None, user_id: int, cutoff: datetime | None) -> UserPage:
    """A user's public page: their own solves (in team mode, the ones they made for their team)."""
    moderator = bool(who and who.can(Action.ROSTER_VIEW))
    with ctx.db.read() as s:
        user = s.get(t.User, user_id)
        if user is None or ((user.hidden or user.banned) and not moderator):
            raise NotFound()
        team = s.get(t.Team, user.team_id) if user.team_id else None
        if team is not None and (team.hidden or team.banned) and not moderator:
            raise NotFound()  # a hidden team's members are as hidden as the team
    return UserPage(user, team, account_solves(ctx, who, "user", user.id, cutoff))


@dataclass(frozen=True)
class TeamListEntry:
    id: int
    name: str
    affiliation: str
    members: int


@dataclass(frozen=True)
class UserListEntry:
    id: int
    name: str
    affiliation: str


def public_teams(ctx: Context, query: str = "") -> list[TeamListEntry]:
    """Every team that is neither hidden nor banned and whose name contains ``query``, by name
    (``names.by_name``: any width, case or kana finds and sorts together)."""
    with ctx.db.read() as s:
        teams = s.query(t.Team).filter(t.Team.hidden.is_(False), t.Team.banned.is_(False)).order_by(t.Team.id)
        sizes: dict[int, int] = {}
        for _uid, _name, team_id in scoreboard_queries.team_members(s):
            sizes[team_id] = sizes.get(team_id, 0) + 1
        return by_name((TeamListEntry(x.id, x.name, x.affiliation, sizes.get(x.id, 0)) for x in teams), query)


def public_users(ctx: Context, query: str = "") -> list[UserListEntry]:
    """Every user who is neither hidden nor banned nor in a hidden or banned team, and whose name
    contains ``query``, by name."""
    with ctx.db.read() as s:
        unlisted = s.query(t.Team.id).filter(t.Team.hidden.is_(True) | t.Team.banned.is_(True))
        users = s.query(t.User).filter(
            t.User.hidden.is_(False),
            t.User.banned.is_(False),
            t.User.team_id.is_(None) | t.User.team_id.not_in(unlisted.scalar_subquery()),
        )
        users = users.order_by(t.User.id)
        return by_name((UserListEntry(x.id, x.name, x.affiliation) for x in users), query)


@dataclass(frozen=True)
class MyTeam:
    team: t.Team
    members: list[MemberView]


def my_team(ctx: Context, who: Principal) -> MyTeam | None:
    """The viewer's own team with its members, or None when they have none."""
    with ctx.db.read() as s:
        user = s.get(t.User, who.user_id)
        if user is None or user.team_id is None:
            return None
        team = s.get(t.Team, user.team_id)
        if team is None:
            return None
        members = [MemberView(m.id, m.name, m.id == team.captain_id) for m in team.members]
    return MyTeam(team, members)
