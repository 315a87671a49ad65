"""``/practice``: practice challenges for anyone to read (``services.practice``); signed-in players
answer on the page (the same ``submit_flag`` as the API, Post/Redirect/Get), visitors are asked to
log in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.domain.policy import Action
from kizuna.services import practice, submissions
from kizuna.services.translations import CHALLENGE_TEXT
from kizuna.web.content import localized
from kizuna.web.deps import CtxDep, client_address, optional_principal, verified_form
from kizuna.web.pages import flash
from kizuna.web.pages.player_helpers import login_redirect, see_other, text
from kizuna.web.render import render

router = APIRouter()

Form = dict[str, object]


@router.get("/practice", response_class=HTMLResponse)
def practice_list(request: Request, ctx: CtxDep) -> Response:
    who = optional_principal(request)
    found = practice.practice_list(ctx, who)
    items = [{"item": i, "ctext": localized(i.challenge, CHALLENGE_TEXT)} for i in found.items]
    return render(request, "practice.html", items=items, ended=found.ended, signed_in=who is not None)


def _page(request: Request, ctx: Any, challenge_id: int, status_code: int = 200, **extra: Any) -> Response:
    who = optional_principal(request)
    item, _phase = practice.practice_challenge(ctx, who, challenge_id)
    return render(
        request,
        "practice_challenge.html",
        status_code=status_code,
        item=item,
        challenge=item.challenge,
        ctext=localized(item.challenge, CHALLENGE_TEXT),
        signed_in=who is not None,
        may_play=who is not None and who.can(Action.PLAY),
        here=f"/practice/{challenge_id}",
        files=[
            {
                "name": loc.rsplit("/", 1)[-1],
                "url": request.app.state.file_signer.url(loc, who.user_id if who else None),
            }
            for loc in item.files
        ],
        **{"result": None, **extra},
    )


@router.get("/practice/{challenge_id}", response_class=HTMLResponse)
def practice_challenge(request: Request, ctx: CtxDep, challenge_id: int) -> Response:
    shown = flash.take(request)
    return _page(request, ctx, challenge_id, result=shown.result if shown is not None else None)


@router.post("/practice/{challenge_id}", response_class=HTMLResponse)
def practice_attempt(
    request: Request, ctx: CtxDep, challenge_id: int, form: Form = Depends(verified_form)
) -> Response:
    """An answer from the page; a visitor is sent to log in. The outcome is shown once on the page
    it redirects to (the flag itself is never kept or echoed)."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    here = f"/practice/{challenge_id}"
    practice.practice_challenge(ctx, who, challenge_id)  # the same 404 as the page
    submission = text(form, "submission")
    try:
        if not submission.strip():
            raise DomainError(ErrorCode.FIELD_REQUIRED, field="submission")
        outcome = submissions.submit_flag(ctx, who, challenge_id, submission, ip=client_address(request))
    except NotFound:
        raise
    except DomainError as exc:
        flash.error(request, here, exc)
        return see_other(f"{here}#attempt-result")
    flash.attempt(request, here, outcome.status, outcome.message, **outcome.params)
    answer = see_other(f"{here}#attempt-result")
    if outcome.retry_after is not None:
        answer.headers["Retry-After"] = str(outcome.retry_after)
    return answer
