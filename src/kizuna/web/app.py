"""The web application: pages and ``/api/v1`` over the same services."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from kizuna import __version__
from kizuna.bus import make_bus
from kizuna.challenge_types import ChallengeTypeRegistry
from kizuna.domain.badges import BadgeDefinitionError, Catalogue
from kizuna.domain.integrity import Rules
from kizuna.i18n import BOTH, LOCALES, current_display, current_locale, negotiate
from kizuna.jobs.badges import BadgeWatch
from kizuna.jobs.event_clock import ClockWatch
from kizuna.jobs.integrity_watch import IntegrityWatch
from kizuna.jobs.learning_stats import LearningStatsWatch
from kizuna.services import badges
from kizuna.services.context import Context
from kizuna.services.event import get_event
from kizuna.settings import Settings, SettingsError, xp_rules
from kizuna.storage.db import Database
from kizuna.storage.uow import ActingAs, acting
from kizuna.web import errors, heap
from kizuna.web.attempt_gate import AttemptGate
from kizuna.web.live import LiveHub
from kizuna.web.render import make_environment
from kizuna.web.snapshots import Snapshots
from kizuna.web.zones import CLOCK_COOKIE, clock_of, current_clock

STATIC = Path(__file__).parent / "static"
access_log = logging.getLogger("kizuna.access")
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


class AccessLogMiddleware:
    """One log line per request: method, path, status, time. Never the query string, which can carry
    signed file links, and never headers or bodies (tokens, passwords, flags)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def _send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        # Each request acts as nobody until the principal is known (kizuna.web.deps fills the box).
        box_token = acting.set(ActingAs())
        try:
            await self.app(scope, receive, _send)
        finally:
            acting.reset(box_token)
            access_log.info(
                "%s %s %s %.1fms",
                scope.get("method"),
                scope.get("path"),
                status["code"],
                (time.perf_counter() - started) * 1000,
            )


class LocaleMiddleware:
    """Sets the request's language: ``?lang=`` > the account's choice (kept in the session) >
    the ``lang`` cookie > ``Accept-Language`` > the event's default language; and its display mode
    (one language, or both side by side): ``?display=`` > session > ``display`` cookie."""

    def __init__(self, app: ASGIApp, ctx: Context) -> None:
        self.app = app
        self.ctx = ctx
        self._default = ("en", 0.0)

    def _event_default(self) -> str:
        # The default language is read at most every few seconds; it changes rarely and is harmless stale.
        value, at = self._default
        if time.monotonic() - at > 5:
            try:
                value = get_event(self.ctx).default_locale or "en"
            except Exception:
                # The database is locked or down: keep the last value; the route answers 503 itself.
                return value
            self._default = (value, time.monotonic())
        return value

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # noqa: S110 - a malformed cookie header is ignored, not fatal
            pass
        session = scope.get("session") or {}
        locale = self.resolve(query, session, cookie, headers)
        display = self.display(query, session, cookie)
        state = scope.setdefault("state", {})
        state["locale"], state["display"] = locale, display
        token = current_locale.set(locale)
        display_token = current_display.set(display)
        clock_token = current_clock.set(
            clock_of(cookie[CLOCK_COOKIE].value if CLOCK_COOKIE in cookie else "")
        )
        try:
            await self.app(scope, receive, send)
        finally:
            current_clock.reset(clock_token)
            current_display.reset(display_token)
            current_locale.reset(token)

    def resolve(
        self, query: dict[str, list[str]], session: Any, cookie: SimpleCookie, headers: dict[str, str]
    ) -> str:
        lang = (query.get("lang") or [""])[0]
        if lang in LOCALES:
            return lang
        if session.get("lang") in LOCALES:
            return str(session["lang"])
        if "lang" in cookie and cookie["lang"].value in LOCALES:
            return cookie["lang"].value
        return negotiate(headers.get("accept-language"), default="") or self._event_default()

    @staticmethod
    def display(query: dict[str, list[str]], session: Any, cookie: SimpleCookie) -> str:
        if "display" in query:
            return BOTH if query["display"][0] == BOTH else ""
        if "display" in session:
            return BOTH if session["display"] == BOTH else ""
        return BOTH if "display" in cookie and cookie["display"].value == BOTH else ""


def session_cookie_name(settings: Settings) -> str:
    """``__Host-kizuna_session`` when served over HTTPS, else ``kizuna_session``."""
    return "__Host-kizuna_session" if settings.https else "kizuna_session"


def build_context(settings: Settings, db: Database | None = None) -> Context:
    return Context(
        db=db or Database(settings.resolved_database_url, settings.db_pool_size),
        types=ChallengeTypeRegistry.from_entry_points(),
        bus=make_bus(settings.redis_url),
        attempt_rate_limit=settings.attempt_rate_limit,
        answer_file_bytes=settings.answer_file_bytes,
        team_challenge_factor=settings.team_challenge_attempt_factor,
        team_factor=settings.team_attempt_factor,
        integrity=integrity_rules(settings),
        upload_dir=str(settings.upload_dir),
        badges=badge_catalogue(settings),
        xp=xp_rules(settings),
    )


def badge_catalogue(settings: Settings) -> Catalogue:
    """Kizuna's badges and the organiser's (``KIZUNA_BADGES_FILE``), checked at start-up."""
    try:
        return badges.load_catalogue(settings.badges_file)
    except BadgeDefinitionError as exc:
        raise SettingsError(f"KIZUNA_BADGES_FILE: {exc}") from exc


def integrity_rules(settings: Settings) -> Rules:
    """The integrity signals' thresholds from the settings (``domain.integrity``)."""
    return Rules(
        guess_window=timedelta(seconds=settings.integrity_guess_window),
        common_guess=settings.integrity_common_guess,
        burst_window=timedelta(seconds=settings.integrity_burst_window),
        burst_count=settings.integrity_burst_count,
    )


def create_app(settings: Settings, ctx: Context | None = None) -> FastAPI:
    ctx = ctx or build_context(settings)
    bus = ctx.bus

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Announces the start, freeze and end as the clock reaches them (once across processes).
        clock_watch = ClockWatch(ctx)
        clock_watch.start()
        # The live stream's tailer: one per process (kizuna.web.live).
        await _app.state.live.start()
        # Looks for integrity signals (once per period across processes): serving processes only,
        # so a test's app writes nothing behind its back.
        integrity_watch = IntegrityWatch(ctx) if _app.state.watch_integrity else None
        if integrity_watch is not None:
            integrity_watch.start()
        # Awards badges from the event log (one process at a time): serving processes only.
        badge_watch = BadgeWatch(ctx) if _app.state.watch_badges else None
        if badge_watch is not None:
            badge_watch.start()
        # Derives the learning statistics from the event log (serving processes only, likewise).
        stats_watch = LearningStatsWatch(ctx) if _app.state.watch_learning else None
        if stats_watch is not None:
            stats_watch.start()
        if _app.state.settle_heap:  # serving processes only (kizuna.web.heap)
            heap.settle()
        yield
        if badge_watch is not None:
            await badge_watch.stop()
        if stats_watch is not None:
            await stats_watch.stop()
        if integrity_watch is not None:
            await integrity_watch.stop()
        await _app.state.live.stop()
        await clock_watch.stop()
        bus.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Kizuna",
        version=__version__,
        description="Bilingual CTF platform. `/api/v1` follows CTFd's shapes; authenticate with "
        "`Authorization: Token <token>` or the browser session (plus a `CSRF-Token` header).",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.ctx = ctx
    app.state.settle_heap = False  # kizuna.web.asgi.create turns it on
    app.state.watch_integrity = False  # and this (kizuna.jobs.integrity_watch)
    app.state.watch_badges = False  # and this (kizuna.jobs.badges)
    app.state.watch_learning = False  # and this (kizuna.jobs.learning_stats)
    app.state.templates = make_environment()
    app.state.snapshots = Snapshots(ctx)
    app.state.live = LiveHub(ctx)
    app.state.attempt_gate = AttemptGate.for_database(ctx.db)
    from kizuna.security import FileSigner

    app.state.file_signer = FileSigner(settings.secret_key)
    errors.install(app)

    from kizuna.web.api.v1 import router as api_router
    from kizuna.web.pages import router as pages_router
    from kizuna.web.stream import router as stream_router

    app.include_router(api_router, prefix="/api/v1")
    app.include_router(stream_router)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # Inside the locale middleware, so a 413 or a refused JSON body is answered in the caller's language.
    from kizuna.web.limits import BodyLimitMiddleware

    app.add_middleware(
        BodyLimitMiddleware,
        max_body=settings.max_body_bytes,
        max_upload=settings.max_upload_bytes,
        max_answer=settings.answer_file_bytes,
    )
    app.add_middleware(LocaleMiddleware, ctx=ctx)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        # Over HTTPS the cookie is Secure and ``__Host-``-prefixed (Path=/, no Domain), so neither a
        # plain-HTTP page nor a sibling subdomain can set or overwrite it.
        session_cookie=session_cookie_name(settings),
        same_site="lax",
        https_only=settings.https,
        max_age=14 * 24 * 3600,
    )

    # Database failures (locked, unreachable) answer 503 + Retry-After, from routes and from the
    # middlewares above alike; also serves /readyz (kizuna.web.failures).
    from kizuna.web import failures

    failures.install(app)

    # Outermost, around Starlette's server-error handler too: every answer carries the headers.
    from kizuna.web import headers

    headers.install(app, https=settings.https)

    # Outermost of all: the requests that come by the thousand (static files, the anonymous
    # scoreboard, a token's challenge list and attempts) skip the per-request machinery above
    # (kizuna.web.fastlane); everything else goes through it.
    from kizuna.web import fastlane

    fastlane.install(app, STATIC)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        # Pages name the icon (base.html); this is for clients that ask for the old path anyway.
        return RedirectResponse("/static/kizuna-mark.svg", status_code=301)

    return app
