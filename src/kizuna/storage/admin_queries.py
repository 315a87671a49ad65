"""Read-only queries behind the admin pages: counts, lists with search and filters, and the paginated
submission log. Each returns plain dataclasses, so nothing lazy-loads after the session has closed.

These are admin views, read on demand: unlike the scoreboard they are not served from snapshots, and
every list is bounded (a page, or the challenges/teams of one event).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from kizuna.domain.names import by_name
from kizuna.domain.text import LocalizedText
from kizuna.storage import tables as t

PER_PAGE = 50
SUBMISSION_TYPES = ("correct", "incorrect", "already_solved", "ratelimited")

# How services.hints records the cost of an unlocked hint as an award.
HINT_COST_CATEGORY = "hints"
HINT_COST_DESCRIPTION = "hint_unlock"

T = TypeVar("T")


@dataclass(frozen=True)
class Counts:
    accounts: int
    teams: int
    challenges: int
    solves: int
    submissions: int


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True)
class ChallengeRow:
    id: int
    name: str
    category: str
    value: int
    state: str
    type: str
    solves: int
    release_at: datetime | None = None
    close_at: datetime | None = None


@dataclass(frozen=True)
class Option:
    """An entry of a select box: an id and the name shown for it."""

    id: int
    name: str


@dataclass(frozen=True)
class UserRow:
    id: int
    name: str
    email: str | None
    role: str
    team_id: int | None
    team_name: str | None
    hidden: bool
    banned: bool


@dataclass(frozen=True)
class TeamRow:
    id: int
    name: str
    members: int
    hidden: bool
    banned: bool


@dataclass(frozen=True)
class AwardRow:
    id: int
    date: datetime
    user_id: int | None
    user_name: str | None
    team_id: int | None
    team_name: str | None
    name: str
    description: str
    value: int
    category: str


@dataclass(frozen=True)
class SubmissionRow:
    id: int
    date: datetime
    user_id: int
    user_name: str
    team_id: int | None
    team_name: str | None
    challenge_id: int
    challenge_name: str
    provided: str
    type: str
    ip: str
    late: bool = False  # sent after the event ended: recorded, never scored


def _rows(s: Session, stmt: Any) -> list[Any]:
    """Result rows as plain tuples to unpack into the dataclasses above (SQLAlchemy's typing of
    selects with many columns ends in ``*tuple[Any, ...]``, which no fixed signature accepts)."""
    return list(s.execute(stmt))


def _count(s: Session, table: Any) -> int:
    return s.scalar(select(func.count()).select_from(table)) or 0


def counts(s: Session) -> Counts:
    return Counts(
        accounts=_count(s, t.User),
        teams=_count(s, t.Team),
        challenges=_count(s, t.Challenge),
        solves=_count(s, t.Solve),
        submissions=_count(s, t.Submission),
    )


def _clamp(page: int, total: int, per_page: int) -> int:
    """A page number within 1..last page (an absurd number in a link must not become a huge OFFSET)."""
    return min(max(1, page), max(1, -(-total // per_page)))


def challenge_rows(s: Session, cutoff: datetime | None = None) -> list[ChallengeRow]:
    """Every challenge in board order, with its number of solves (all accounts, hidden ones too;
    with a ``cutoff`` — the scoreboard freeze, for staff who may not see the live board — only
    the solves before it)."""
    counted = select(t.Solve.challenge_id, func.count().label("n"))
    if cutoff is not None:
        counted = counted.where(t.Solve.date < cutoff)
    solves = counted.group_by(t.Solve.challenge_id).subquery()
    stmt = (
        select(
            t.Challenge.id,
            t.Challenge.name,
            t.Challenge.category,
            t.Challenge.value,
            t.Challenge.state,
            t.Challenge.type,
            func.coalesce(solves.c.n, 0),
            t.Challenge.release_at,
            t.Challenge.close_at,
        )
        .outerjoin(solves, solves.c.challenge_id == t.Challenge.id)
        .order_by(t.Challenge.position, t.Challenge.category, t.Challenge.name, t.Challenge.id)
    )
    return [ChallengeRow(*row) for row in _rows(s, stmt)]


def challenge_options(s: Session) -> list[Option]:
    stmt = select(t.Challenge.id, t.Challenge.name).order_by(t.Challenge.name, t.Challenge.id)
    return [Option(*row) for row in _rows(s, stmt)]


def team_options(s: Session) -> list[Option]:
    stmt = select(t.Team.id, t.Team.name).order_by(t.Team.name_key, t.Team.id)
    return [Option(*row) for row in _rows(s, stmt)]


def user_options(s: Session) -> list[Option]:
    stmt = select(t.User.id, t.User.name).order_by(t.User.name_key, t.User.id)
    return [Option(*row) for row in _rows(s, stmt)]


def _user_select() -> Any:
    """The columns of a ``UserRow``: the user and the name of their team, if any."""
    return select(
        t.User.id,
        t.User.name,
        t.User.email,
        t.User.role,
        t.User.team_id,
        t.Team.name,
        t.User.hidden,
        t.User.banned,
    ).outerjoin(t.Team, t.Team.id == t.User.team_id)


def users_page(s: Session, search: str = "", page: int = 1, per_page: int = PER_PAGE) -> Page[UserRow]:
    """Users by name; ``search`` matches part of the name the way lists compare names (NFKC, case
    folded, katakana as hiragana: ``names.by_name``), so "ＡＬＩＣＥ" finds "alice" and "ｶﾀｶﾅ" finds
    "カタカナ". The folding is not SQL: names are sorted here and only one page of rows is loaded."""
    named = _rows(s, select(t.User.id, t.User.name).order_by(t.User.id))
    ids = [row[0] for row in by_name(named, search, name=itemgetter(1))]
    page = _clamp(page, len(ids), per_page)
    chosen = ids[(page - 1) * per_page : page * per_page]
    found = {row[0]: UserRow(*row) for row in _rows(s, _user_select().where(t.User.id.in_(chosen)))}
    return Page([found[i] for i in chosen], page, per_page, len(ids))


def user_row(s: Session, user_id: int) -> UserRow | None:
    row = s.execute(_user_select().where(t.User.id == user_id)).first()
    return UserRow(*row) if row is not None else None


def team_rows(s: Session, search: str = "") -> list[TeamRow]:
    """Every team whose name contains ``search``, by name (``names.by_name``, as ``users_page``)."""
    members = select(t.User.team_id, func.count().label("n")).group_by(t.User.team_id).subquery()
    stmt = (
        select(t.Team.id, t.Team.name, func.coalesce(members.c.n, 0), t.Team.hidden, t.Team.banned)
        .outerjoin(members, members.c.team_id == t.Team.id)
        .order_by(t.Team.id)
    )
    return by_name([TeamRow(*row) for row in _rows(s, stmt)], search)


def team_members(s: Session, team_id: int) -> list[UserRow]:
    stmt = _user_select().where(t.User.team_id == team_id).order_by(t.User.id)
    return [UserRow(*row) for row in _rows(s, stmt)]


def award_rows(s: Session, limit: int = 500) -> list[AwardRow]:
    """Awards granted by admins, newest first. The cost of an unlocked hint is stored as an award
    too; those are left out, as deleting one would quietly refund the hint."""
    stmt = (
        select(
            t.Award.id,
            t.Award.date,
            t.Award.user_id,
            t.User.name,
            t.Award.team_id,
            t.Team.name,
            t.Award.name,
            t.Award.description,
            t.Award.value,
            t.Award.category,
        )
        .outerjoin(t.User, t.User.id == t.Award.user_id)
        .outerjoin(t.Team, t.Team.id == t.Award.team_id)
        .where(~and_(t.Award.category == HINT_COST_CATEGORY, t.Award.description == HINT_COST_DESCRIPTION))
        .order_by(t.Award.date.desc(), t.Award.id.desc())
        .limit(limit)
    )
    return [AwardRow(*row) for row in _rows(s, stmt)]


def submissions_page(
    s: Session,
    challenge_id: int | None = None,
    account_id: int | None = None,
    user_id: int | None = None,
    kind: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[SubmissionRow]:
    """Submissions newest first, optionally only one challenge's, one account's (the team in team
    mode, the user in individual mode), one user's or one kind of result."""
    where = []
    if challenge_id is not None:
        where.append(t.Submission.challenge_id == challenge_id)
    if account_id is not None:
        where.append(t.Submission.account_id == account_id)
    if user_id is not None:
        where.append(t.Submission.user_id == user_id)
    if kind:
        where.append(t.Submission.type == kind)
    total = s.scalar(select(func.count()).select_from(t.Submission).where(*where)) or 0
    page = _clamp(page, total, per_page)
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
            t.Submission.provided,
            t.Submission.type,
            t.Submission.ip,
            t.Submission.late,
        )
        .join(t.User, t.User.id == t.Submission.user_id)
        .join(t.Challenge, t.Challenge.id == t.Submission.challenge_id)
        .outerjoin(team, team.id == t.Submission.team_id)
        .where(*where)
        .order_by(t.Submission.date.desc(), t.Submission.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page([SubmissionRow(*row) for row in _rows(s, stmt)], page, per_page, total)


@dataclass(frozen=True)
class ChallengeParts:
    """A challenge with everything that hangs off it, for its edit page."""

    challenge: t.Challenge
    flags: list[t.Flag]
    hints: list[t.Hint]
    tags: list[t.Tag]
    files: list[t.File]


def challenge_parts(s: Session, challenge_id: int) -> ChallengeParts | None:
    ch = s.get(t.Challenge, challenge_id)
    if ch is None:
        return None

    def of(table: Any) -> list[Any]:
        return list(s.scalars(select(table).where(table.challenge_id == ch.id).order_by(table.id)))

    return ChallengeParts(ch, of(t.Flag), of(t.Hint), of(t.Tag), of(t.File))


def belongs(s: Session, table: Any, row_id: int, challenge_id: int) -> bool:
    """Whether a flag, hint, tag or file row exists and belongs to this challenge (so a crafted form
    cannot change another challenge's parts through this one's page)."""
    row = s.get(table, row_id)
    return row is not None and row.challenge_id == challenge_id


# --- translations -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryNames:
    """A category used by challenges and its display names: ``source`` is the language in which the
    category itself is its display name; ``names`` holds the other languages' names."""

    name: str
    source: str
    names: dict[str, str]


@dataclass(frozen=True)
class TranslationGap:
    """A content item lacking text in some languages: ``missing`` maps each to the fields lacking.
    ``key`` is the row's id (for a category, its name); hints also name their challenge."""

    kind: str  # challenge | hint | category | announcement | page | event
    key: int | str
    label: str
    missing: dict[str, list[str]]
    challenge_id: int | None = None
    challenge_name: str = ""
    number: int = 0  # a hint's position on its challenge, from 1


def _category_names(name: str, row: t.Category | None, source: str) -> CategoryNames:
    if row is not None:
        source = row.locale or source
    text = LocalizedText.of(source, {"name": name}, row.translations if row is not None else None)
    return CategoryNames(name, source, {code: v["name"] for code, v in text.texts.items() if code != source})


def category_names(s: Session, name: str, source: str) -> CategoryNames | None:
    """A category's display names; ``source`` is its own language if it has no row yet. None for
    no category."""
    return _category_names(name, s.get(t.Category, name), source) if name else None


def categories_in_use(s: Session) -> list[CategoryNames]:
    """Every category some challenge has, by name. One without a row belongs to the language of its
    first challenge, as ``services.translations.set_category_names`` will record it."""
    first: dict[str, str] = {}
    stmt = select(t.Challenge.category, t.Challenge.locale).where(t.Challenge.category != "")
    for category, locale in _rows(s, stmt.order_by(t.Challenge.id)):
        first.setdefault(category, locale or "en")
    rows = {row.name: row for row in s.scalars(select(t.Category).where(t.Category.name.in_(first)))}
    return [_category_names(name, rows.get(name), first[name]) for name in sorted(first)]


def _missing(row: Any, names: tuple[str, ...], locales: tuple[str, ...]) -> dict[str, list[str]]:
    text = LocalizedText.of(row.locale or "en", {n: getattr(row, n) for n in names}, row.translations)
    return text.missing(names, locales)


def translation_gaps(s: Session, locales: tuple[str, ...]) -> list[TranslationGap]:
    """Every content item with text in some language but not in each of ``locales``: challenges (in
    board order, each followed by its hints), categories in use, announcements, custom pages and the
    event."""
    out: list[TranslationGap] = []
    hints: dict[int, list[t.Hint]] = {}
    for hint in s.scalars(select(t.Hint).order_by(t.Hint.id)):
        hints.setdefault(hint.challenge_id, []).append(hint)
    for ch in s.scalars(select(t.Challenge).order_by(t.Challenge.position, t.Challenge.id)):
        if missing := _missing(ch, ("name", "description"), locales):
            out.append(TranslationGap("challenge", ch.id, ch.name, missing))
        for number, hint in enumerate(hints.get(ch.id, []), start=1):
            if missing := _missing(hint, ("title", "content"), locales):
                out.append(TranslationGap("hint", hint.id, hint.title, missing, ch.id, ch.name, number))
    for category in categories_in_use(s):
        names = {code: {"name": name} for code, name in category.names.items()}
        text = LocalizedText.of(category.source, {"name": category.name}, names)
        if missing := text.missing(("name",), locales):
            out.append(TranslationGap("category", category.name, category.name, missing))
    for notification in s.scalars(select(t.Notification).order_by(t.Notification.id)):
        if missing := _missing(notification, ("title", "content"), locales):
            out.append(TranslationGap("announcement", notification.id, notification.title, missing))
    for custom in s.scalars(select(t.Page).order_by(t.Page.id)):
        if missing := _missing(custom, ("title", "content"), locales):
            out.append(TranslationGap("page", custom.id, custom.title or custom.route, missing))
    ev = s.get(t.Event, 1)
    if ev is not None and (missing := _missing(ev, ("name", "description"), locales)):
        out.append(TranslationGap("event", ev.id, ev.name, missing))
    return out
