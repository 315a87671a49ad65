"""What every hot request needs, without an ORM session when nothing changed.

* :meth:`HotCache.state` — the revision counters and the event's settings. The event row is read
  raw as a fingerprint; the typed ``t.Event`` is loaded through the ORM only when that fingerprint
  differs from the one it was loaded at (a setting changed), so it is never stale.
* :meth:`HotCache.principal` — who an API token belongs to. The token row and its account's row are
  read raw, together, on every request (revoking a token or banning an account takes effect at once,
  in every process); the principal built from them is reused while both rows are unchanged. Expiry
  is checked against the clock every time.
* :meth:`HotCache.solved` — the challenges an account has solved (one indexed read).

Exactly the answers of :func:`kizuna.services.accounts.resolve_token` and of the ORM reads, at a
tenth of the cost (``tests/unit/test_hot_reads.py`` compares them).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kizuna.domain.errors import DomainError, ErrorCode, Forbidden
from kizuna.security import token_digest
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.storage.hot_reads import HotReads, must_not_wait

MAX_TOKENS = 20_000  # cached principals; the cache starts over when it is full


@dataclass(frozen=True)
class _Known:
    fingerprint: tuple[Any, ...]
    principal: Principal
    expires_at: datetime | None
    banned: bool


class HotCache:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.reads = HotReads(ctx.db)
        self._event: tuple[tuple[Any, ...] | None, t.Event | None] = (None, None)
        self._tokens: dict[str, _Known] = {}
        self._lock = threading.Lock()

    def state(self) -> tuple[dict[str, int], t.Event]:
        revisions, fingerprint = self.reads.state()
        known_fp, event = self._event
        if event is None or fingerprint is None or fingerprint != known_fp:
            must_not_wait()
            with self.ctx.db.read() as s:
                event = s.get(t.Event, 1) or repo.event(s)
            if fingerprint is not None:
                with self._lock:
                    self._event = (fingerprint, event)
        return revisions, event

    def principal(self, value: str) -> Principal:
        """As :func:`accounts.resolve_token`: the token's account, or the same errors."""
        digest = token_digest(value.strip())
        fingerprint = self.reads.token(digest)
        if fingerprint is None:
            raise DomainError(ErrorCode.TOKEN_INVALID, status=401)
        known = self._tokens.get(digest)
        if known is None or known.fingerprint != fingerprint:
            # Built from the row just read (typed as a session would), so no second read.
            token, user = self.reads.token_values(fingerprint)
            known = _Known(
                fingerprint, Principal.of(t.User(**user)), token["expires_at"], bool(user["banned"])
            )
            with self._lock:
                if len(self._tokens) >= MAX_TOKENS:
                    self._tokens.clear()
                self._tokens[digest] = known
        if known.expires_at is not None and known.expires_at < self.ctx.now():
            raise DomainError(ErrorCode.TOKEN_EXPIRED, status=401)
        if known.banned:
            raise Forbidden(ErrorCode.ACCOUNT_BANNED)
        return known.principal

    def solved(self, account_id: int | None) -> set[int]:
        return set() if account_id is None else self.reads.solved(account_id)
