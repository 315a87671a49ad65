"""Database tables (SQLAlchemy 2 declarative). Times are stored as naive UTC.

An *account* is what scores: the team in team mode, the user in individual mode. Rows that belong to
an account (solves, awards, unlocks, submissions) carry ``account_id`` so one unique key enforces
"solved once per team or user" in the database itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    name_key: Mapped[str] = mapped_column(String(128), unique=True)
    invite_code: Mapped[str] = mapped_column(String(64), unique=True)
    captain_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    affiliation: Mapped[str] = mapped_column(String(128), default="")
    country: Mapped[str] = mapped_column(String(8), default="")
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
    country: Mapped[str] = mapped_column(String(8), default="")
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
    type: Mapped[str] = mapped_column(String(32))  # correct | incorrect | already_solved | ratelimited
    # Sent after the event ended: recorded as every attempt is, never scored or counted.
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
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
    # The rule "a correct solve is recorded exactly once per account and challenge" lives here.
    __table_args__ = (UniqueConstraint("challenge_id", "account_id", name="uq_solves_challenge_account"),)


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
