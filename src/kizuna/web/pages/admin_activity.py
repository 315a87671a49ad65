"""What judges and marshals watch during the event: the live activity feed (``/admin/feed``, every
flag attempt as it happens) and the rosters (``/admin/rosters``, every team with its members).

The feed is filtered on the server from the query string (result, challenge, team, text), so a
filtered view can be bookmarked and works without JavaScript (reload it). With JavaScript,
``static/kizuna-feed.js`` listens to the event stream for ``submission``, ``solve`` and
``account_hidden`` and asks ``/admin/feed/rows`` for the rows that arrived since, with the same
filters, rendered here in the reader's language and time zone. Older rows are paged with
``?before=<id>`` (newest first, so new arrivals never shift the pages).

Marshals hide an account pending review from the rosters: the buttons post to the account and team
toggles (``admin_accounts``), which return here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.policy import ACCOUNT_ROLES, Action
from kizuna.services import activity
from kizuna.services.activity import FeedFilters
from kizuna.services.event import get_event
from kizuna.storage import admin_queries
from kizuna.storage.activity_queries import MAX_LIMIT, RESULTS
from kizuna.web.deps import CtxDep
from kizuna.web.pages.admin_accounts import role_label
from kizuna.web.pages.admin_common import Gate, optional_int, page, view_gate
from kizuna.web.pages.admin_submissions import result_labels
from kizuna.web.render import render

router = APIRouter()


def _filters(result: str, challenge: str, team: str, q: str) -> tuple[FeedFilters, dict[str, Any]]:
    """The filters from the query string, and the parameters that reproduce them. Values that are
    not a known id or result are ignored rather than refused, as on the other staff lists."""
    chosen = FeedFilters(
        result=result if result in RESULTS else None,
        challenge_id=optional_int(challenge),
        team_id=optional_int(team),
        text=q.strip()[:100],
    )
    params = {
        key: value
        for key, value in (
            ("result", chosen.result),
            ("challenge", chosen.challenge_id),
            ("team", chosen.team_id),
            ("q", chosen.text),
        )
        if value not in (None, "")
    }
    return chosen, params


def _id(value: str) -> int | None:
    number = optional_int(value)
    return number if number is not None and number > 0 else None


@router.get("/admin/feed", response_class=HTMLResponse)
def feed_page(
    request: Request,
    ctx: CtxDep,
    gate: Gate = Depends(view_gate(Action.FEED_VIEW)),
    result: str = "",
    challenge: str = "",
    team: str = "",
    q: str = "",
    before: str = "",
) -> Response:
    if gate.denied:
        return gate.denied
    who = gate.staff
    filters, params = _filters(result, challenge, team, q)
    older_than = _id(before)
    found = activity.feed(ctx, who, filters, before=older_than)
    team_mode = get_event(ctx).mode == "teams"
    with ctx.db.read() as s:
        challenges = admin_queries.challenge_options(s)
        teams = admin_queries.team_options(s) if team_mode else []
    labels = result_labels()
    return page(
        request,
        "admin/feed.html",
        rows=found.rows,
        older=found.older,
        older_url="/admin/feed?" + urlencode({**params, "before": found.older}) if found.older else "",
        newest_url="/admin/feed?" + urlencode(params) if params else "/admin/feed",
        paged=older_than is not None,
        params=params,
        rows_url="/admin/feed/rows?" + urlencode(params) if params else "/admin/feed/rows",
        newest_id=found.rows[0].id if found.rows else 0,
        hidden_changes=activity.hidden_changes(ctx, who),
        challenge_options=[(o.id, o.name) for o in challenges],
        team_options=[(o.id, o.name) for o in teams],
        result_options=list(labels.items()),
        result_labels=labels,
        team_mode=team_mode,
    )


@router.get("/admin/feed/rows", response_class=HTMLResponse)
def feed_rows(
    request: Request,
    ctx: CtxDep,
    gate: Gate = Depends(view_gate(Action.FEED_VIEW)),
    result: str = "",
    challenge: str = "",
    team: str = "",
    q: str = "",
    after: str = "",
) -> Response:
    """The rows that arrived after submission ``after`` (at most 100, newest first), as table rows
    for the feed's script to put on top."""
    if gate.denied:
        return gate.denied
    filters, _params = _filters(result, challenge, team, q)
    found = activity.feed(ctx, gate.staff, filters, after=_id(after) or 0, limit=MAX_LIMIT)
    return render(
        request,
        "admin/_feed_rows.html",
        rows=found.rows,
        result_labels=result_labels(),
        team_mode=get_event(ctx).mode == "teams",
    )


@router.get("/admin/rosters", response_class=HTMLResponse)
def rosters_page(
    request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.ROSTER_VIEW)), q: str = ""
) -> Response:
    if gate.denied:
        return gate.denied
    found = activity.rosters(ctx, gate.staff, q.strip()[:100])
    return page(
        request,
        "admin/rosters.html",
        teams=found.teams,
        players=found.players,
        q=q.strip()[:100],
        team_mode=get_event(ctx).mode == "teams",
        role_labels={role: role_label(role) for role in ACCOUNT_ROLES},
    )
