"""``/api/v1``: CTFd-compatible resources, one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from kizuna.web.api.v1 import challenges, scoreboard

router = APIRouter()
for module in (challenges, scoreboard):
    router.include_router(module.router)
