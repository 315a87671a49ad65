"""The review queue (審査待ち) for judges and admins: answers to judged (``manual``) challenges,
each accepted (whole value or a part) or rejected with a comment in one or both languages
(``services.reviews``). Forms post and redirect; a refused decision is shown on the page again."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError, NotFound
from kizuna.domain.policy import Action
from kizuna.i18n import current_locale, gettext
from kizuna.services import reviews
from kizuna.web.api.v1.reviews import attachment_response
from kizuna.web.deps import CtxDep
from kizuna.web.messages import message_for
from kizuna.web.pages.admin_common import NOTICES, Gate, done, not_found, page, post_gate, text, view_gate
from kizuna.web.render import render

router = APIRouter()
URL = "/admin/reviews"
COMMENT_LOCALES = ("en", "ja")


def status_labels() -> dict[str, str]:
    return {
        "pending": gettext("Pending review"),
        "accepted": gettext("Accepted"),
        "rejected": gettext("Not accepted"),
    }


def _queue_page(
    request: Request, ctx: Any, who: Any, status: str, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    items = reviews.queue(ctx, who, status)
    return page(
        request,
        "admin/reviews.html",
        status_code=status_code,
        items=items,
        status=status,
        status_labels=status_labels(),
        comment_locales=COMMENT_LOCALES,
        **extra,
    )


@router.get("/admin/reviews", response_class=HTMLResponse)
def review_queue(
    request: Request,
    ctx: CtxDep,
    gate: Gate = Depends(view_gate(Action.SUBMISSION_REVIEW)),
    status: str = "pending",
) -> Response:
    if gate.denied:
        return gate.denied
    return _queue_page(request, ctx, gate.staff, status if status in reviews.STATUSES else "pending")


@router.post("/admin/reviews/{review_id}", response_class=HTMLResponse)
def decide(
    request: Request,
    ctx: CtxDep,
    review_id: int,
    gate: Gate = Depends(post_gate(Action.SUBMISSION_REVIEW)),
) -> Response:
    if gate.denied:
        return gate.denied
    form = gate.form
    decision = text(form, "decision")
    comment = {code: text(form, f"comment_{code}") for code in COMMENT_LOCALES}
    value = text(form, "value").strip() or None
    try:
        reviews.decide(
            ctx,
            gate.staff,
            review_id,
            decision,
            value if decision == "accept" else None,
            comment,
            current_locale.get() or "en",
        )
    except NotFound:
        return not_found(request)
    except DomainError as exc:
        if _htmx(request):
            # htmx swaps only 2xx answers: the item again, with the error beside the form.
            return _item(request, ctx, gate, review_id, errors={review_id: message_for(exc)})
        return _queue_page(
            request,
            ctx,
            gate.staff,
            "pending",
            400,
            errors={review_id: message_for(exc)},
            values={review_id: {"value": value or "", **comment}},
        )
    notice = "review_accepted" if decision == "accept" else "review_rejected"
    if _htmx(request):
        return _item(request, ctx, gate, review_id, item_notice=gettext(NOTICES[notice]))
    return done(request, URL, notice)


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _item(request: Request, ctx: Any, gate: Gate, review_id: int, **extra: Any) -> Response:
    """One answer of the queue as a fragment (htmx), after a decision or with its error."""
    found = reviews.queue(ctx, gate.staff, None, review_id=review_id)
    if not found:
        return not_found(request)
    extra.setdefault("errors", {})
    return render(
        request,
        "admin/_review_item.html",
        item=found[0],
        status_labels=status_labels(),
        values={},
        **extra,
    )


@router.get("/admin/reviews/{review_id}/file")
def review_file(
    request: Request,
    ctx: CtxDep,
    review_id: int,
    gate: Gate = Depends(view_gate(Action.SUBMISSION_REVIEW)),
) -> Response:
    if gate.denied:
        return gate.denied
    try:
        found = reviews.review_file(ctx, gate.staff, review_id)
    except NotFound:
        return not_found(request)
    return attachment_response(found.name, found.content_type, found.data)
