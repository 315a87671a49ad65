"""``/api/v1``: CTFd-compatible resources, one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from kizuna.web.api.v1 import (
    audit,
    awards,
    challenges,
    event,
    event_control,
    feed,
    files,
    flags,
    hints,
    integrity,
    notifications,
    pages,
    scoreboard,
    solutions,
    sponsors,
    submissions,
    tags,
    teams,
    tokens,
    topics,
    users,
)

router = APIRouter()
for module in (
    challenges,
    flags,
    hints,
    tags,
    topics,
    files,
    solutions,
    scoreboard,
    users,
    teams,
    tokens,
    awards,
    submissions,
    notifications,
    pages,
    event,
    event_control,
    sponsors,
    audit,
    feed,
    integrity,
):
    router.include_router(module.router)
