"""``/api/v1``: CTFd-compatible resources, one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from kizuna.web.api.v1 import challenges, files, flags, hints, scoreboard, solutions, tags, topics

router = APIRouter()
for module in (challenges, flags, hints, tags, topics, files, solutions, scoreboard):
    router.include_router(module.router)
