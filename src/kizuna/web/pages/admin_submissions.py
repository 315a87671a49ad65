"""Admin page for submissions: every flag attempt, newest first, 50 to a page, filtered by challenge,
team, user and result."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.policy import Action
from kizuna.i18n import gettext
from kizuna.services.event import get_event
from kizuna.storage import admin_queries
from kizuna.web.deps import CtxDep
from kizuna.web.pages.admin_common import Gate, optional_int, page, page_number, view_gate

router = APIRouter()


def result_labels() -> dict[str, str]:
    return {
        "correct": gettext("Correct"),
        "incorrect": gettext("Incorrect"),
        "already_solved": gettext("Already solved"),
        "ratelimited": gettext("Rate limited"),
        "partial": gettext("Partly correct"),
        "pending": gettext("Pending review"),
    }


@router.get("/admin/submissions", response_class=HTMLResponse)
def submission_list(
    request: Request,
    ctx: CtxDep,
    gate: Gate = Depends(view_gate(Action.SUBMISSION_VIEW)),
    challenge: str = "",
    account: str = "",
    user: str = "",
    kind: str = Query("", alias="type"),
    number: str = Query("", alias="page"),
) -> Response:
    """Filters come from the query string, so a filtered page can be bookmarked and shared; values
    that are not a known id or result are ignored rather than refused."""
    if gate.denied:
        return gate.denied
    team_mode = get_event(ctx).mode == "teams"
    labels = result_labels()
    challenge_id, user_id = optional_int(challenge), optional_int(user)
    account_id = optional_int(account) if team_mode else None
    result_type = kind if kind in labels else None
    with ctx.db.read() as s:
        result = admin_queries.submissions_page(
            s, challenge_id, account_id, user_id, result_type, page_number(number)
        )
        challenges = admin_queries.challenge_options(s)
        teams = admin_queries.team_options(s) if team_mode else []
        users = admin_queries.user_options(s)
    return page(
        request,
        "admin/submissions.html",
        result=result,
        params={
            key: value
            for key, value in (
                ("challenge", challenge_id),
                ("account", account_id),
                ("user", user_id),
                ("type", result_type),
            )
            if value is not None
        },
        challenge_options=[(o.id, o.name) for o in challenges],
        team_options=[(o.id, o.name) for o in teams],
        user_options=[(o.id, o.name) for o in users],
        result_options=list(labels.items()),
        result_labels=labels,
        team_mode=team_mode,
    )
