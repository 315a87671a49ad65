"""When the database (or Redis) fails: honest answers, and health checks for load balancers.

A database that is locked (SQLite's ``database is locked`` after the busy timeout, a PostgreSQL lock
timeout), unreachable (refused, timed out, connection lost) or out of pooled connections is a
passing condition, not a bug: the API answers ``503`` with ``Retry-After`` and a JSON message in the
caller's language, pages answer a ``503`` page in the reader's language. Such an error can never
become another answer (a flag is never "incorrect" because the database was locked): the services
let it propagate, and these handlers turn it into the 503. Nothing is cached about the failure, so
service resumes by itself with the first request after the database returns (the pool checks a
connection before lending it, ``pool_pre_ping``).

``GET /healthz`` says the process is alive (it touches nothing). ``GET /readyz`` says whether this
process can serve: the database answers, its schema is current, and Redis answers when one is
configured — ``200`` with each check, or ``503`` naming the degraded ones. It never shows addresses,
connection strings or error texts.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.i18n import current_locale, gettext
from kizuna.web.messages import message_for

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means "the database cannot serve right now" (locked, unreachable, pool
    exhausted) rather than a bug or bad input (integrity and data errors stay what they are)."""
    if isinstance(exc, PoolTimeoutError | OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _is_lock(exc: BaseException) -> bool:
    """A lock wait that timed out: the database itself answers, so a full page can be rendered."""
    words = str(getattr(exc, "orig", exc)).lower()
    return "locked" in words or "lock timeout" in words


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path in ("/events", "/readyz", "/healthz")


def _message() -> str:
    return message_for(DomainError(ErrorCode.SERVICE_UNAVAILABLE, seconds=RETRY_AFTER_SECONDS))


def _headers() -> dict[str, str]:
    return {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}


def unavailable_json() -> JSONResponse:
    message = _message()
    return JSONResponse(
        {"success": False, "errors": {"": [message]}, "message": message},
        status_code=503,
        headers=_headers(),
    )


def unavailable_page(request: Request | None, exc: BaseException | None = None) -> Response:
    """The site's own error page when the database still answers reads (a write lock timed out);
    otherwise a small page of its own that needs no database."""
    message = _message()
    if request is not None and exc is not None and _is_lock(exc):
        try:
            from kizuna.web.render import render_error

            response = render_error(request, 503, message)
            response.headers.update(_headers())
            return response
        except Exception:  # noqa: S110 - the page needs the database too; fall back to the plain one
            pass
    title = gettext("Service unavailable")
    body = (
        f'<!doctype html><html lang="{html.escape(current_locale.get())}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body><main><h1>503 · {html.escape(title)}</h1>"
        f'<p role="alert">{html.escape(message)}</p></main></body></html>'
    )
    return HTMLResponse(body, status_code=503, headers=_headers())


def _log(request_path: str, exc: BaseException) -> None:
    # The class only: a driver's message can carry a host name or a statement's values.
    log.warning("database unavailable on %s: %s", request_path, type(exc).__name__)


class UnavailableMiddleware:
    """The same answer for a database failure raised outside the routes (a middleware reading the
    session or the event's default language), which the exception handlers do not see."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def _send(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, _send)
        except Exception as exc:
            if started or not is_unavailable(exc):
                raise
            request = Request(scope)
            _log(request.url.path, exc)
            response = unavailable_json() if _wants_json(request) else unavailable_page(None)
            await response(scope, receive, send)


# --- readiness ---------------------------------------------------------------------------------------

_HEADS: set[str] | None = None


def _script_heads(url: str) -> set[str]:
    global _HEADS
    if _HEADS is None:
        from alembic.script import ScriptDirectory

        from kizuna.storage.migrate import alembic_config

        _HEADS = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    return _HEADS


def readiness(ctx: Any, redis_configured: bool) -> dict[str, str]:
    """Each check's state: ``ok``, or why it is degraded (``unavailable``, ``outdated``)."""
    from alembic.runtime.migration import MigrationContext

    checks: dict[str, str] = {}
    try:
        with ctx.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(conn).get_current_heads())
        checks["database"] = "ok"
        checks["migrations"] = "ok" if current == _script_heads(ctx.db.url) else "outdated"
    except Exception as exc:
        _log("/readyz", exc)
        checks["database"] = "unavailable"
        checks["migrations"] = "unknown"
    if redis_configured:
        ping = getattr(ctx.bus, "ping", None)
        checks["redis"] = "ok" if ping is not None and ping() else "unavailable"
    return checks


def install(app: FastAPI) -> None:
    """Exception handlers for database failures, the outermost safety net, and ``/readyz``."""

    async def _handler(request: Request, exc: Exception) -> Response:
        _log(request.url.path, exc)
        return unavailable_json() if _wants_json(request) else unavailable_page(request, exc)

    for kind in (OperationalError, InterfaceError, PoolTimeoutError):
        app.add_exception_handler(kind, _handler)

    async def _dbapi(request: Request, exc: Exception) -> Response:
        if is_unavailable(exc):
            return await _handler(request, exc)
        raise exc

    app.add_exception_handler(DBAPIError, _dbapi)
    app.add_middleware(UnavailableMiddleware)

    @app.get("/readyz", include_in_schema=False)
    def readyz(request: Request) -> JSONResponse:
        settings = request.app.state.settings
        checks = readiness(request.app.state.ctx, bool(settings.redis_url))
        ready = all(value == "ok" for value in checks.values())
        degraded = sorted(name for name, value in checks.items() if value != "ok")
        body: dict[str, Any] = {"status": "ok" if ready else "degraded", "checks": checks}
        if not ready:
            body["degraded"] = degraded
        return JSONResponse(
            body,
            status_code=200 if ready else 503,
            headers={"Cache-Control": "no-store"}
            | ({} if ready else {"Retry-After": str(RETRY_AFTER_SECONDS)}),
        )
