"""Log-in and registration throttling, shared by every worker and replica.

Fixed windows counted in the ``rate_buckets`` table (``storage.session_queries.bucket_hit``: one
``INSERT … ON CONFLICT DO UPDATE … RETURNING``, exact under parallel requests on SQLite and
PostgreSQL), or in Redis when ``redis_url`` is set — and in the table again whenever Redis does not
answer, so a Redis outage never lifts the limits.

A request *takes* a hit before the password is checked; when the count is over the limit it is
refused with 429 and ``Retry-After`` (the seconds left in the window) without checking anything, so
fifty parallel guesses get exactly the allowed number evaluated. A log-in that succeeds gives its
hit back (``refund``): the limits count failures, so a venue of players behind one address is not
locked out by its own successful log-ins.

The limits (per window):

- ``LOGIN_PER_ACCOUNT``: 10 failed log-ins per account name per 15 minutes;
- ``LOGIN_PER_ADDRESS``: 100 failed log-ins per client address per 15 minutes
  (``KIZUNA_FAILED_LOGINS_PER_ADDRESS``);
- ``REGISTER_PER_ADDRESS``: 60 new accounts per client address per hour
  (``KIZUNA_REGISTRATIONS_PER_ADDRESS``);
- ``TASK_ANSWERS_PER_USER``: 30 wrong answers to learning-track tasks per user per 5 minutes.

The per-address limits are generous on purpose: at a venue, every player on the Wi-Fi shares one
public address. The per-account limit is what stops guessing one account's password.

The two-factor code step keeps its own per-account counter (``services.two_factor``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.names import name_key
from kizuna.services.context import Context
from kizuna.storage import session_queries as q

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    name: str
    hits: int
    seconds: int
    error: ErrorCode


LOGIN_PER_ACCOUNT = Limit("login:account", 10, 15 * 60, ErrorCode.TOO_MANY_LOGINS)
LOGIN_PER_ADDRESS = Limit("login:address", 100, 15 * 60, ErrorCode.TOO_MANY_LOGINS)
REGISTER_PER_ADDRESS = Limit("register:address", 60, 3600, ErrorCode.TOO_MANY_REGISTRATIONS)
# Learning tracks: wrong answers to a track's own tasks (choice, text, flag) per user (a right answer
# gives its hit back), so a choice or short answer is not found by trying every value.
TASK_ANSWERS_PER_USER = Limit("task:user", 30, 5 * 60, ErrorCode.TOO_MANY_TASK_ANSWERS)
LIMITS = (LOGIN_PER_ACCOUNT, LOGIN_PER_ADDRESS, REGISTER_PER_ADDRESS, TASK_ANSWERS_PER_USER)


class Throttled(DomainError):
    """429: over a limit. ``retry_after`` is the whole seconds until the window ends."""

    def __init__(self, limit: Limit, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(limit.error, status=429, minutes=minutes, retry_after=retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Hit:
    """A hit taken; give it back with ``Throttle.refund``."""

    key: str
    window_start: datetime | None  # the table's window; None when Redis counted it
    backend: str


class Counter(Protocol):
    """Another place to count hits (Redis); raises when it cannot answer."""

    def hit(self, key: str, seconds: int) -> tuple[int, int]:
        """Count a hit: (hits in the window, seconds left in it)."""

    def refund(self, key: str) -> None: ...


def bucket_key(limit: Limit, subject: str) -> str:
    """The counter's key. Subjects are hashed: the table holds no names or addresses in clear, and
    a key stays short whatever was typed."""
    digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"{limit.name}:{digest}"


class Throttle:
    def __init__(
        self,
        ctx: Context,
        counter: Counter | None = None,
        failed_logins_per_address: int | None = None,
        registrations_per_address: int | None = None,
    ) -> None:
        self.ctx = ctx
        self.counter = counter
        self.login_per_address = LOGIN_PER_ADDRESS
        self.register_per_address = REGISTER_PER_ADDRESS
        if failed_logins_per_address is not None:
            self.login_per_address = replace(LOGIN_PER_ADDRESS, hits=failed_logins_per_address)
        if registrations_per_address is not None:
            self.register_per_address = replace(REGISTER_PER_ADDRESS, hits=registrations_per_address)

    def take(self, limit: Limit, subject: str) -> Hit:
        """Count one hit for ``subject``; raise ``Throttled`` when it is over ``limit``."""
        key = bucket_key(limit, subject)
        if self.counter is not None:
            try:
                hits, left = self.counter.hit(key, limit.seconds)
            except Exception:  # Redis down: the table keeps the limit
                log.warning("rate limit counter unavailable; counting in the database", exc_info=True)
            else:
                if hits > limit.hits:
                    raise Throttled(limit, max(1, left))
                return Hit(key, None, "redis")
        now = self.ctx.now().replace(microsecond=0)
        with self.ctx.db.write() as s:
            hits, start = q.bucket_hit(s, key, now, now - timedelta(seconds=limit.seconds))
            if hits == 1:  # a new window: a good moment to drop a bounded batch of ended ones
                q.purge_buckets(s, now - timedelta(seconds=max(x.seconds for x in LIMITS)))
        if hits > limit.hits:
            left = int((start + timedelta(seconds=limit.seconds) - now).total_seconds())
            raise Throttled(limit, max(1, left))
        return Hit(key, start, "table")

    def refund(self, hit: Hit) -> None:
        try:
            if hit.backend == "redis" and self.counter is not None:
                self.counter.refund(hit.key)
            elif hit.window_start is not None:
                with self.ctx.db.write() as s:
                    q.bucket_refund(s, hit.key, hit.window_start)
        except Exception:  # a refund lost costs one count, never the request
            log.warning("could not give a rate-limit hit back", exc_info=True)

    def purge(self) -> int:
        """Delete a bounded batch of windows that ended (the longest window is an hour)."""
        longest = max(limit.seconds for limit in LIMITS)
        with self.ctx.db.write() as s:
            return q.purge_buckets(s, self.ctx.now() - timedelta(seconds=longest))

    # --- the use cases' checks ------------------------------------------------------------------

    def login(self, name: str, address: str) -> list[Hit]:
        """Before checking a password: one hit per account name and per address."""
        hits = [self.take(self.login_per_address, address)]
        try:
            hits.append(self.take(LOGIN_PER_ACCOUNT, name_key(name) or name))
        except Throttled:
            self.refund(hits[0])
            raise
        return hits

    def registration(self, address: str) -> Hit:
        return self.take(self.register_per_address, address)
