"""Admin page for write-ups (解説): every write-up players sent, filtered by challenge and prize,
each readable in place (rendered Markdown) with a form to mark or unmark its prize and leave a short
comment per language (judges and admins: ``WRITEUP_REVIEW``). Players never see others' write-ups;
the organisers export them from ``/admin/exports``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError
from kizuna.domain.policy import Action
from kizuna.i18n import LOCALES
from kizuna.markdown import render_markdown
from kizuna.services import writeups
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.services.event import get_event
from kizuna.storage import admin_queries
from kizuna.web.deps import CtxDep
from kizuna.web.messages import message_for
from kizuna.web.pages.admin_common import Gate, done, not_found, page, post_gate, text, view_gate
from kizuna.web.pages.player_helpers import FormErrors

router = APIRouter()
URL = "/admin/writeups"


def _filters(request: Request) -> tuple[int | None, bool | None, dict[str, str]]:
    raw_challenge = request.query_params.get("challenge_id", "")
    raw_prize = request.query_params.get("prize", "")
    challenge_id = int(raw_challenge) if raw_challenge.isascii() and raw_challenge.isdigit() else None
    prize = {"yes": True, "no": False}.get(raw_prize)
    return challenge_id, prize, {"challenge_id": raw_challenge, "prize": raw_prize}


def _writeups_page(
    request: Request, ctx: Context, who: Principal, status_code: int = 200, errors: FormErrors | None = None
) -> HTMLResponse:
    challenge_id, prize, values = _filters(request)
    rows = writeups.all_writeups(ctx, who, challenge_id, prize)
    with ctx.db.read() as s:
        challenges = [(str(o.id), o.name) for o in admin_queries.challenge_options(s)]
    return page(
        request,
        "admin/writeups.html",
        status_code=status_code,
        rows=[{"row": r, "html": render_markdown(r.content)} for r in rows],
        challenge_options=challenges,
        values=values,
        errors=errors or {},
        comment_locales=LOCALES,
        mode=get_event(ctx).mode,
    )


@router.get(URL, response_class=HTMLResponse)
def writeup_list(
    request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.WRITEUP_REVIEW))
) -> Response:
    if gate.denied:
        return gate.denied
    return _writeups_page(request, ctx, gate.staff)


@router.post(URL + "/{writeup_id}", response_class=HTMLResponse)
def mark_prize(
    request: Request, ctx: CtxDep, writeup_id: int, gate: Gate = Depends(post_gate(Action.WRITEUP_REVIEW))
) -> Response:
    if gate.denied:
        return gate.denied
    prize = text(gate.form, "prize") == "yes"
    comment = {code: text(gate.form, f"comment_{code}") for code in LOCALES}
    try:
        writeups.mark_prize(ctx, gate.staff, writeup_id, prize, comment)
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request)
        return _writeups_page(request, ctx, gate.staff, 400, {f"w{writeup_id}": message_for(exc)})
    return done(request, f"{URL}#w{writeup_id}", "writeup_prize_saved")
