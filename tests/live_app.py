"""A uvicorn factory for tests that run Kizuna in subprocesses: the real app, with the live stream's
poll interval taken from ``KIZUNA_TEST_LIVE_POLL`` (seconds) when set — a long one proves that
another replica's event arrived because Redis woke this process, not because it polled."""

from __future__ import annotations

import os
from dataclasses import replace

from fastapi import FastAPI

from kizuna.web.asgi import create as create_kizuna


def create() -> FastAPI:
    app = create_kizuna()
    poll = os.environ.get("KIZUNA_TEST_LIVE_POLL")
    if poll:
        app.state.live.settings = replace(app.state.live.settings, poll_seconds=float(poll))
    return app
