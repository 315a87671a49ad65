"""Admin page for integrity signals (judges and admins, ``INTEGRITY_REVIEW``): the review list with
its evidence, newest first, filtered by status and kind; each open item can be dismissed with an
optional note (Post/Redirect/Get; audited). Opening the list only reads; signals are found by a
background job every 30 seconds, or at once with "Look for new signals now" (a POST)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.policy import Action
from kizuna.i18n import gettext
from kizuna.services import integrity
from kizuna.services.event import get_event
from kizuna.web.deps import CtxDep
from kizuna.web.integrity_labels import KIND_FILTERS, STATUS_FILTERS, shown
from kizuna.web.messages import message_for
from kizuna.web.pages.admin_common import Gate, done, not_found, page, page_number, post_gate, text, view_gate
from kizuna.web.zones import viewer_zone

router = APIRouter()
URL = "/admin/integrity"


def _list(
    request: Request, ctx: CtxDep, status: str, kind: str, number: int, error: str = ""
) -> HTMLResponse:
    listing = integrity.listing(ctx, status, kind, number)
    params = {key: value for key, value in (("status", status), ("kind", kind)) if value and value != "open"}
    return page(
        request,
        "admin/integrity.html",
        status_code=400 if error else 200,
        result=listing.page,
        items=shown(listing, viewer_zone(request, get_event(ctx))),
        status=status,
        kind=kind,
        params=params,
        error=error,
        status_options=[(key, gettext(label)) for key, label in STATUS_FILTERS.items()],
        kind_options=[(key, gettext(label)) for key, label in KIND_FILTERS.items()],
    )


@router.get(URL, response_class=HTMLResponse)
def signal_list(
    request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.INTEGRITY_REVIEW))
) -> Response:
    """Unknown filter values are ignored (the whole open list is shown), as on the other lists."""
    if gate.denied:
        return gate.denied
    status = request.query_params.get("status", "")
    kind = request.query_params.get("kind", "")
    status = status if status in STATUS_FILTERS else "open"
    kind = kind if kind in KIND_FILTERS else ""
    return _list(request, ctx, status, kind, page_number(request.query_params.get("page", "")))


@router.post(URL + "/scan", response_class=HTMLResponse)
def scan(request: Request, ctx: CtxDep, gate: Gate = Depends(post_gate(Action.INTEGRITY_REVIEW))) -> Response:
    if gate.denied:
        return gate.denied
    integrity.scan(ctx)
    return done(request, URL, "signals_scanned")


@router.post(URL + "/{signal_id}/dismiss", response_class=HTMLResponse)
def dismiss(
    request: Request,
    ctx: CtxDep,
    signal_id: int,
    gate: Gate = Depends(post_gate(Action.INTEGRITY_REVIEW)),
) -> Response:
    if gate.denied:
        return gate.denied
    try:
        integrity.dismiss(ctx, signal_id, text(gate.form, "note"))
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request)
        if exc.code is ErrorCode.SIGNAL_ALREADY_DISMISSED:
            return done(request, URL, "signal_already_dismissed")
        return _list(request, ctx, "open", "", 1, message_for(exc))
    return done(request, URL, "signal_dismissed")
