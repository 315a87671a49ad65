"""The challenge board, one challenge (flag form, hints, files, solvers), attempts and hint unlocks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.clock import Phase
from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.domain.policy import Action
from kizuna.i18n import gettext
from kizuna.services import board, hints, submissions
from kizuna.services.accounts import Principal
from kizuna.services.event import clock_of, time_zones
from kizuna.services.translations import CHALLENGE_TEXT
from kizuna.web.content import localized
from kizuna.web.deps import CtxDep, optional_principal, verified_form
from kizuna.web.messages import attempt_message, message_for
from kizuna.web.pages.player_helpers import login_redirect, text
from kizuna.web.render import render
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
    return _challenge_page(request, who, challenge_id)


@router.post("/challenges/{challenge_id}/attempt", response_class=HTMLResponse)
def attempt(
    request: Request, ctx: CtxDep, challenge_id: int, form: Form = Depends(verified_form)
) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    submission = text(form, "submission")
    result: dict[str, str]
    if not submission.strip():
        result = {"status": "error", "message": message_for(DomainError(ErrorCode.FIELD_REQUIRED))}
    else:
        ip = request.client.host if request.client else ""
        try:
            outcome = submissions.submit_flag(ctx, who, challenge_id, submission, ip=ip)
        except NotFound:
            raise
        except DomainError as exc:
            result = {"status": "error", "message": message_for(exc)}
        else:
            message = attempt_message(outcome.message, **outcome.params)
            result = {"status": outcome.status, "message": message}
    if request.headers.get("hx-request") == "true":
        # htmx swaps just the result area; the rest of the page stays as it is.
        return render(request, "_attempt_result.html", result=result)
    return _challenge_page(request, who, challenge_id, result=result)


@router.post("/challenges/{challenge_id}/hints/{hint_id}/unlock", response_class=HTMLResponse)
def unlock_hint(
    request: Request, ctx: CtxDep, challenge_id: int, hint_id: int, form: Form = Depends(verified_form)
) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    state = request.app.state.snapshots.state()
    view = board.challenge_view(ctx, who, challenge_id, state.event.mode)
    if hint_id not in {h.id for h in view.hints}:
        raise NotFound()
    status = 200
    try:
        hints.unlock_hint(ctx, who, hint_id)
    except DomainError as exc:
        message = {"hint_id": str(hint_id), "status": "error", "message": message_for(exc)}
        status = exc.status
    else:
        message = {"hint_id": str(hint_id), "status": "ok", "message": gettext("Hint unlocked.")}
    return _challenge_page(request, who, challenge_id, status_code=status, hint_message=message)
