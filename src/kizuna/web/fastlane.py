"""The fast lane: the requests that come by the thousand at the start whistle, answered without the
framework's per-request machinery.

A request through the full stack passes eight middlewares, FastAPI's route matching over every route
and its dependency solver, and a thread hop, before the handler runs; on a 2-core machine that cost
more than the handlers themselves (issue 9's profile: route matching alone 26 % of a scoreboard
request). This layer sits outermost and answers only these requests, in their ordinary form:

* ``GET``/``HEAD /static/…`` — the files are read once, kept in memory with their ETag, and answered
  (or ``304``) with the same headers the full stack gives;
* ``GET /api/v1/scoreboard`` and ``/api/v1/scoreboard/top/{n}`` from anonymous callers — the
  snapshot's stored bytes (or ``304``);
* ``GET /api/v1/challenges`` and ``POST /api/v1/challenges/attempt`` with an ``Authorization``
  token — the same functions the routes call (``challenge_list``, ``submit_flag``,
  ``attempt_answer``), the same policy and the same checks.

Anything else — a session cookie, a query string, an unusual body, an error before the work starts —
is passed to the full application untouched (a body already read is replayed), which gives the
canonical answer; the fast lane never decides anything the full stack would decide differently.

On a file-backed SQLite database the reads run on the event loop itself when everything they need is
already built (kizuna.storage.hot_reads: ``on_loop``); the first request after a change does the
work on a worker thread, as before. Attempts always run on a worker thread (they write).
``tests/web/test_fastlane.py`` sends the same requests down both paths and compares the answers.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, replace
from email.utils import formatdate
from hashlib import md5
from pathlib import Path
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.i18n import LOCALES, current_display, current_locale, negotiate
from kizuna.storage.hot_reads import NeedsThread, on_loop
from kizuna.storage.uow import ActingAs, acting

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

access_log = logging.getLogger("kizuna.access")
log = logging.getLogger("kizuna.fastlane")
API = "/api/v1"
TOP = f"{API}/scoreboard/top/"
MAX_ATTEMPT_BODY = 16 * 1024  # larger attempt bodies take the full path (and its limits)


@dataclass(frozen=True)
class StaticFile:
    path: Path
    mtime: float
    size: int
    body: bytes
    etag: bytes
    headers: list[tuple[bytes, bytes]]  # the whole answer's, security headers included
    not_modified: list[tuple[bytes, bytes]]  # a 304's


RECHECK_SECONDS = 1.0  # a file changed on disk is served anew within this long


class StaticCache:
    """The files under ``root``, read once with their headers (``extra``: what every answer carries);
    a file changed on disk since is read again (looked at no more than once a second)."""

    def __init__(self, root: Path, extra: list[tuple[bytes, bytes]] | None = None) -> None:
        self.root = root
        self.extra = extra or []
        self.files: dict[str, StaticFile] = {}
        self._checked: dict[str, float] = {}
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                self._load("/" + path.relative_to(root).as_posix(), path)

    def _load(self, name: str, path: Path) -> StaticFile | None:
        try:
            stat = path.stat()
            body = path.read_bytes()
        except OSError:
            self.files.pop(name, None)
            return None
        # Starlette's StaticFiles headers, so both paths answer alike.
        etag = '"' + md5(f"{stat.st_mtime}-{stat.st_size}".encode(), usedforsecurity=False).hexdigest() + '"'
        ctype, _ = mimetypes.guess_type(path.name)
        ctype = ctype or "text/plain"
        if ctype.startswith("text/"):
            ctype += "; charset=utf-8"
        headers = [
            (b"content-type", ctype.encode()),
            (b"accept-ranges", b"bytes"),
            (b"content-length", str(len(body)).encode()),
            (b"last-modified", formatdate(stat.st_mtime, usegmt=True).encode()),
            (b"etag", etag.encode()),
            *self.extra,
        ]
        not_modified = [(b"etag", etag.encode()), *self.extra]
        found = StaticFile(path, stat.st_mtime, stat.st_size, body, etag.encode(), headers, not_modified)
        self.files[name] = found
        self._checked[name] = time.monotonic()
        return found

    def get(self, name: str) -> StaticFile | None:
        found = self.files.get(name)
        if found is None:
            return None
        now = time.monotonic()
        if now - self._checked.get(name, 0.0) < RECHECK_SECONDS:
            return found
        try:
            stat = os.stat(found.path)
        except OSError:
            self.files.pop(name, None)
            return None
        self._checked[name] = now
        if stat.st_mtime != found.mtime or stat.st_size != found.size:
            return self._load(name, found.path)
        return found


class FastLane:
    def __init__(self, app: Any, inner: ASGIApp, static_root: Path) -> None:
        self.app = app  # the FastAPI application (its state: ctx, snapshots, settings)
        self.inner = inner  # its full middleware stack
        self.served: Counter[str] = Counter()  # answers given here, by kind (tests read it)
        from kizuna.web import headers

        self._headers = headers
        https = bool(getattr(app.state.settings, "https", False))
        self._common = headers.common_headers(https)
        # As kizuna.web.headers gives our assets: the common headers and the download policy.
        self.static = StaticCache(
            static_root, [*self._common, (b"content-security-policy", headers.DOWNLOAD_CSP.encode())]
        )
        self._loop_reads = self.app.state.snapshots.hot.reads.loop_capable

    async def _read(self, work: Callable[[], Any]) -> Any:
        """``work()`` on the event loop when it can answer without waiting, else on a worker thread."""
        if self._loop_reads:
            token = on_loop.set(True)
            try:
                result = work()
                self.served["on loop"] += 1
                return result
            except NeedsThread:
                pass
            finally:
                on_loop.reset(token)
        return await run_in_threadpool(work)

    # --- dispatch ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("query_string"):
            method, path = scope["method"], scope["path"]
            handled = False
            started = time.perf_counter()
            try:
                if path.startswith("/static/") and method in ("GET", "HEAD"):
                    handled = await self._static(scope, send, path[len("/static") :], method == "HEAD")
                elif path.startswith(API):
                    if method == "GET" and (path == f"{API}/scoreboard" or path.startswith(TOP)):
                        handled = await self._scoreboard(scope, send, path)
                    elif method == "GET" and path == f"{API}/challenges":
                        handled = await self._challenges(scope, send)
                    elif method == "POST" and path == f"{API}/challenges/attempt":
                        handled, receive = await self._attempt(scope, receive, send)
            except Exception:
                # Nothing was sent and nothing stored (an attempt's own errors are answered inside
                # ``_attempt``): the full stack answers — a 503 for an unreachable database — with
                # the body replayed.
                if "_status" in scope:
                    raise
                handled, receive = False, scope.pop("_replay", receive)
            if handled:
                kind = "static" if path.startswith("/static/") else path.rsplit("/", 1)[-1]
                self.served["top" if path.startswith(TOP) else kind] += 1
                if access_log.isEnabledFor(logging.INFO):
                    access_log.info(
                        "%s %s %s %.1fms",
                        method,
                        path,
                        scope.get("_status", 200),
                        (time.perf_counter() - started) * 1000,
                    )
                return
        await self.inner(scope, receive, send)

    # --- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _header(scope: Scope, name: bytes) -> bytes | None:
        for key, value in scope["headers"]:
            if key == name:
                return bytes(value)
        return None

    def _security(self) -> list[tuple[bytes, bytes]]:
        """What kizuna.web.headers adds to every answer of the full stack."""
        h = self._headers
        return [*self._common, (b"content-security-policy", h.page_csp(h.new_nonce()).encode())]

    async def _send(
        self,
        scope: Scope,
        send: Send,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        head: bool = False,
    ) -> bool:
        scope["_status"] = status
        await send({"type": "http.response.start", "status": status, "headers": headers + self._security()})
        await send({"type": "http.response.body", "body": b"" if head else body})
        return True

    async def _etagged(self, scope: Scope, send: Send, snap: Any) -> bool:
        """As ``common.cached``: the snapshot's body (gzip-encoded when accepted), or 304."""
        accept = self._header(scope, b"accept-encoding")
        body, etag, gzipped = snap.representation(accept.decode("latin-1") if accept else None)
        tag = etag.encode()
        # The answer depends on the cookie too (staff see the live board), as the full path says.
        vary = [(b"vary", b"Accept-Encoding, Cookie" if snap.gzipped else b"Cookie")]
        if self._header(scope, b"if-none-match") == tag:
            return await self._send(scope, send, 304, [(b"etag", tag), *vary], b"")
        headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
            (b"etag", tag),
            (b"cache-control", b"no-cache"),
            *vary,
        ]
        if gzipped:
            headers.append((b"content-encoding", b"gzip"))
        return await self._send(scope, send, 200, headers, body)

    def _anonymous(self, scope: Scope) -> bool:
        return self._header(scope, b"authorization") is None and self._header(scope, b"cookie") is None

    def _token(self, scope: Scope) -> str | None:
        """The API token of a request that carries one and no cookie (cookies take the full path)."""
        if self._header(scope, b"cookie") is not None:
            return None
        auth = self._header(scope, b"authorization")
        if not auth:
            return None
        scheme, _sep, value = auth.decode("latin-1").strip().partition(" ")
        return value or scheme

    def _principal(self, scope: Scope, token: str) -> Any:
        """The token's principal with the client's address, or None (the full path then answers)."""
        try:
            principal = self.app.state.snapshots.hot.principal(token)
        except DomainError:
            return None
        from kizuna.web.client import client_address

        scope.setdefault("app", self.app)
        return replace(principal, address=client_address(Request(scope)))

    def _locale(self, scope: Scope, event: Callable[[], Any]) -> str:
        """As LocaleMiddleware for a request without cookie or query: ``Accept-Language``, else the
        event's default language (``event`` is read only then)."""
        lang = negotiate((self._header(scope, b"accept-language") or b"").decode("latin-1"), default="")
        return lang if lang in LOCALES else (event().default_locale or "en")

    # --- the routes ------------------------------------------------------------------------------

    async def _static(self, scope: Scope, send: Send, name: str, head: bool) -> bool:
        found = self.static.get(name)
        if found is None:
            return False
        match = False
        for key, value in scope["headers"]:
            if key == b"range":
                return False  # Starlette answers ranges
            if key == b"if-none-match" and value == found.etag:
                match = True
        if match:
            scope["_status"] = 304
            await send({"type": "http.response.start", "status": 304, "headers": found.not_modified})
            await send({"type": "http.response.body", "body": b""})
            return True
        scope["_status"] = 200
        await send({"type": "http.response.start", "status": 200, "headers": found.headers})
        await send({"type": "http.response.body", "body": b"" if head else found.body})
        return True

    async def _scoreboard(self, scope: Scope, send: Send, path: str) -> bool:
        if not self._anonymous(scope):
            return False
        snaps = self.app.state.snapshots
        if path.startswith(TOP):
            count_text = path[len(TOP) :]
            if not count_text.isdigit() or len(count_text) > 9:
                return False
            count = min(max(int(count_text), 1), 50)
            snap = await self._read(lambda: snaps.top(count, False))
        else:
            snap = await self._read(lambda: snaps.scoreboard(False))
        return await self._etagged(scope, send, snap)

    async def _challenges(self, scope: Scope, send: Send) -> bool:
        token = self._token(scope)
        if token is None:
            return False

        def work() -> bytes | None:
            from kizuna.web.api.v1.challenges import challenge_list_body

            # Each read takes a pooled connection and gives it back before the next: a read that
            # must load a typed row (a changed token, event or snapshot) opens a session of its own,
            # and holding one connection while waiting for another would let forty threads exhaust
            # a PostgreSQL pool of twenty (measured: 3 req/s behind nginx).
            snaps = self.app.state.snapshots
            principal = self._principal(scope, token)
            if principal is None:
                return None
            state = snaps.state()
            locale_token = current_locale.set(self._locale(scope, lambda: state.event))
            display_token = current_display.set("")
            try:
                return challenge_list_body(self.app.state.ctx, snaps, principal)
            except DomainError:
                return None  # not started, no team…: the full path answers in the caller's language
            finally:
                current_display.reset(display_token)
                current_locale.reset(locale_token)

        body = await self._read(work)
        if body is None:
            return False
        headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
        return await self._send(scope, send, 200, headers, body)

    async def _attempt(self, scope: Scope, receive: Receive, send: Send) -> tuple[bool, Receive]:
        token = self._token(scope)
        ctype = (self._header(scope, b"content-type") or b"").split(b";")[0].strip().lower()
        length = self._header(scope, b"content-length")
        if token is None or ctype != b"application/json" or not length or not length.isdigit():
            return False, receive
        if int(length) > MAX_ATTEMPT_BODY:
            return False, receive
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return False, receive  # the client left; the full path sees the same
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        raw = b"".join(chunks)
        replayed = scope["_replay"] = _replay(raw, receive)
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return False, replayed
        if not isinstance(data, dict):
            return False, replayed
        challenge_id, guess = data.get("challenge_id"), data.get("submission")
        if type(challenge_id) is not int or not 0 < challenge_id < 2**31 or not isinstance(guess, str):
            return False, replayed

        from kizuna.services import submissions
        from kizuna.web.api.v1.challenges import attempt_answer
        from kizuna.web.api.v1.common import FastJSONResponse
        from kizuna.web.errors import domain_error_response, error_json
        from kizuna.web.failures import is_unavailable, unavailable_json
        from kizuna.web.messages import message_for

        snaps = self.app.state.snapshots

        def caller() -> tuple[Any, str] | None:
            principal = self._principal(scope, token)
            return (
                None if principal is None else (principal, self._locale(scope, lambda: snaps.hot.state()[1]))
            )

        # Who and in which language: on the event loop when it can (kizuna.storage.hot_reads), so the
        # gate's few threads do only the attempt itself.
        found = await self._read(caller)
        if found is None:
            return False, replayed
        principal, locale = found

        def work() -> Response:
            locale_token = current_locale.set(locale)
            display_token = current_display.set("")
            box = ActingAs()
            box.actor = principal
            acting_token = acting.set(box)
            try:
                result = submissions.submit_flag(
                    self.app.state.ctx, principal, challenge_id, guess, ip=principal.address
                )
                status, body, extra = attempt_answer(result)
                return FastJSONResponse(body, status_code=status, headers=extra)
            except DomainError as exc:
                # Refused (hidden challenge, event not started…): the answer the full path gives
                # (kizuna.web.errors), in the caller's language. Never retried down the full path: an
                # attempt is submitted once.
                return domain_error_response(exc)
            except Exception as exc:
                if is_unavailable(exc):
                    return unavailable_json()
                log.exception("attempt failed")
                return error_json(500, message_for(DomainError(ErrorCode.SERVER_ERROR)))
            finally:
                acting.reset(acting_token)
                current_display.reset(display_token)
                current_locale.reset(locale_token)

        response = await self.app.state.attempt_gate.run(work)
        # The answer's bytes and headers as the response would send them, plus the security headers.
        await self._send(scope, send, response.status_code, list(response.raw_headers), bytes(response.body))
        return True, replayed


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body already read once, then defers to the real one."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


def install(app: Any, static_root: Path) -> None:
    """Outermost: wraps the whole stack (after the security headers' wrapper)."""
    build = app.build_middleware_stack

    def build_with_fast_lane() -> ASGIApp:
        return FastLane(app, build(), static_root)

    app.build_middleware_stack = build_with_fast_lane
