"""The challenge board, one challenge (flag form, hints, files, solvers), attempts and hint unlocks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.clock import Phase
from kizuna.domain.errors import DomainError, ErrorCode, Forbidden, NotFound
from kizuna.domain.policy import Action
from kizuna.domain.schedule import schedule_state
from kizuna.domain.scoring import bonus_for
from kizuna.i18n import LOCALES, gettext
from kizuna.markdown import render_markdown
from kizuna.services import board, hints, practice, reviews, submissions, writeups
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
    """The board: the viewer's score and rank at a glance, filters (``?show=unsolved&category=…``,
    an ordinary GET form; the script applies them at once) and the cards grouped by category.
    Everything comes from the snapshots (challenge list, scoreboard) plus the viewer's solved set."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    snaps = request.app.state.snapshots
    state = snaps.state()
    ev = state.event
    now = ctx.now()
    phase = clock_of(ev).phase(now)
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
    live = who.can(Action.SCOREBOARD_LIVE)
    rows = snaps.challenges(live=live, state=state).data
    entries = board.board_entries(rows, board.solved_ids(ctx, acct), view_all, acct, ev.start_at, now)
    query = request.query_params
    filters = board.board_filters(query.get("show", "")[:32], query.get("category", "")[:200], entries)
    groups = board.by_category(board.apply_filters(entries, filters))
    page.update(
        groups=groups,
        notice=_phase_notice(phase),
        filters=filters,
        categories=[(name, items[0]) for name, items in groups if name and not items[0].locked],
        shown_count=sum(1 for _name, items in groups for e in items if e.shown),
        standing=_standing(snaps, state, who, acct, live, entries),
        account_kind="teams" if ev.mode == "teams" else "users",
        # The first-blood bonus (points for the 1st, 2nd and 3rd solve); [] when the event gives none.
        bonus=list(ev.first_blood_bonus or []),
    )
    return render(request, "challenges.html", **page)


def _standing(
    snaps: Any, state: Any, who: Principal, acct: int | None, live: bool, entries: list[board.BoardEntry]
) -> dict[str, Any] | None:
    """The viewer's score and place at a glance, from the scoreboard snapshot they may see (frozen
    for players during a freeze); None for staff, who play for no account."""
    if acct is None or not who.can(Action.PLAY):
        return None
    row = snaps.standing(live, acct, state)
    listed = [e for e in entries if not e.locked]
    return {
        "row": row,
        "solved": sum(1 for e in listed if e.solved),
        "total": len(listed),
        "frozen_at": state.event.freeze_at if state.cutoff is not None and not live else None,
    }


def _challenge_context(request: Request, who: Principal, challenge_id: int) -> dict[str, Any]:
    ctx = request.app.state.ctx
    snaps = request.app.state.snapshots
    state = snaps.state()
    ev = state.event
    board.ensure_started(ctx, who, ev)
    view = board.challenge_view(ctx, who, challenge_id, ev.mode)
    live = who.can(Action.SCOREBOARD_LIVE)
    cutoff = None if live else state.cutoff
    row = next((r for r in snaps.challenges(live=live, state=state).data if r["id"] == challenge_id), None)
    signer = request.app.state.file_signer
    files = [
        {
            "name": f.location.rsplit("/", 1)[-1],
            "url": signer.url(f.location, who.user_id),
            "size": f.size,
        }
        for f in view.files
    ]
    return {
        "view": view,
        # Practice (kizuna.services.practice): the reader's own practice solve of it.
        "practised": practice.has_practised(ctx, who.user_id, challenge_id),
        "challenge": view.challenge,
        "ctext": localized(view.challenge, CHALLENGE_TEXT),
        "solve_count": row["solves"] if row else 0,
        # As on the board: the viewer's account solved it first, by the snapshot they may see.
        "first_blood": bool(
            row and view.account_id is not None and row.get("first_account") == view.account_id
        ),
        "files": files,
        "solvers": board.solvers(ctx, challenge_id, ev.mode, cutoff, limit=board.SOLVER_LIMIT),
        "account_kind": "teams" if ev.mode == "teams" else "users",
        "notice": _phase_notice(clock_of(ev).phase(ctx.now())),
        # Its own schedule: a closed challenge shows a notice instead of the flag form; staff see
        # a scheduled one marked as such, with its release time.
        "schedule_state": schedule_state(view.challenge.release_at, view.challenge.close_at, ctx.now()),
        "bonus": list(ev.first_blood_bonus or []),
        "result": None,
        "hint_message": None,
        "here": f"/challenges/{challenge_id}",
        # A judged challenge: an answer (and a file) for a judge, and the account's latest decision.
        "manual": view.challenge.type == reviews.MANUAL,
        "review": reviews.latest_for(ctx, view.account_id, challenge_id)
        if view.challenge.type == reviews.MANUAL
        else None,
        "answer_max_kb": max(ctx.answer_file_bytes // 1024, 1),
        **_writeup_context(ctx, who, challenge_id, ev),
    }


def _writeup_context(ctx: Any, who: Principal, challenge_id: int, ev: Any) -> dict[str, Any]:
    """The write-up section: for players only — the account's own write-up (rendered, with its
    prize) and the form when the account may write (solved, or the event over and it took part)."""
    found = writeups.eligibility(ctx, who, challenge_id, ev)
    own = found.own if found is not None else None
    return {
        "writeup": found,
        "writeup_html": render_markdown(own.content) if own is not None else "",
        "writeup_values": {"content": own.content if own else "", "locale": own.locale if own else ""},
        "writeup_locales": LOCALES,
        "writeup_error": "",
        "writeup_message": None,
    }


def _challenge_page(
    request: Request, who: Principal, challenge_id: int, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    context = _challenge_context(request, who, challenge_id)
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
        # A message about one hint (or the write-up) sits next to it; any other in the attempt
        # result area.
        if shown.target == WRITEUP_TARGET:
            extra["writeup_message"] = shown.result
        else:
            extra["hint_message" if shown.target else "result"] = shown.result
    return _challenge_page(request, who, challenge_id, **extra)


@router.get("/challenges/{challenge_id}/review", response_class=HTMLResponse)
def review_status(request: Request, challenge_id: int) -> Response:
    """A judged challenge's "your answer for review" box alone: what the challenge page fetches again
    when a judge's decision on the reader's answer arrives on the stream (``review_decided``), so the
    decision and the comment appear in place without a reload. The same 404 as the page for a
    challenge the reader may not see, and for a challenge that is not judged."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    ctx = request.app.state.ctx
    ev = request.app.state.snapshots.state().event
    board.ensure_started(ctx, who, ev)
    view = board.challenge_view(ctx, who, challenge_id, ev.mode)
    if view.challenge.type != reviews.MANUAL:
        raise NotFound()
    return render(
        request, "_review_status.html", review=reviews.latest_for(ctx, view.account_id, challenge_id)
    )


WRITEUP_TARGET = "writeup"


@router.post("/challenges/{challenge_id}/writeup", response_class=HTMLResponse)
def send_writeup(
    request: Request, ctx: CtxDep, challenge_id: int, form: Form = Depends(verified_form)
) -> Response:
    """A player's write-up of this challenge (Markdown). Saved: a redirect to the page, which says
    so once; refused (too long, empty, not yet solved): the page again with the text as typed and
    the reason beside the form."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    if not who.can(Action.PLAY):
        raise Forbidden()
    content, locale = text(form, "content"), text(form, "locale")
    try:
        writeups.submit_writeup(ctx, who, challenge_id, content, locale)
    except NotFound:
        raise
    except DomainError as exc:
        return _challenge_page(
            request,
            who,
            challenge_id,
            status_code=exc.status if exc.status < 500 else 400,
            writeup_error=message_for(exc),
            writeup_values={"content": content, "locale": locale},
        )
    here = f"/challenges/{challenge_id}"
    flash.notice(request, here, "writeup_saved", target=WRITEUP_TARGET)
    return see_other(f"{here}#writeup")


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
        attachment = _answer_file(ctx, form.get("file"))
        outcome = submissions.submit_flag(ctx, who, challenge_id, submission, ip=ip, attachment=attachment)
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
    key, params = _page_outcome(request, ctx, who, outcome)
    if _htmx(request):
        result = {"status": outcome.status, "message": attempt_message(key, **params)}
        if key == "correct_scored":
            # The result and, out of band, the parts of the page a solve changes: the solved state,
            # the solve count and the first solvers.
            context = _challenge_context(request, who, challenge_id)
            answer = render(request, "_attempt_solved.html", **{**context, "result": result})
        else:
            answer = render(request, "_attempt_result.html", result=result)
    else:
        flash.attempt(request, here, outcome.status, key, **params)
        answer = see_other(f"{here}#attempt-result")
    if outcome.retry_after is not None:
        # Rate limited: the page says so in words (htmx swaps only 2xx answers, and a form is
        # redirected), and Retry-After says when the window frees, as the API's 429 does.
        answer.headers["Retry-After"] = str(outcome.retry_after)
    return answer


def _answer_file(ctx: Any, upload: object) -> reviews.Attachment | None:
    """The file sent with an answer to a judged challenge (none when the field was left empty)."""
    if isinstance(upload, list):
        raise DomainError(ErrorCode.VALUE_INVALID, field="file")  # one file at most
    if upload is None or isinstance(upload, str) or not getattr(upload, "filename", ""):
        return None
    limit = ctx.answer_file_bytes
    data = upload.file.read(limit + 1)  # type: ignore[attr-defined]
    return reviews.check_attachment(upload.filename, data, limit)  # type: ignore[attr-defined]


def _page_outcome(
    request: Request, ctx: Any, who: Principal, outcome: submissions.AttemptResult
) -> tuple[str, dict[str, Any]]:
    """The message id and values the page shows for an attempt. A player's correct answer says the
    points and for whom ("Correct! +100 points for Red Dragons — first blood!"); "first blood" is
    left out while the scoreboard is frozen for the player, since saying it, or not, would tell
    whether another account solved the challenge after the freeze."""
    if outcome.message != "correct" or "value" not in outcome.params:
        return outcome.message, dict(outcome.params)  # also staff's checked answers: plain "Correct"
    state = request.app.state.snapshots.state()
    ev = state.event
    frozen = state.cutoff is not None and not who.can(Action.SCOREBOARD_LIVE)
    team = ""
    if ev.mode == "teams" and who.team_id is not None:
        team = board.account_name(ctx, ev.mode, who.team_id)
    blood = 0 if frozen else int(bool(outcome.params.get("first_blood")))
    value = int(outcome.params["value"])
    if not frozen:
        # The first-blood bonus the solve earned (its rank, like first blood, unsaid while frozen).
        value += bonus_for(ev.first_blood_bonus, int(outcome.params.get("rank") or 0))
    return "correct_scored", {"value": value, "first_blood": blood, "team": team}


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
