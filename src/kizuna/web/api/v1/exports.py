"""``/exports/<kind>`` (Kizuna extension; ``RESULTS_EXPORT``: admins and judges): the results as a
file to download — ``standings`` (final: the live board, whatever the freeze), ``solves``,
``submissions`` (with what was typed and the address), ``awards`` and ``writeups`` (also ``md``).

``?format=csv`` (default) or ``json``; ``?tz=`` an IANA zone (``Asia/Tokyo``; default UTC) in which
times are written, ISO 8601 with the offset; ``?bom=false`` leaves out the CSV's byte order mark
(which Excel needs to read UTF-8). ``?bracket_id=``, ``?country=`` and ``?affiliation=`` export the
standings of one bracket, country or affiliation, ranked within it (refused for the other kinds).
CSV cells that a spreadsheet would take for a formula are prefixed with ``'``; JSON keeps every text
as stored. The answer is written while it is read, and
every export is recorded in the audit trail (``results.exported``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse

from kizuna.domain.exports import ExportKind, parse_bom
from kizuna.domain.policy import Action
from kizuna.services import exports
from kizuna.services.accounts import Principal
from kizuna.services.scoreboard import parse_filter
from kizuna.web.api.v1.common import roles
from kizuna.web.deps import CtxDep, require

router = APIRouter(tags=["exports"])
Exporter = Annotated[Principal, Depends(require(Action.RESULTS_EXPORT))]

KINDS = ", ".join(k.value for k in ExportKind)


def export_response(export: exports.Export) -> StreamingResponse:
    return StreamingResponse(
        export.chunks(),
        media_type=export.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{export.file_name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/exports/{kind}",
    summary=f"Export the results ({KINDS}) as CSV or JSON {roles(Action.RESULTS_EXPORT)}",
    response_model=None,
    response_class=Response,
    responses={
        200: {
            "description": "The export: CSV (UTF-8, with a byte order mark unless bom=false), JSON "
            '({"success": true, "meta": {...}, "data": [...]}) or, for writeups, Markdown',
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
                "text/markdown": {"schema": {"type": "string"}},
            },
        }
    },
)
def export_results(
    ctx: CtxDep,
    who: Exporter,
    kind: str,
    format: Annotated[str, Query(description='"csv" (default), "json", or "md" for writeups')] = "",
    tz: Annotated[str, Query(description="IANA time zone of the times (default UTC), e.g. Asia/Tokyo")] = "",
    bom: Annotated[str, Query(description="CSV only: start with a byte order mark (default true)")] = "",
    bracket_id: Annotated[str, Query(description="standings only: one bracket, ranked within it")] = "",
    country: Annotated[str, Query(description="standings only: one country (ISO 3166-1 alpha-2)")] = "",
    affiliation: Annotated[str, Query(description="standings only: one affiliation")] = "",
) -> Response:
    which = parse_filter(bracket_id, country, affiliation)
    return export_response(
        exports.start_export(ctx, kind, format, tz, bom=parse_bom(bom), actor=who, which=which)
    )
