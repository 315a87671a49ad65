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
    return create_app(settings, ctx)
