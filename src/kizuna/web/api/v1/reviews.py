"""``/reviews`` (judges and admins): the review queue (審査待ち) of answers to judged (``manual``)
challenges, each decision once (``services.reviews``)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.policy import Action
from kizuna.i18n import current_locale
from kizuna.services import reviews
from kizuna.web.api.v1.common import json_request, ok, roles, when
from kizuna.web.deps import CtxDep, Reviewer

router = APIRouter(tags=["reviews"])
Payload = Annotated[dict[str, Any], Body()]


def review_shape(item: reviews.QueueItem) -> dict[str, Any]:
    return {
        "id": item.review_id,
        "challenge_id": item.challenge_id,
        "challenge": {"id": item.challenge_id, "name": item.challenge_name, "value": item.challenge_value},
        "account_id": item.account_id,
        "user_id": item.user_id,
        "submission": item.answer,
        "status": item.status,
        "value": item.value,
        "comment": item.comment,
        "date": when(item.created_at),
        "decided_at": when(item.decided_at) if item.decided_at else None,
        "file": {
            "name": item.file[0],
            "type": item.file[1],
            "size": item.file[2],
            "url": f"/api/v1/reviews/{item.review_id}/file",
        }
        if item.file
        else None,
    }


@router.get(
    "/reviews",
    summary=f"The review queue: answers to judged challenges {roles(Action.SUBMISSION_REVIEW)}",
    description="`status`: `pending` (default; oldest first), `accepted`, `rejected` or `all`.",
)
def list_reviews(ctx: CtxDep, who: Reviewer, status: str = "pending") -> JSONResponse:
    items = reviews.queue(ctx, who, None if status == "all" else status)
    return ok([review_shape(i) for i in items])


@router.post(
    "/reviews/{review_id}",
    summary=f"Accept or reject an answer {roles(Action.SUBMISSION_REVIEW)}",
    description=(
        "`decision`: `accept` or `reject`. `value` (accept only): a partial award, more than 0 and at "
        "most the challenge's value (omitted: the whole value). `comment`: a string (in the judge's "
        'language) or `{"en": …, "ja": …}` with one or both languages. A second decision is refused '
        "with 409."
    ),
    openapi_extra=json_request(
        {"decision": "string", "value": "integer", "comment": "object"}, ("decision",)
    ),
)
async def decide_review(ctx: CtxDep, who: Reviewer, review_id: int, payload: Payload) -> JSONResponse:
    if not isinstance(payload, dict):
        raise DomainError(ErrorCode.VALUE_INVALID, field="")
    locale = current_locale.get() or "en"
    decision = await run_in_threadpool(
        reviews.decide,
        ctx,
        who,
        review_id,
        payload.get("decision"),
        payload.get("value"),
        payload.get("comment"),
        locale,
    )
    return ok(
        {
            "id": decision.review_id,
            "status": decision.status,
            "value": decision.value,
            "solved": decision.solved,
        }
    )


@router.get(
    "/reviews/{review_id}/file",
    summary=f"The file sent with an answer, as an attachment {roles(Action.SUBMISSION_REVIEW)}",
)
def review_file(ctx: CtxDep, who: Reviewer, review_id: int) -> Response:
    found = reviews.review_file(ctx, who, review_id)
    return attachment_response(found.name, found.content_type, found.data)


def attachment_response(name: str, content_type: str, data: bytes) -> Response:
    """A player's file, served so no browser renders it: its sniffed type, ``nosniff``, always a
    download, never cached, and a sandbox should anything still open it."""
    ascii_name = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in name) or "answer"
    return Response(
        data,
        media_type=content_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )
