"""Shapes shared by ``/users`` and ``/teams``: solves, fails and awards (read through
``services.board``, which applies who may see what), pagination and the ``?q=&field=`` search."""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.names import matches
from kizuna.services import board
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.services.event import get_event
from kizuna.storage import tables as t
from kizuna.web.api.v1.common import when
from kizuna.web.content import content_order, resolve

PER_PAGE = 50
SEARCH_FIELDS = ("name", "affiliation", "country")


def _pagination(page: int, total: int) -> tuple[int, dict[str, Any]]:
    """The page clamped to the existing ones, and CTFd's ``meta.pagination``."""
    pages = max(math.ceil(total / PER_PAGE), 1)
    page = min(max(page, 1), pages)
    meta = {
        "pagination": {
            "page": page,
            "next": page + 1 if page < pages else None,
            "prev": page - 1 if page > 1 else None,
            "pages": pages,
            "per_page": PER_PAGE,
            "total": total,
        }
    }
    return page, meta


def paginate(query: Any, page: int) -> tuple[list[Any], dict[str, Any]]:
    page, meta = _pagination(page, query.count())
    return query.offset((page - 1) * PER_PAGE).limit(PER_PAGE).all(), meta


def paginate_search(
    query: Any, model: Any, field: str, q: str, page: int
) -> tuple[list[Any], dict[str, Any]]:
    """Like ``paginate``, keeping the rows whose ``field`` contains ``q`` as lists compare names
    (``names.matches``: NFKC, case folded, katakana as hiragana), so ｶﾀｶﾅ or かたかな finds カタカナ.
    The folding is not SQL, so the ids are matched here and only one page of rows is loaded."""
    pairs = query.with_entities(model.id, getattr(model, field))
    ids = [row_id for row_id, value in pairs if matches(q, value or "")]
    page, meta = _pagination(page, len(ids))
    chosen = ids[(page - 1) * PER_PAGE : page * PER_PAGE]
    return (query.filter(model.id.in_(chosen)).all() if chosen else []), meta


def search_field(field: str, admin: bool) -> str:
    """The column ``?field=`` names: CTFd's public ones, and ``email`` for admins."""
    if field not in SEARCH_FIELDS and not (admin and field == "email"):
        raise DomainError(ErrorCode.VALUE_INVALID, field="field")
    return field


def place_and_score(request: Request, account_id: int, live: bool) -> tuple[int | None, int | None]:
    for row in request.app.state.snapshots.scoreboard(live=live).data:
        if row["account_id"] == account_id:
            return row["pos"], row["score"]
    return None, None


def solve_shape(sv: board.SolveView, order: list[str]) -> dict[str, Any]:
    """CTFd's solve, the challenge named in the caller's language as in the challenge list."""
    return {
        "id": sv.id,
        "challenge_id": sv.challenge_id,
        "type": "correct",
        "date": when(sv.date),
        "user": sv.user_id,
        "team": sv.team_id,
        "challenge": {
            "id": sv.challenge_id,
            "name": resolve(sv.text, "name", order),
            "category": resolve(sv.category_text, "name", order),
            "value": sv.value,
        },
    }


def solves(
    ctx: Context, who: Principal | None, owner: board.Owner, ident: int, cutoff: Any
) -> list[dict[str, Any]]:
    order = content_order(get_event(ctx))
    return [solve_shape(sv, order) for sv in board.account_solves(ctx, who, owner, ident, cutoff)]


def fails(
    ctx: Context, who: Principal | None, owner: board.Owner, ident: int, full: bool
) -> tuple[list[dict[str, Any]], int]:
    found = board.account_fails(ctx, who, owner, ident, full)
    rows = [
        {
            "id": x.id,
            "challenge_id": x.challenge_id,
            "type": x.type,
            "date": when(x.date),
            "user": x.user_id,
            "team": x.team_id,
        }
        for x in found.rows
    ]
    return rows, found.count


def awards(ctx: Context, owner: board.Owner, ident: int, cutoff: Any) -> list[dict[str, Any]]:
    return [award_shape(a) for a in board.account_awards(ctx, owner, ident, cutoff)]


def award_shape(a: t.Award | board.AwardView) -> dict[str, Any]:
    return {
        "id": a.id,
        "user_id": a.user_id,
        "team_id": a.team_id,
        "user": a.user_id,
        "team": a.team_id,
        "name": a.name,
        "description": a.description,
        "value": a.value,
        "category": a.category,
        "icon": a.icon,
        "date": when(a.date),
    }
