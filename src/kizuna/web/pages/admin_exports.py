"""Admin page for the results exports (エクスポート): the final standings, solves, submissions and
awards as CSV or JSON (the standings of the whole event, or of one bracket or country, ranked
within it). The page is a GET form (time zone, byte order mark) that writes the chosen
options into the download links, which go to ``GET /api/v1/exports/<kind>`` (``services/exports``:
the same export as the API and ``kizuna export``, audited there)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError
from kizuna.domain.exports import DEFAULT_ZONE, FORMATS, ExportFormat, ExportKind, parse_bom, parse_zone
from kizuna.domain.policy import Action
from kizuna.i18n import gettext, lazy
from kizuna.services.event import get_event
from kizuna.services.scoreboard import parse_filter
from kizuna.web.deps import CtxDep
from kizuna.web.messages import message_for
from kizuna.web.pages.admin_common import Gate, page, view_gate
from kizuna.web.pages.scoreboard import board_filters
from kizuna.web.snapshots import ANY
from kizuna.web.zoned_inputs import input_zones, zone_options

router = APIRouter()
URL = "/admin/exports"

KIND_LABELS = {
    ExportKind.STANDINGS: (
        lazy("Final standings"),
        lazy(
            "Rank, name, score, members, affiliation and country of every ranked account, "
            "from the live board (the freeze does not apply)."
        ),
    ),
    ExportKind.SOLVES: (
        lazy("Solves"),
        lazy("Every solve: challenge, account, user, time and the challenge's current value."),
    ),
    ExportKind.SUBMISSIONS: (
        lazy("Submissions"),
        lazy("Every attempt, right or wrong, with what was typed, the result and the address."),
    ),
    ExportKind.AWARDS: (
        lazy("Awards"),
        lazy("Every award and penalty, including the points spent on hints."),
    ),
    ExportKind.WRITEUPS: (
        lazy("Write-ups"),
        lazy(
            "Every write-up with its challenge, account, writer, language and prize; "
            "Markdown gives them as one document."
        ),
    ),
}


@router.get(URL, response_class=HTMLResponse)
def exports_page(
    request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.RESULTS_EXPORT))
) -> Response:
    if gate.denied:
        return gate.denied
    zones = input_zones(get_event(ctx))
    raw_zone = request.query_params.get("tz", "")
    raw_bom = request.query_params.get("bom", "")
    errors: dict[str, str] = {}
    zone = DEFAULT_ZONE
    bom = True
    try:
        zone = parse_zone(raw_zone)
        if zone not in zones:
            zones.append(zone)  # any IANA zone works through the API; keep what the link asked for
    except DomainError as exc:
        errors["tz"] = message_for(exc)
    try:
        bom = parse_bom(raw_bom)
    except DomainError as exc:
        errors["bom"] = message_for(exc)
    # The standings of one bracket or country (ranked within it): the scoreboard's filters.
    filters = board_filters(request, request.app.state.snapshots.scoreboard(live=True).data)
    which = ANY
    try:
        which = parse_filter(filters.values["bracket_id"], filters.values["country"], "")
    except DomainError as exc:
        errors[exc.field or "bracket_id"] = message_for(exc)
    exports = []
    for kind in ExportKind:
        title, description = KIND_LABELS[kind]
        links = []
        for fmt in FORMATS[kind]:
            params = {"format": fmt.value, "tz": zone}
            if kind is ExportKind.STANDINGS:
                params.update(which.params())
            if fmt is ExportFormat.CSV and not bom:
                params["bom"] = "false"
            label = "Markdown" if fmt is ExportFormat.MARKDOWN else fmt.value.upper()
            links.append((label, f"/api/v1/exports/{kind.value}?{urlencode(params)}"))
        exports.append(
            {"kind": kind.value, "title": gettext(title), "description": gettext(description), "links": links}
        )
    return page(
        request,
        "admin/exports.html",
        status_code=400 if errors else 200,
        errors=errors,
        exports=exports if not errors else [],
        zone_options=zone_options(zones),
        zone=zone,
        bom="true" if bom else "false",
        brackets=filters.brackets,
        countries=filters.countries,
        bracket_id=filters.values["bracket_id"],
        country=filters.values["country"].upper(),
    )
