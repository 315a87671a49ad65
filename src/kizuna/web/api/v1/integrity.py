"""``/integrity`` (Kizuna extension; the policy's ``INTEGRITY_REVIEW``: judges and admins): integrity
signals for judges, newest first, each with its stored evidence (ids and UTC times) and the same
evidence as sentences in the reader's language (``text``); ``POST /integrity/{id}/dismiss`` dismisses
one with an optional note (audited); ``POST /integrity/scan`` looks for new signals at once (a
background job also does every 30 seconds; reading the list never writes).
``/users/{id}/addresses`` (``ROSTER_VIEW``): the addresses an account registered and logged in
from. Signals are never shown to players and never act by themselves."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.policy import Action
from kizuna.services import integrity
from kizuna.services.accounts import Principal
from kizuna.services.event import get_event
from kizuna.storage import integrity_queries
from kizuna.web.api.v1.common import ok, roles, when
from kizuna.web.deps import CtxDep, RosterViewer, require
from kizuna.web.integrity_labels import shown
from kizuna.web.zones import viewer_zone

router = APIRouter(tags=["integrity"])
Reviewer = Annotated[Principal, Depends(require(Action.INTEGRITY_REVIEW))]


def _page(value: str) -> int:
    if not value:
        return 1
    if not (value.isascii() and value.isdigit()) or len(value) > 6 or int(value) < 1:
        raise DomainError(ErrorCode.VALUE_INVALID, field="page")
    return int(value)


@router.get(
    "/integrity", summary=f"Integrity signals for judges, newest first {roles(Action.INTEGRITY_REVIEW)}"
)
def list_signals(
    request: Request,
    ctx: CtxDep,
    who: Reviewer,
    status: Annotated[str, Query(description='"open" (default), "dismissed" or "all"')] = "",
    kind: Annotated[
        str, Query(description='"shared_guess", "other_flag", "shared_address" or "solve_burst"')
    ] = "",
    page: Annotated[str, Query(description="The page, from 1")] = "",
) -> JSONResponse:
    chosen = integrity.parse_status(status)
    wanted = integrity.parse_kind(kind)
    number = _page(page)
    listing = integrity.listing(ctx, chosen, wanted, number)
    texts = {item.id: item for item in shown(listing, viewer_zone(request, get_event(ctx)))}
    data: list[dict[str, Any]] = []
    for row in listing.page.rows:
        item = texts[row.id]
        data.append(
            {
                "id": row.id,
                "kind": row.kind,
                "title": item.title,
                "text": item.lines,
                "evidence": row.evidence,
                "date": when(row.updated_at),
                "created": when(row.created_at),
                "dismissed": row.dismissed_at is not None,
                "dismissed_at": when(row.dismissed_at),
                "dismissed_by": row.dismissed_by,
                "note": row.note or "",
            }
        )
    result = listing.page
    meta = {
        "pagination": {
            "page": result.page,
            "next": result.page + 1 if result.has_next else None,
            "prev": result.page - 1 if result.has_previous else None,
            "pages": result.pages,
            "per_page": result.per_page,
            "total": result.total,
        }
    }
    return ok(data, meta=meta)


@router.post(
    "/integrity/scan",
    summary=f"Look for new integrity signals now (also done every 30 s) {roles(Action.INTEGRITY_REVIEW)}",
)
def scan_signals(ctx: CtxDep, who: Reviewer) -> JSONResponse:
    return ok({"raised": integrity.scan(ctx)})


@router.post(
    "/integrity/{signal_id}/dismiss",
    summary=f"Dismiss an integrity signal, with an optional note (audited) {roles(Action.INTEGRITY_REVIEW)}",
)
def dismiss_signal(
    ctx: CtxDep,
    who: Reviewer,
    signal_id: int,
    payload: Annotated[dict[str, Any] | None, Body()] = None,
) -> JSONResponse:
    note = (payload or {}).get("note", "")
    if not isinstance(note, str):
        raise DomainError(ErrorCode.VALUE_INVALID, field="note")
    integrity.dismiss(ctx, signal_id, note)
    return ok({"id": signal_id, "dismissed": True})


@router.get(
    "/users/{user_id}/addresses",
    summary=f"Addresses an account registered and logged in from {roles(Action.ROSTER_VIEW)}",
)
def user_addresses(ctx: CtxDep, who: RosterViewer, user_id: int) -> JSONResponse:
    rows: list[integrity_queries.AddressRow] = integrity.addresses(ctx, user_id)
    return ok(
        [
            {
                "address": r.address,
                "kind": r.kind,
                "first_seen": when(r.first_seen),
                "last_seen": when(r.last_seen),
                "count": r.count,
            }
            for r in rows
        ]
    )
