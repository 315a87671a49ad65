"""Entry point for uvicorn workers: ``uvicorn --factory kizuna.web.asgi:create``."""

from __future__ import annotations

from fastapi import FastAPI

from kizuna.bootstrap import prepare_database
from kizuna.settings import load_settings
from kizuna.web.app import build_context, create_app


def create() -> FastAPI:
    settings = load_settings()
    ctx = build_context(settings)
    prepare_database(ctx.db)
    app = create_app(settings, ctx)
    # A serving process settles its heap once it has started (kizuna.web.heap).
    app.state.settle_heap = True
    # And looks for integrity signals in the background (kizuna.jobs.integrity_watch).
    app.state.watch_integrity = True
    app.state.watch_badges = True
    # And derives the learning statistics from the event log (kizuna.jobs.learning_stats).
    app.state.watch_learning = True
    return app
