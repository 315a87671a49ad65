"""``/api/v1``: CTFd-compatible resources, one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from kizuna.web.api.v1 import (
    audit,
    awards,
    brackets,
    challenges,
    event,
    event_control,
    exports,
    feed,
    files,
    flags,
    hints,
    integrity,
    notifications,
    pages,
    recognition,
    reviews,
    scoreboard,
    solutions,
    sponsors,
    submissions,
    tags,
    teams,
    tokens,
    topics,
    users,
    writeups,
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
    brackets,
    users,
    teams,
    tokens,
    awards,
    submissions,
    reviews,
    notifications,
    pages,
    event,
    event_control,
    sponsors,
    audit,
    feed,
    exports,
    writeups,
    integrity,
    recognition,
):
    router.include_router(module.router)
