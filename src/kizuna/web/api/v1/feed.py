"""``/feed`` (Kizuna extension): the live activity feed as JSON, for staff allowed
``Action.FEED_VIEW`` (judges, marshals, admins) — the same rows and filters as ``/admin/feed``.

Newest first; ``before`` pages back (the answer's ``meta.before`` is the next page's), ``after``
gives what arrived since a row seen earlier. What a player typed is never included."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.policy import Action
from kizuna.services import activity
from kizuna.services.activity import FeedFilters
from kizuna.storage.activity_queries import FEED_PAGE, MAX_LIMIT, RESULTS, FeedRow
from kizuna.web.api.v1.common import ok, roles, when
from kizuna.web.deps import CtxDep, FeedViewer

router = APIRouter(tags=["feed"])


def _shape(row: FeedRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "date": when(row.date),
        "user": {"id": row.user_id, "name": row.user_name},
        "team": {"id": row.team_id, "name": row.team_name} if row.team_id is not None else None,
        "challenge": {"id": row.challenge_id, "name": row.challenge_name},
        "result": row.result,
        "address": row.address,
        "first_blood": row.blood,  # the solve's rank 1-3 on its challenge, else 0
        "hidden": row.hidden,
        "banned": row.banned,
    }


@router.get(
    "/feed",
    summary="Flag attempts as they happen, newest first, with filters (result: correct, incorrect, "
    f"already_solved, ratelimited; challenge_id; team_id; q: names or address) {roles(Action.FEED_VIEW)}",
)
def feed(
    ctx: CtxDep,
    who: FeedViewer,
    result: str = "",
    challenge_id: int | None = None,
    team_id: int | None = None,
    q: str = Query("", max_length=100),
    before: int | None = Query(None, ge=1),
    after: int | None = Query(None, ge=0),
    limit: int = Query(FEED_PAGE, ge=1, le=MAX_LIMIT),
) -> JSONResponse:
    if result and result not in RESULTS:
        raise DomainError(ErrorCode.VALUE_INVALID, field="result")
    filters = FeedFilters(result or None, challenge_id, team_id, q)
    found = activity.feed(ctx, who, filters, before=before, after=after, limit=limit)
    return ok([_shape(row) for row in found.rows], meta={"before": found.older})
