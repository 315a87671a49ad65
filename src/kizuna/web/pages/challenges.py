"""The challenge board, one challenge (flag form, hints, files, solvers), attempts and hint unlocks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.clock import Phase
from kizuna.domain.errors import DomainError, ErrorCode, Forbidden, NotFound
from kizuna.domain.policy import Action
from kizuna.i18n import gettext
from kizuna.services import board, hints, submissions
from kizuna.services.accounts import Principal
from kizuna.services.event import clock_of, time_zones
from kizuna.services.translations import CHALLENGE_TEXT
from kizuna.web.content import localized
from kizuna.web.deps import CtxDep, client_address, optional_principal, verified_form
from kizuna.web.messages import attempt_message, message_for
from kizuna.web.pages import flash
from kizuna.web.pages.player_helpers import login_redirect, see_other, text
from kizuna.web.render import render, render_error
from kizuna.web.zones import in_zones

router = APIRouter()

Form = dict[str, object]
PHASE_NOTICES = {Phase.PAUSED: ErrorCode.EVENT_PAUSED, Phase.ENDED: ErrorCode.EVENT_ENDED}


def _phase_notice(phase: Phase) -> str:
    code = PHASE_NOTICES.get(phase)
    return message_for(DomainError(code)) if code else ""


@router.get("/challenges", response_class=HTMLResponse)
def challenge_board(request: Request, ctx: CtxDep) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    snaps = request.app.state.snapshots
    state = snaps.state()
    ev = state.event
    phase = clock_of(ev).phase(ctx.now())
    page: dict[str, Any] = {"groups": [], "not_started": False, "team_required": False}
    view_all = who.can(Action.CHALLENGE_VIEW_ALL)
    if phase is Phase.NOT_STARTED and not view_all:
        page.update(not_started=True, start_times=in_zones(ev.start_at, time_zones(ev)))
        return render(request, "challenges.html", **page)
    try:
        acct = board.viewer_account(ev.mode, who)
    except DomainError:
        page.update(team_required=True)
        return render(request, "challenges.html", **page)
    rows = snaps.challenges(live=who.can(Action.SCOREBOARD_LIVE), state=state).data
    entries = board.board_entries(rows, board.solved_ids(ctx, acct), view_all)
    page.update(groups=board.by_category(entries), notice=_phase_notice(phase))
    return render(request, "challenges.html", **page)


def _challenge_page(
    request: Request, who: Principal, challenge_id: int, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    ctx = request.app.state.ctx
    snaps = request.app.state.snapshots
    state = snaps.state()
    ev = state.event
    board.ensure_started(ctx, who, ev)
    view = board.challenge_view(ctx, who, challenge_id, ev.mode)
    live = who.can(Action.SCOREBOARD_LIVE)
    cutoff = None if live else state.cutoff
    counts = {r["id"]: r["solves"] for r in snaps.challenges(live=live, state=state).data}
    signer = request.app.state.file_signer
    files = [
        {
            "name": f.location.rsplit("/", 1)[-1],
            "url": signer.url(f.location, who.user_id),
            "size": f.size,
        }
        for f in view.files
    ]
    context: dict[str, Any] = {
        "view": view,
        "challenge": view.challenge,
        "ctext": localized(view.challenge, CHALLENGE_TEXT),
        "solve_count": counts.get(challenge_id, 0),
        "files": files,
        "solvers": board.solvers(ctx, challenge_id, ev.mode, cutoff, limit=board.SOLVER_LIMIT),
        "account_kind": "teams" if ev.mode == "teams" else "users",
        "notice": _phase_notice(clock_of(ev).phase(ctx.now())),
        "result": None,
        "hint_message": None,
        "here": f"/challenges/{challenge_id}",
    }
    context.update(extra)
    return render(request, "challenge.html", status_code=status_code, **context)


@router.get("/challenges/{challenge_id}", response_class=HTMLResponse)
def challenge_page(request: Request, challenge_id: int) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    extra: dict[str, Any] = {}
    shown = flash.take(request)
    if shown is not None:
        # A message about one hint sits next to it; any other in the attempt result area.
        extra["hint_message" if shown.target else "result"] = shown.result
    return _challenge_page(request, who, challenge_id, **extra)


def _htmx(request: Request) -> bool:
    """htmx swaps a fragment in place; there is no page to reload, so it gets the fragment."""
    return request.headers.get("hx-request") == "true"


@router.post("/challenges/{challenge_id}/attempt", response_class=HTMLResponse)
def attempt(
    request: Request, ctx: CtxDep, challenge_id: int, form: Form = Depends(verified_form)
) -> Response:
    """A flag. Without JavaScript the answer is a redirect to the challenge page, which shows the
    outcome once (the flag itself is never kept or echoed); htmx gets just the result area."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    here = f"/challenges/{challenge_id}"
    submission = text(form, "submission")
    try:
        if not submission.strip():
            raise DomainError(ErrorCode.FIELD_REQUIRED, field="submission")
        ip = client_address(request)
        outcome = submissions.submit_flag(ctx, who, challenge_id, submission, ip=ip)
    except NotFound:
        raise
    except DomainError as exc:
        if _htmx(request):
            return render(
                request, "_attempt_result.html", result={"status": "error", "message": message_for(exc)}
            )
        flash.error(request, here, exc)
        return see_other(f"{here}#attempt-result")
    answer: Response
    if _htmx(request):
        message = attempt_message(outcome.message, **outcome.params)
        answer = render(
            request, "_attempt_result.html", result={"status": outcome.status, "message": message}
        )
    else:
        flash.attempt(request, here, outcome.status, outcome.message, **outcome.params)
        answer = see_other(f"{here}#attempt-result")
    if outcome.retry_after is not None:
        # Rate limited: the page says so in words (htmx swaps only 2xx answers, and a form is
        # redirected), and Retry-After says when the window frees, as the API's 429 does.
        answer.headers["Retry-After"] = str(outcome.retry_after)
    return answer


def _unlock_url(challenge_id: int, hint_id: int) -> str:
    return f"/challenges/{challenge_id}/hints/{hint_id}/unlock"


def _offer(request: Request, who: Principal, challenge_id: int, hint_id: int) -> board.HintOffer:
    ctx = request.app.state.ctx
    ev = request.app.state.snapshots.state().event
    board.ensure_started(ctx, who, ev)
    return board.hint_offer(ctx, who, challenge_id, hint_id, ev.mode)


@router.get("/challenges/{challenge_id}/hints/{hint_id}/unlock", response_class=HTMLResponse)
def confirm_unlock(request: Request, challenge_id: int, hint_id: int) -> Response:
    """The confirmation step before points are spent: what the hint costs and what the score becomes.
    Free hints, hints already shown and viewers without an account have nothing to confirm."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    if not who.can(Action.PLAY):
        return render_error(request, 403, message_for(Forbidden()))  # staff unlock nothing
    offer = _offer(request, who, challenge_id, hint_id)
    back = f"/challenges/{challenge_id}#hint-{hint_id}"
    if not offer.hint.cost or offer.hint.unlocked or offer.view.account_id is None:
        return see_other(back)
    problem = ""
    if not offer.hint.available:
        problem = message_for(DomainError(ErrorCode.HINT_LOCKED))
    elif not offer.enough:
        problem = message_for(DomainError(ErrorCode.HINT_NOT_ENOUGH_POINTS))
    return render(
        request,
        "hint_confirm.html",
        offer=offer,
        ctext=localized(offer.view.challenge, CHALLENGE_TEXT),
        hint_number=[h.id for h in offer.view.hints].index(hint_id) + 1,
        problem=problem,
        back=back,
        action=_unlock_url(challenge_id, hint_id),
    )


@router.post("/challenges/{challenge_id}/hints/{hint_id}/unlock", response_class=HTMLResponse)
def unlock_hint(
    request: Request, ctx: CtxDep, challenge_id: int, hint_id: int, form: Form = Depends(verified_form)
) -> Response:
    """Unlock a hint: a paid one only with the cost confirmed (``confirm_cost``, from the confirmation
    page or the htmx confirm), else the confirmation is asked for — again if the cost has changed
    since. The answer is a redirect to the challenge page showing the outcome next to the hint."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    if not who.can(Action.PLAY):
        return render_error(request, 403, message_for(Forbidden()))  # staff unlock nothing
    offer = _offer(request, who, challenge_id, hint_id)
    here = f"/challenges/{challenge_id}"
    if offer.hint.cost and not offer.hint.unlocked and text(form, "confirm_cost") != str(offer.hint.cost):
        confirm = _unlock_url(challenge_id, hint_id)
        if _htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": confirm})
        return see_other(confirm)
    try:
        hints.unlock_hint(ctx, who, hint_id)
    except DomainError as exc:
        message = {"hint_id": str(hint_id), "status": "error", "message": message_for(exc)}
        if not _htmx(request):
            flash.error(request, here, exc, target=str(hint_id))
    else:
        message = {"hint_id": str(hint_id), "status": "ok", "message": gettext("Hint unlocked.")}
        if not _htmx(request):
            flash.notice(request, here, "hint_unlocked", target=str(hint_id))
    if not _htmx(request):
        return see_other(f"{here}#hint-{hint_id}")
    offer = _offer(request, who, challenge_id, hint_id)
    return render(
        request,
        "_hint.html",
        hint=offer.hint,
        hint_number=[h.id for h in offer.view.hints].index(hint_id) + 1,
        challenge=offer.view.challenge,
        view=offer.view,
        hint_message=message,
    )
