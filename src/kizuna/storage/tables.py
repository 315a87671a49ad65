"""Database tables (SQLAlchemy 2 declarative). Times are stored as naive UTC.

An *account* is what scores: the team in team mode, the user in individual mode. Rows that belong to
an account (solves, awards, unlocks, submissions) carry ``account_id`` so one unique key enforces
"solved once per team or user" in the database itself.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Event(Base):
    """The event's settings: one row, id 1."""

    __tablename__ = "event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="Kizuna CTF")
    description: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[str] = mapped_column(String(16), default="teams")  # "teams" | "users"
    team_size_limit: Mapped[int] = mapped_column(Integer, default=4)  # 0 = no limit
    start_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    end_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    freeze_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why the event is paused, per language ({"en": …, "ja": …}); shown in the site-wide banner.
    pause_reason: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Roles whose accounts must turn on two-factor authentication before using their rights;
    # None means the default, ["admin"].
    two_factor_roles: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # How many rows the venue screen shows (it never scrolls).
    venue_rows: Mapped[int] = mapped_column(Integer, default=10)
    # The venue screen's colours: "light" or "dark" (high contrast, for a projector in a dark hall).
    venue_theme: Mapped[str] = mapped_column(String(16), default="light")
    # Extra points for the 1st, 2nd and 3rd scoring solve of each challenge; None: no bonus.
    first_blood_bonus: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)
    registration_open: Mapped[bool] = mapped_column(Boolean, default=True)
    email_required: Mapped[bool] = mapped_column(Boolean, default=False)
    default_locale: Mapped[str] = mapped_column(String(16), default="en")
    # Organiser-written text per locale. ``locale`` is the language of the plain columns (name,
    # description); ``translations`` holds the other locales: {"ja": {"name": …, "description": …}}.
    locale: Mapped[str] = mapped_column(String(16), default="en")
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The content fallback order (["en", "ja"]): a text missing in the reader's language is shown in
    # the first of these that has it, marked as the original.
    content_locales: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # The event's home time zones, shown side by side for start, end and countdown.
    time_zones: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # Registration: addresses must be verified by a mailed link before the account may play, and
    # (when set) must belong to one of these domains, e.g. ["example.ac.jp", "cyberwales.org"].
    email_verification: Mapped[bool] = mapped_column(Boolean, default=False)
    email_domains: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class Revision(Base):
    """Counters bumped in the same transaction as any write that changes a read-heavy view.

    Snapshots remember the counter they were built at; a request compares one integer instead of
    recomputing the view. Living in the database, the counters are shared by every worker and replica.
    """

    __tablename__ = "revisions"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Bracket(Base):
    """A division (部門) with its own ranks, in CTFd's shape: ``type`` says whom it groups, ``users``
    (individual mode, or the members' own division) or ``teams`` (team mode). Name and description
    are organiser text: their own ``locale`` and ``translations``, like other content."""

    __tablename__ = "brackets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(16), default="teams")  # "users" | "teams"
    locale: Mapped[str] = mapped_column(String(16), default="en")  # language of name and description
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    name_key: Mapped[str] = mapped_column(String(128), unique=True)
    invite_code: Mapped[str] = mapped_column(String(64), unique=True)
    captain_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    affiliation: Mapped[str] = mapped_column(String(128), default="")
    country: Mapped[str] = mapped_column(String(8), default="")  # ISO 3166-1 alpha-2, "" = none
    bracket_id: Mapped[int | None] = mapped_column(
        ForeignKey("brackets.id", ondelete="SET NULL", name="fk_teams_bracket_id"), nullable=True
    )
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    banned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    members: Mapped[list[User]] = relationship(back_populates="team", order_by="User.id")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    name_key: Mapped[str] = mapped_column(String(128), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True, nullable=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    # "admin" | "judge" | "marshal" | "author" | "player" (kizuna.domain.policy)
    role: Mapped[str] = mapped_column(String(16), default="player")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), nullable=True)
    affiliation: Mapped[str] = mapped_column(String(128), default="")
    country: Mapped[str] = mapped_column(String(8), default="")  # ISO 3166-1 alpha-2, "" = none
    bracket_id: Mapped[int | None] = mapped_column(
        ForeignKey("brackets.id", ondelete="SET NULL", name="fk_users_bracket_id"), nullable=True
    )
    locale: Mapped[str] = mapped_column(String(16), default="")
    display: Mapped[str] = mapped_column(String(16), default="")  # "" (one language) | "both" (日英併記)
    time_zone: Mapped[str] = mapped_column(String(64), default="")  # "" = the browser's / the event's
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    banned: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped on password change or logout-everywhere; sessions carrying an older value are void.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # Two-factor authentication (TOTP, RFC 6238): the base32 secret once confirmed, and the
    # argon2 hashes of the unused recovery codes.
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_recovery: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # The last TOTP time step accepted, so a code cannot be replayed within its window.
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    # The secret being set up, kept here (not in the signed session) until a code confirms it; and
    # the wrong codes counted per account since ``totp_failed_at`` (the login's rate limit).
    totp_pending: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_failures: Mapped[int] = mapped_column(Integer, default=0)
    totp_failed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # When the account proved it reads its e-mail (a verification link); None = not yet.
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    team: Mapped[Team | None] = relationship(back_populates="members")


class Challenge(Base):
    __tablename__ = "challenges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    attribution: Mapped[str] = mapped_column(Text, default="")
    connection_info: Mapped[str | None] = mapped_column(Text, nullable=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
    type: Mapped[str] = mapped_column(String(32), default="standard")
    state: Mapped[str] = mapped_column(String(16), default="visible")  # "visible" | "hidden"
    max_attempts: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    logic: Mapped[str] = mapped_column(String(16), default="any")
    function: Mapped[str] = mapped_column(String(32), default="static")
    initial: Mapped[int | None] = mapped_column(Integer, nullable=True)
    minimum: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decay: Mapped[int | None] = mapped_column(Integer, nullable=True)
    next_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    requirements: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    locale: Mapped[str] = mapped_column(String(16), default="en")  # language of name and description
    # {"ja": {"name": …, "description": …}}; ``hints`` (a list, by hint order) may wait here for hints
    # that ctfcli creates after the challenge.
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Per-challenge schedule (naive UTC): before ``release_at`` players see it as if hidden
    # ("scheduled"); after ``close_at`` it stays visible but refuses attempts ("closed").
    release_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    close_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # A practice challenge is for learning: playable whenever it is visible, solved into
    # ``practice_solves`` and never on the event's board.
    practice: Mapped[bool] = mapped_column(Boolean, default=False)


class Category(Base):
    """Display names of a category in other languages; ``name`` is the category as challenges store it."""

    __tablename__ = "categories"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    locale: Mapped[str] = mapped_column(String(16), default="en")
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Flag(Base):
    __tablename__ = "flags"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(32), default="static")
    content: Mapped[str] = mapped_column(Text)
    data: Mapped[str] = mapped_column(String(64), default="")


class Hint(Base):
    __tablename__ = "hints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(32), default="standard")
    title: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    cost: Mapped[int] = mapped_column(Integer, default=0)
    requirements: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    locale: Mapped[str] = mapped_column(String(16), default="en")  # language of title and content
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(100))


class Topic(Base):
    __tablename__ = "topics"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[str] = mapped_column(String(200), unique=True)


class ChallengeTopic(Base):
    __tablename__ = "challenge_topics"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    topic: Mapped[Topic] = relationship()


class File(Base):
    __tablename__ = "files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(32), default="challenge")
    challenge_id: Mapped[int | None] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), nullable=True, index=True
    )
    location: Mapped[str] = mapped_column(String(300), unique=True)
    sha1sum: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer, default=0)


class Submission(Base):
    """Every attempt, right or wrong, as typed (``provided``), with who, when and from where."""

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), nullable=True)
    account_id: Mapped[int] = mapped_column(Integer)
    ip: Mapped[str] = mapped_column(String(64), default="")
    provided: Mapped[str] = mapped_column(Text)
    # correct | incorrect | already_solved | ratelimited | partial (a flag of a challenge whose logic
    # asks for more) | pending (an answer waiting for a judge: see Review)
    type: Mapped[str] = mapped_column(String(32))
    # Sent after the event ended: recorded as every attempt is, never scored or counted.
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The flag a correct (or partial) answer matched: challenges whose logic is ``all`` or ``team``
    # are solved once the account's answers have matched every flag (or come from every member).
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("flags.id", ondelete="SET NULL"), nullable=True)
    __table_args__ = (
        Index("ix_submissions_account_date", "account_id", "date"),
        Index("ix_submissions_challenge_account", "challenge_id", "account_id"),
    )


class Solve(Base):
    __tablename__ = "solves"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL"), nullable=True
    )
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), nullable=True)
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Points a judge granted for part of an answer; NULL: the challenge's current value (which decays).
    value: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The rule "a correct solve is recorded exactly once per account and challenge" lives here.
    __table_args__ = (UniqueConstraint("challenge_id", "account_id", name="uq_solves_challenge_account"),)


class PracticeSolve(Base):
    """A correct flag recorded as practice (a practice challenge, or any challenge after the event
    ended): once per user and challenge, counted by learning progress and never by the event's board."""

    __tablename__ = "practice_solves"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(Integer)
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("challenge_id", "user_id", name="uq_practice_solves_challenge_user"),)


class Review(Base):
    """An answer to a ``manual`` challenge and a judge's decision on it (審査). ``open_account`` is the
    account while the answer waits (``status`` pending) and NULL once decided: its unique key with the
    challenge allows one waiting answer per account and challenge, however many arrive at once (NULLs
    never conflict, on SQLite as on PostgreSQL). The rejection comment is organiser-written text:
    ``comment`` in ``comment_locale``, other languages in ``comment_translations``."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), unique=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | accepted | rejected
    open_account: Mapped[int | None] = mapped_column(Integer, nullable=True)
    value: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a partial award, when accepted
    comment: Mapped[str] = mapped_column(Text, default="")
    comment_locale: Mapped[str] = mapped_column(String(16), default="en")
    comment_translations: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    judge_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    __table_args__ = (
        UniqueConstraint("challenge_id", "open_account", name="uq_reviews_open"),
        Index("ix_reviews_status_created", "status", "created_at"),
    )


class ReviewFile(Base):
    """The file sent with a manual answer (at most one), kept apart so listing reviews reads no data.
    ``content_type`` is what its first bytes say, never what the browser claimed."""

    __tablename__ = "review_files"
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Award(Base):
    """Points granted (or taken, when negative) by an admin, or the cost of an unlocked hint."""

    __tablename__ = "awards"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), nullable=True)
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(100), default="")
    icon: Mapped[str] = mapped_column(String(64), default="")
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Unlock(Base):
    __tablename__ = "unlocks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), nullable=True)
    account_id: Mapped[int] = mapped_column(Integer)
    target: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(32), default="hints")
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("account_id", "type", "target", name="uq_unlocks_account_target"),)


class Token(Base):
    """API tokens. Only a SHA-256 of the token is stored; the token itself is shown once."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(32), default="user")
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Notification(Base):
    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    locale: Mapped[str] = mapped_column(String(16), default="en")  # language of title and content
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Solution(Base):
    """A challenge's write-up. ``state``: hidden (admins only), visible (everyone who can see the
    challenge) or solved (only accounts that solved it)."""

    __tablename__ = "solutions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), unique=True)
    content: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="hidden")


class Page(Base):
    """A custom page (rules, schedule, venue, FAQ) served at ``/pages/<route>``."""

    __tablename__ = "pages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    route: Mapped[str] = mapped_column(String(128), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(16), default="markdown")
    draft: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)  # not listed in the navigation
    auth_required: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(16), default="en")  # language of title and content
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Sponsor(Base):
    """An organiser, host, sponsor or supporter named on the home page: a name per language (like
    other organiser text), an optional http(s) link, its group and its place in the group."""

    __tablename__ = "sponsors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500), default="")
    group: Mapped[str] = mapped_column(String(16), default="sponsors")  # services.sponsors.GROUPS
    position: Mapped[int] = mapped_column(Integer, default=0)  # order within the group, lowest first
    locale: Mapped[str] = mapped_column(String(16), default="en")  # language of ``name``
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class SponsorLogo(Base):
    """A sponsor's logo: a PNG, JPEG or WebP image (never SVG) checked by its first bytes when stored,
    kept apart from ``sponsors`` so listing them never reads the images."""

    __tablename__ = "sponsor_logos"
    sponsor_id: Mapped[int] = mapped_column(ForeignKey("sponsors.id", ondelete="CASCADE"), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(32))  # image/png, image/jpeg, image/webp
    data: Mapped[bytes] = mapped_column(LargeBinary)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of data: the ETag and the address's version


class EventLog(Base):
    """The stored event log: typed events (type + values, never sentences) appended by the unit of
    work in the same transaction as the write they describe, with increasing ids.

    Streams (``GET /events`` with ``Last-Event-ID``), live pages, first-blood notices and the
    activity feed read this table, so nothing is lost when a process dies between commit and
    publication. ``audience`` says who may receive it before per-viewer rules: ``public``,
    ``staff`` (hidden challenges, the activity feed) or ``account`` (only ``account_id`` and staff).
    ``key`` is set for events that several processes could append for the same happening (a clock
    phase reached by time): its unique index lets only one of them succeed."""

    __tablename__ = "events"
    # Readers of one kind of event (first-blood ticker, activity feed) walk back by type.
    __table_args__ = (Index("ix_events_type_id", "type", "id"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    audience: Mapped[str] = mapped_column(String(16), default="public")
    account_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    key: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntry(Base):
    """One privileged action: who (id, name and role at the time), what, to what, the values before
    and after, when and from which address. The application only ever appends to this table."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    actor_name: Mapped[str] = mapped_column(String(128), default="")
    actor_role: Mapped[str] = mapped_column(String(16), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    address: Mapped[str] = mapped_column(String(64), default="")


class WebSession(Base):
    """A signed-in browser. The session cookie carries a random id; only its SHA-256 is stored here,
    so logging out (or an admin ending someone's sessions) deletes the row and a copied cookie stops
    working at once."""

    __tablename__ = "web_sessions"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")


class AccountAddress(Base):
    """An address an account registered or logged in from, kept for staff (integrity signals:
    accounts of different teams on one address). ``web_sessions`` keeps an address per session but
    its rows go at log-out; this row stays, one per (account, address, kind), with the first and last
    time seen and how often. Only roles allowed ``roster.view`` read it (docs/security.md: retention)."""

    __tablename__ = "account_addresses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # register | login
    first_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    count: Mapped[int] = mapped_column(Integer, default=1)
    __table_args__ = (UniqueConstraint("user_id", "address", "kind", name="uq_account_addresses"),)


class IntegritySignal(Base):
    """A sign for judges that something may be wrong (``services.integrity``): never acted on
    automatically, never shown to players. ``subject`` names what it is about (a guess on a
    challenge, an address, two accounts); ``key`` is the subject plus the evidence's identity, unique,
    so the same evidence is raised once and a dismissed signal is not raised again. ``evidence``
    holds ids and times only (names are read when shown), never a correct flag's text."""

    __tablename__ = "integrity_signals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200), index=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    dismissed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    dismissed_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    note: Mapped[str] = mapped_column(Text, default="")


class IntegrityScan(Base):
    """When the background scan for integrity signals last ran and how long it took
    (``services.integrity.scan_if_due``): one process claims each period with an atomic update, and
    the period grows with the scan's cost, so the scan never takes more than a small share of the
    database's time however large the event."""

    __tablename__ = "integrity_scans"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)


class AccountToken(Base):
    """A single-use, short-lived token mailed to an account: ``purpose`` is ``reset`` (password
    reset) or ``verify`` (e-mail verification). Only a SHA-256 of the token is stored; ``email`` is
    the address it was sent to, so changing the address voids it."""

    __tablename__ = "account_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class RateBucket(Base):
    """A fixed-window counter shared by every process (log-in and registration throttling):
    ``key`` names what is counted (e.g. ``login:addr:203.0.113.5``), ``hits`` how many times since
    ``window_start``."""

    __tablename__ = "rate_buckets"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    hits: Mapped[int] = mapped_column(Integer, default=0)


class Writeup(Base):
    """A player's write-up (解説) of a challenge their account solved (or, after the event, played):
    Markdown in the language it was written in (``locale``), one per account and challenge — the
    team in team mode, sent by any member, the last one to write it in ``user_id``. Judges mark
    prizes (``prize``) with a short comment per language (``comment``: {"en": …, "ja": …}).
    Only the account itself and staff read it."""

    __tablename__ = "writeups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), nullable=True)
    content: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    prize: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("challenge_id", "account_id", name="uq_writeups_challenge_account"),)


class BadgeAward(Base):
    """A badge (バッジ) a user earned (``services.badges``): once per user and badge, however many
    processes evaluate the same events (the unique key; inserts do nothing on conflict). Written by
    the badge job alone, never by a request. ``awarded_at`` is the time of the event that completed
    the badge's condition; ``badge_key`` names a definition (``data/badges.yml`` or the organiser's
    file): an award whose definition was removed is kept but not shown."""

    __tablename__ = "badge_awards"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    badge_key: Mapped[str] = mapped_column(String(64), index=True)
    awarded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("user_id", "badge_key", name="uq_badge_awards_user_badge"),)


class BadgeProgress(Base):
    """What the badge rules know of a user so far (``domain.badges.Progress`` as JSON): the job folds
    each new batch of events into it rather than reading the user's whole history again."""

    __tablename__ = "badge_progress"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class JobCursor(Base):
    """How far a background job has read the event log (``name``: the job, e.g. ``badges``). The
    job locks its row for the length of a batch, so one process evaluates at a time."""

    __tablename__ = "job_cursors"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# --- learning progress statistics (derived from the event log by services.learning_stats) ---------


class LearnerStats(Base):
    """One user's learning totals: XP, level, the run of consecutive active days ending at
    ``last_day`` (counted in ``zone``, the player's zone when it was counted) and the longest run."""

    __tablename__ = "learner_stats"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    xp: Mapped[int] = mapped_column(BigInteger, default=0)
    level: Mapped[int] = mapped_column(Integer, default=1)
    run: Mapped[int] = mapped_column(Integer, default=0)
    longest: Mapped[int] = mapped_column(Integer, default=0)
    last_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    zone: Mapped[str] = mapped_column(String(64), default="UTC")
    activities: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LearnerDay(Base):
    """A user's activity on one day of their own zone: activities counted and XP earned (the
    calendar on the player's page)."""

    __tablename__ = "learner_days"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    xp: Mapped[int] = mapped_column(BigInteger, default=0)


class LearnerXp(Base):
    """A user's XP in one scope (``all``, an ISO week ``W2026-48`` or a month ``M2026-11`` of the
    user's own days) and one track (``""``: everything, solves included): the learning leaderboards.
    ``reached_at`` is when the last XP counted here was earned (earlier breaks a tie)."""

    __tablename__ = "learner_xp"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    track_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    xp: Mapped[int] = mapped_column(BigInteger, default=0)
    reached_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (Index("ix_learner_xp_board", "scope", "track_key", "xp"),)


# --- learning tracks (kizuna.services.tracks) ------------------------------------------------------
# A track is imported from a folder (track.yml + lessons/<id>.<locale>.md + files/); ``key`` is the
# folder's stable id, so re-importing updates rows in place and keeps completions. Texts are JSON per
# locale, ``{locale: {field: text}}``, as challenges' translations are.


class LearningTrack(Base):
    __tablename__ = "learning_tracks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    texts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # title, summary
    category: Mapped[str] = mapped_column(String(32), default="")
    level: Mapped[str] = mapped_column(String(16), default="beginner")
    unlock: Mapped[str] = mapped_column(String(16), default="sequential")  # sequential | graph
    opens_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closes_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LearningModule(Base):
    __tablename__ = "learning_modules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("learning_tracks.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    texts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # title
    requires: Mapped[list[str]] = mapped_column(JSON, default=list)  # module keys (graph unlock)
    opens_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closes_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    __table_args__ = (UniqueConstraint("track_id", "key", name="uq_learning_modules_track_key"),)


class LearningLesson(Base):
    __tablename__ = "learning_lessons"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("learning_tracks.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("learning_modules.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    texts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # title, body (markdown)
    # The video link: {"": url} for one link in every language, else {locale: url}.
    video: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    __table_args__ = (UniqueConstraint("track_id", "key", name="uq_learning_lessons_track_key"),)


class LearningTask(Base):
    """One task. ``solution`` is secret (never shown to players): ``{"index": n}`` for choice,
    ``{"answers": [...], "case_sensitive": bool}`` for text, ``{"flag": "..."}`` for a flag of its
    own; a task referencing an event challenge has ``challenge`` (its name) and no solution."""

    __tablename__ = "learning_tasks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("learning_tracks.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("learning_lessons.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    type: Mapped[str] = mapped_column(String(16))  # choice | text | flag
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    texts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # prompt
    choices: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{locale: text}, ...]
    solution: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    challenge: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    __table_args__ = (UniqueConstraint("track_id", "key", name="uq_learning_tasks_track_key"),)


class LearningFile(Base):
    """An attachment of a track (``files/<name>`` in its folder), linked from lesson markdown."""

    __tablename__ = "learning_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("learning_tracks.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    __table_args__ = (UniqueConstraint("track_id", "name", name="uq_learning_files_track_name"),)


class TaskCompletion(Base):
    """A user's completed task, once (the unique key holds under concurrent answers)."""

    __tablename__ = "learning_task_completions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("learning_tasks.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    answered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("task_id", "user_id", name="uq_learning_completions_task_user"),)


class Certificate(Base):
    """A certificate (修了証) issued to a player: for a completed learning track (``kind`` "track",
    ``subject`` the track's key) or for taking part in the event (``kind`` "event", ``subject``
    "event"); one per user and subject. What it says is kept as issued (``titles`` {locale: text},
    the name printed — the player's choice, by default the account's — in one script (``name``) or
    two (``name_other``, "" for none), the team's, the rank out of ``ranked``), so a later rename
    changes no certificate. ``code`` is random (``domain.certificates``) and is what anyone can verify;
    ``revoked_at`` set by an admin makes it verify as not valid."""

    __tablename__ = "certificates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(128))
    titles: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    name: Mapped[str] = mapped_column(String(128))
    name_other: Mapped[str] = mapped_column(String(128), default="", server_default="")
    team_name: Mapped[str] = mapped_column(String(128), default="", server_default="")
    rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ranked: Mapped[int | None] = mapped_column(Integer, nullable=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    __table_args__ = (
        UniqueConstraint("code", name="uq_certificates_code"),
        UniqueConstraint("user_id", "kind", "subject", name="uq_certificates_user_subject"),
    )


class RecruitingConsent(Base):
    """A player's consent to the recruiter view: the version and a SHA-256 of the consent text as
    shown (both languages), the language it was read in, when it was given and, once withdrawn,
    when. A player has at most one open consent (``withdrawn_at`` NULL); earlier rows stay as the
    record of what was agreed and when."""

    __tablename__ = "recruiting_consents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(16))
    text_digest: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16), default="", server_default="")
    given_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
