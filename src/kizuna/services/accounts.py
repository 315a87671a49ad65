"""Use cases for people: registering, logging in, passwords, API tokens, admin moderation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kizuna.domain.countries import validate_country
from kizuna.domain.errors import DomainError, ErrorCode, Forbidden, NotFound
from kizuna.domain.events import Audience
from kizuna.domain.names import (
    MAX_PASSWORD_LENGTH,
    look_alike,
    name_key,
    validate_display_text,
    validate_email,
    validate_name,
    validate_password,
)
from kizuna.domain.policy import ACCOUNT_ROLES, Action, can, is_staff
from kizuna.domain.zones import validate_time_zone
from kizuna.security import hash_password, new_token, token_digest, verify_password
from kizuna.services import sessions
from kizuna.services.brackets import check_bracket, check_own_choice
from kizuna.services.context import Context
from kizuna.storage import integrity_queries, mail_tokens, name_queries, repo
from kizuna.storage import tables as t
from kizuna.storage.db import SCOREBOARD
from kizuna.storage.uow import current_actor

ROLES = ACCOUNT_ROLES


DISPLAYS = ("", "both")  # one language, or both side by side (日英併記)
# Reading preferences: changing them changes no one else's view, so no snapshot is invalidated.
PREFERENCES = {"locale", "display", "time_zone"}
# What an admin edit records in the audit trail (before and after); never the password hash.
AUDITED_FIELDS = ("name", "email", "role", "hidden", "banned", "affiliation", "country", "bracket_id")


@dataclass(frozen=True)
class Principal:
    """Who is acting: enough to authorise a request without another query."""

    user_id: int
    name: str
    role: str
    team_id: int | None
    session_version: int = 1
    locale: str = ""
    time_zone: str = ""  # the account's chosen zone; "" = the browser's, else the event's
    address: str = ""  # the client's address, for the audit trail (set by the web layer)
    # Whether the account proved it reads its e-mail (a verification link). Only events with
    # ``email_verification`` on ask for it before playing (``ensure_may_play``).
    email_verified: bool = True

    # No ``is_admin``: what a role may do is the policy's to say (``can``), never a role name's.

    @property
    def is_staff(self) -> bool:
        return is_staff(self.role)

    def can(self, action: Action | str) -> bool:
        """The one permission policy (``kizuna.domain.policy``)."""
        return can(self.role, action)

    @classmethod
    def of(cls, user: t.User) -> Principal:
        return cls(
            user.id,
            user.name,
            user.role,
            user.team_id,
            user.session_version,
            user.locale,
            user.time_zone or "",
            email_verified=user.email_verified_at is not None,
        )


def must_verify(ev: t.Event, user: t.User | Principal) -> bool:
    """Must this account verify its e-mail address before playing? Only when the event asks
    (``Event.email_verification``) and only players: staff do not play."""
    verified = user.email_verified if isinstance(user, Principal) else user.email_verified_at is not None
    return bool(ev.email_verification) and not verified and user.role == "player"


def ensure_may_play(ev: t.Event, user: t.User | Principal) -> None:
    """Playing (flags, hints, joining or making a team) waits for a verified address when the event
    asks for one: 403 ``EMAIL_UNVERIFIED`` (the pages and the API say "verify your e-mail")."""
    if must_verify(ev, user):
        raise Forbidden(ErrorCode.EMAIL_UNVERIFIED)


def account_id(mode: str, user_id: int, team_id: int | None) -> int | None:
    """The scoring account: the team in team mode, the user in individual mode."""
    return team_id if mode == "teams" else user_id


def player_account(s: Any, ev: t.Event, user_id: int) -> tuple[t.User, int]:
    """The user who plays now and the account they score for, or the refusal a player expects: not
    logged in (401), e-mail not verified, no team in team mode, banned (their team too) — 403."""
    user = s.get(t.User, user_id)
    if user is None:
        raise DomainError(ErrorCode.AUTH_REQUIRED, status=401)
    ensure_may_play(ev, user)  # a verified address first, when the event asks
    acct = account_id(ev.mode, user.id, user.team_id)
    if acct is None:
        raise Forbidden(ErrorCode.TEAM_REQUIRED)
    if user.banned or (ev.mode == "teams" and user.team is not None and user.team.banned):
        raise Forbidden(ErrorCode.ACCOUNT_BANNED)
    return user, acct


def register_user(
    ctx: Context,
    name: str,
    password: str,
    email: str | None = None,
    role: str = "player",
    by_admin: bool = False,
    affiliation: str = "",
    country: str = "",
    bracket_id: object = None,
    address: str = "",
) -> t.User:
    """A new account. ``country`` is an ISO 3166-1 alpha-2 code (or ""); ``bracket_id`` a bracket of
    type ``users`` (or None); ``address``: where a player registered from, kept for staff (integrity
    signals)."""
    clean = validate_name(name)
    country = validate_country(validate_display_text(country, "country"))
    validate_password(password)
    if role not in ROLES:
        raise DomainError(ErrorCode.VALUE_INVALID, field="type")
    # Hashing takes ~0.1 s on purpose; do it before taking the database's write lock.
    password_hash = hash_password(password)
    with ctx.write() as uow:
        s = uow.session
        ev = repo.event(s)
        if not by_admin and not ev.registration_open:
            raise Forbidden(ErrorCode.REGISTRATION_CLOSED)
        mail = validate_email(email) if email else None
        if ev.email_required and not mail and not by_admin:
            raise DomainError(ErrorCode.EMAIL_REQUIRED, field="email")
        if repo.user_by_name_key(s, name_key(clean)):
            raise DomainError(ErrorCode.NAME_TAKEN, field="name")
        refuse_look_alike(clean, name_queries.user_names(s))
        if mail and repo.user_by_email(s, mail):
            raise DomainError(ErrorCode.EMAIL_TAKEN, field="email")
        user = t.User(
            name=clean,
            name_key=name_key(clean),
            email=mail,
            password_hash=password_hash,
            role=role,
            affiliation=validate_display_text(affiliation, "affiliation")[:128],
            country=country,
            bracket_id=check_bracket(s, bracket_id, "users"),
            # An account an admin (or the command line) makes is vouched for, with or without an
            # address; a player's own registration waits for its link when the event asks.
            email_verified_at=ctx.now() if by_admin else None,
        )
        s.add(user)
        try:
            s.flush()
        except repo.IntegrityError:
            # Two registrations raced for the same name: the unique key decided.
            raise DomainError(ErrorCode.NAME_TAKEN, field="name") from None
        if address:
            integrity_queries.record_address(s, user.id, address, "register", ctx.now())
        if ev.mode == "users":
            uow.bump(SCOREBOARD)
        uow.emit("account_changed", {"account_id": user.id}, audience=Audience.STAFF)
        if by_admin:
            uow.audit(None, "account.created", "user", user.id, after={"name": clean, "role": role})
    return user


def refuse_look_alike(name: str, others: list[str], field: str = "name") -> None:
    """Refuse a name that looks the same as one of ``others`` (same confusables skeleton,
    ``domain.names.look_alike``): "Cybеr Wales" with a Cyrillic е next to "Cyber Wales". The
    message does not say which name it looks like (it may be a hidden account's)."""
    if look_alike(name, others) is not None:
        raise DomainError(ErrorCode.NAME_LOOKS_LIKE, field=field)


def authenticate(ctx: Context, name_or_email: str, password: str) -> t.User:
    """The user whose name (or email) and password match; the same error whichever part is wrong."""
    with ctx.db.read() as s:
        ident = name_or_email.strip()
        if len(password) > MAX_PASSWORD_LENGTH or len(ident) > 320:
            # No password is that long: answered without hashing a megabyte.
            raise DomainError(ErrorCode.INVALID_CREDENTIALS, field="password", status=401)
        user = repo.user_by_email(s, ident) if "@" in ident else None
        user = user or repo.user_by_name_key(s, name_key(ident))
        # verify_password checks a dummy hash when there is no user, so timing does not leak names.
        ok = verify_password(user.password_hash if user else None, password)
        if user is None or not ok:
            raise DomainError(ErrorCode.INVALID_CREDENTIALS, field="password", status=401)
        if user.banned:
            raise Forbidden(ErrorCode.ACCOUNT_BANNED)
        return user


def change_password(ctx: Context, user_id: int, current: str, new: str) -> t.User:
    validate_password(new, field="new_password")
    # Both argon2 operations run outside the write transaction, so they never hold the lock.
    with ctx.db.read() as s:
        found = s.get(t.User, user_id)
    if found is None:
        raise NotFound()
    if not verify_password(found.password_hash, current):
        raise DomainError(ErrorCode.PASSWORD_WRONG, field="password")
    new_hash = hash_password(new)
    with ctx.write() as uow:
        s = uow.session
        user = s.get(t.User, user_id)
        if user is None:
            raise NotFound()
        user.password_hash = new_hash
        # Every session of this user ends (copies of its cookies too); the caller re-issues its own.
        sessions.end_all(uow, user)
        return user


def update_user(ctx: Context, user_id: int, changes: Mapping[str, object], own: bool = False) -> t.User:
    """Admin edit of a user: name, email, password, hidden, banned, affiliation, country (an ISO
    3166-1 alpha-2 code), bracket_id (a bracket of type ``users``; ``own``: the user's own edit, which
    may choose a bracket only while they have none). A role is
    changed only through ``services.moderation.change_role`` (admins, audited as a role change), so
    ``role`` and CTFd's ``type`` are refused here."""
    new_hash = None
    if changes.get("password"):
        validate_password(str(changes["password"]))
        new_hash = hash_password(str(changes["password"]))
    with ctx.write() as uow:
        s = uow.session
        user = s.get(t.User, user_id)
        if user is None:
            raise NotFound()
        before = {key: getattr(user, key) for key in AUDITED_FIELDS}
        if "name" in changes:
            clean = validate_name(str(changes["name"]))
            other = repo.user_by_name_key(s, name_key(clean))
            if other is not None and other.id != user.id:
                raise DomainError(ErrorCode.NAME_TAKEN, field="name")
            refuse_look_alike(clean, name_queries.user_names(s, except_id=user.id))
            user.name, user.name_key = clean, name_key(clean)
        if "email" in changes:
            raw = changes["email"]
            mail = validate_email(str(raw)) if raw else None
            other = repo.user_by_email(s, mail) if mail else None
            if other is not None and other.id != user.id:
                raise DomainError(ErrorCode.EMAIL_TAKEN, field="email")
            if (mail or "").casefold() != (user.email or "").casefold():
                # A new address must be verified again; links mailed to the old one stop working.
                user.email_verified_at = None
                mail_tokens.void_tokens(s, user.id, "verify", ctx.now())
            user.email = mail
        if new_hash is not None:
            user.password_hash = new_hash
            sessions.end_all(uow, user)
        for key in ("role", "type"):
            if key in changes:
                raise DomainError(ErrorCode.VALUE_INVALID, field=key)
        for flag in ("hidden", "banned"):
            if flag in changes:
                setattr(user, flag, bool(changes[flag]))
        if changes.get("banned"):
            sessions.end_all(uow, user)  # a ban ends the user's sessions at once
        for text, limit in (("affiliation", 128), ("locale", 16)):
            if text in changes:
                setattr(user, text, validate_display_text(str(changes[text] or ""), text)[:limit])
        if "country" in changes:
            raw = validate_display_text(str(changes["country"] or ""), "country")
            user.country = validate_country(raw)
        if "bracket_id" in changes:
            chosen = check_bracket(s, changes["bracket_id"], "users")
            if own:
                check_own_choice(user.bracket_id, chosen)
            user.bracket_id = chosen
        if "time_zone" in changes:
            zone = changes["time_zone"] or ""
            user.time_zone = validate_time_zone(zone) if zone else ""
        if "display" in changes:
            if changes["display"] not in DISPLAYS:
                raise DomainError(ErrorCode.VALUE_INVALID, field="display")
            user.display = changes["display"]
        if set(changes) - PREFERENCES:
            uow.bump(SCOREBOARD)
            uow.emit("account_changed", {"account_id": user.id}, audience=Audience.STAFF)
            after = {key: getattr(user, key) for key in AUDITED_FIELDS}
            old = {k: v for k, v in before.items() if after[k] != v}
            new = {k: after[k] for k in old}
            if new_hash is not None:
                old["password"], new["password"] = "", "changed"  # never the password itself
            if "hidden" in new:
                uow.emit(
                    "account_hidden",
                    {"account_id": user.id, "kind": "user", "hidden": user.hidden},
                    audience=Audience.STAFF,
                )
            if new:
                uow.audit(None, "account.updated", "user", user.id, before=old, after=new)
    return user


def delete_user(ctx: Context, user_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        user = s.get(t.User, user_id)
        if user is None:
            raise NotFound()
        team = s.get(t.Team, user.team_id) if user.team_id else None
        if team is not None and team.captain_id == user.id:
            others = [m for m in team.members if m.id != user.id]
            team.captain_id = others[0].id if others else None
        uow.audit(None, "account.deleted", "user", user.id, before={"name": user.name, "role": user.role})
        s.delete(user)
        uow.bump(SCOREBOARD)
        uow.emit("account_changed", {"account_id": user_id}, audience=Audience.STAFF)


# --- API tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: t.Token
    value: str  # shown once, never stored


def create_token(
    ctx: Context, user_id: int, description: str = "", expires_in_days: int | None = None
) -> IssuedToken:
    value = new_token()
    with ctx.write() as uow:
        s = uow.session
        if s.get(t.User, user_id) is None:
            raise NotFound()
        expires = ctx.now() + timedelta(days=expires_in_days) if expires_in_days else None
        token = t.Token(
            user_id=user_id,
            digest=token_digest(value),
            prefix=value[:12],
            description=description[:200],
            expires_at=expires,
        )
        s.add(token)
        s.flush()
        actor = current_actor()
        if actor is None or actor.user_id != user_id:
            # Made for someone else (by an admin, or by the command line): audited, value left out.
            uow.audit(actor, "token.created", "token", token.id, after=_token_values(token))
    return IssuedToken(token, value)


def resolve_token(ctx: Context, value: str) -> t.User:
    with ctx.db.read() as s:
        token = repo.token_by_digest(s, token_digest(value.strip()))
        if token is None:
            raise DomainError(ErrorCode.TOKEN_INVALID, status=401)
        if token.expires_at is not None and token.expires_at < ctx.now():
            raise DomainError(ErrorCode.TOKEN_EXPIRED, status=401)
        user = s.get(t.User, token.user_id)
        if user is None:
            raise DomainError(ErrorCode.TOKEN_INVALID, status=401)
        if user.banned:
            raise Forbidden(ErrorCode.ACCOUNT_BANNED)
        return user


def delete_token(ctx: Context, token_id: int, actor: Principal) -> None:
    with ctx.write() as uow:
        s = uow.session
        token = s.get(t.Token, token_id)
        if token is None or (token.user_id != actor.user_id and not actor.can(Action.TOKEN_MANAGE)):
            raise NotFound()
        if token.user_id != actor.user_id:
            uow.audit(actor, "token.deleted", "token", token.id, before=_token_values(token))
        s.delete(token)


def _token_values(token: t.Token) -> dict[str, object]:
    """A token as the audit trail records it: whose it is, never its value or digest."""
    return {"user_id": token.user_id, "description": token.description, "expires_at": token.expires_at}


def token_expiry(days: int | None, now: datetime) -> datetime | None:
    return now + timedelta(days=days) if days else None
