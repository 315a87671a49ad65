"""Server-side browser sessions: a signed-in browser is a row of ``web_sessions``.

Logging in makes a random session id; the browser's signed session cookie carries it, and only its
SHA-256 is stored, with the account, an expiry (14 days after logging in, the cookie's own maximum
age), the address and the browser's user agent. Every request that finds an account in its cookie
checks the row (one primary-key query joined to the account): it must exist, not have expired, belong
to the same account, and the account's ``session_version`` must still be the one the cookie carries.
So logging out (the row is deleted) ends the session everywhere, a copied cookie included, and
whatever bumps ``session_version`` (a password change, a ban, a role change, a two-factor reset,
"sign out everywhere") ends every session of the account at once — ``end_all`` also deletes the
rows, so the account page lists only live ones.

``last_seen_at`` is written at most once a minute per session, outside the unit of work: it is
bookkeeping, not a change anyone else sees. Expired rows are purged a bounded batch at a time, at
each log-in.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kizuna.services.context import Context
from kizuna.storage import integrity_queries
from kizuna.storage import session_queries as q
from kizuna.storage import tables as t

log = logging.getLogger(__name__)

MAX_AGE_SECONDS = 14 * 24 * 3600  # also the cookie's max age (web/app.py)
TOUCH_EVERY = timedelta(seconds=60)
MAX_USER_AGENT = 200
MAX_ADDRESS = 64


def digest_of(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start(ctx: Context, user_id: int, address: str = "", user_agent: str = "") -> str:
    """A new session for ``user_id``; returns its id (for the cookie only, never stored)."""
    session_id = secrets.token_urlsafe(32)
    now = ctx.now()
    with ctx.write() as uow:
        s = uow.session
        q.purge_sessions(s, now)
        s.add(
            t.WebSession(
                digest=digest_of(session_id),
                user_id=user_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(seconds=MAX_AGE_SECONDS),
                address=address[:MAX_ADDRESS],
                user_agent=user_agent[:MAX_USER_AGENT],
            )
        )
        # Kept after the session ends, for staff (integrity signals; docs/security.md).
        integrity_queries.record_address(s, user_id, address[:MAX_ADDRESS], "login", now)
    return session_id


def resolve(ctx: Context, session_id: object, user_id: object, version: object) -> t.User | None:
    """The account of a live session, or None (see the module docstring)."""
    if not isinstance(session_id, str) or not session_id or not isinstance(user_id, int):
        return None
    digest = digest_of(session_id)
    with ctx.db.read() as s:
        found = q.session_with_user(s, digest)
    if found is None:
        return None
    row, user = found
    now = ctx.now()
    if row.user_id != user_id or row.expires_at <= now or user.banned or user.session_version != version:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        _touch(ctx, digest, now)
    return user


def _touch(ctx: Context, digest: str, now: datetime) -> None:
    try:
        with ctx.db.write() as s:
            q.touch(s, digest, now)
    except Exception:  # "last seen" is a nicety; a busy database must not fail the request
        log.debug("could not record a session's last use", exc_info=True)


def end(ctx: Context, session_id: object) -> None:
    """Log out: the session's row goes, so its cookie (and any copy of it) stops working."""
    if not isinstance(session_id, str) or not session_id:
        return
    with ctx.write() as uow:
        q.delete_session(uow.session, digest_of(session_id))


def end_all(uow: Any, user: t.User) -> None:
    """Inside a use case's unit of work: end every session of ``user`` (the version bump also closes
    its open live streams, which check it)."""
    user.session_version += 1
    q.delete_user_sessions(uow.session, user.id)


def end_others(ctx: Context, user_id: int, session_id: str) -> int:
    """Sign out everywhere else: every session of the account but this one ends. Returns the
    account's new session version, which this browser's cookie must carry from now on."""
    keep = digest_of(session_id)
    with ctx.write() as uow:
        user = uow.session.get(t.User, user_id)
        if user is None:
            return 0
        user.session_version += 1
        q.delete_user_sessions(uow.session, user_id, keep=keep)
        return user.session_version


@dataclass(frozen=True)
class Browser:
    """A signed-in browser as the account page lists it."""

    digest: str
    created_at: datetime
    last_seen_at: datetime
    address: str
    user_agent: str
    current: bool


def browsers(ctx: Context, user_id: int, session_id: object = None) -> list[Browser]:
    current = digest_of(session_id) if isinstance(session_id, str) and session_id else ""
    with ctx.db.read() as s:
        rows = q.user_sessions(s, user_id, ctx.now())
    return [
        Browser(r.digest, r.created_at, r.last_seen_at, r.address, r.user_agent, r.digest == current)
        for r in rows
    ]
