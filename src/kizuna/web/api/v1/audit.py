"""``/audit`` (Kizuna extension; admins only, the policy's ``AUDIT_VIEW``): the audit trail of
privileged actions, newest first, filtered; ``/audit.csv`` (or ``/audit?format=csv``) exports every
matching entry as CSV.

The CSV is UTF-8 with a byte order mark (so spreadsheet programs read Japanese names correctly), and
every cell that a spreadsheet would take for a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return) is prefixed with ``'``. It is written while it is read from the database, a
batch at a time, so a long trail never sits in memory whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.policy import Action
from kizuna.domain.spreadsheet import csv_records
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import audit_queries
from kizuna.storage.audit_queries import AuditFilter, AuditRow
from kizuna.web.api.v1.common import ok, roles, when
from kizuna.web.audit_labels import action_labels
from kizuna.web.deps import CtxDep, require

router = APIRouter(tags=["audit"])
AuditViewer = Annotated[Principal, Depends(require(Action.AUDIT_VIEW))]

CSV_COLUMNS = (
    "id",
    "time_utc",
    "actor_id",
    "actor_name",
    "actor_role",
    "action",
    "action_label",
    "target_type",
    "target_id",
    "before",
    "after",
    "address",
)

FILTER_HELP = {
    "actor": "An account's id, or its name as recorded (case-insensitive)",
    "action": 'Actions starting with this ("challenge." or "challenge.updated")',
    "target_type": 'What was acted on ("challenge", "user", "flag" …)',
    "target_id": "The id of what was acted on",
    "from": "Entries at or after this ISO 8601 date or time (UTC unless it names an offset)",
    "to": "Entries before this time; a bare date includes that whole day",
    "q": f"Text found in the actor, action, target, values or address (at most {audit_queries.MAX_TEXT})",
}

LIMIT_HELP = f"Entries a page (default {audit_queries.DEFAULT_LIMIT}, at most {audit_queries.MAX_LIMIT})"


def _shape(row: AuditRow, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "date": when(row.at),
        "actor_id": row.actor_id,
        "actor_name": row.actor_name,
        "actor_role": row.actor_role,
        "action": row.action,
        "action_label": labels.get(row.action, ""),
        "target_type": row.target_type,
        "target_id": row.target_id,
        "before": row.before,
        "after": row.after,
        "address": row.address,
    }


def _values(values: dict[str, Any] | None) -> str:
    if not values:
        return ""
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def csv_lines(ctx: Context, f: AuditFilter, labels: dict[str, str]) -> Iterator[bytes]:
    """The export, line by line: the byte order mark and header first, then every matching entry."""
    records = (
        (
            row.id,
            when(row.at),
            row.actor_id,
            row.actor_name,
            row.actor_role,
            row.action,
            labels.get(row.action, ""),
            row.target_type,
            row.target_id,
            _values(row.before),
            _values(row.after),
            row.address,
        )
        for row in audit_queries.iter_entries(ctx.db.read, f)
    )
    return csv_records(CSV_COLUMNS, records)


def csv_response(ctx: Context, f: AuditFilter, now: datetime) -> StreamingResponse:
    name = f"kizuna-audit-{now.strftime('%Y%m%d-%H%M%S')}.csv"
    return StreamingResponse(
        csv_lines(ctx, f, action_labels()),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def _filters(request: Request) -> AuditFilter:
    params = request.query_params
    for key in ("actor", "action", "target_type", "target_id", "from", "to", "q", "page", "limit", "format"):
        if len(params.getlist(key)) > 1:
            raise DomainError(ErrorCode.VALUE_INVALID, field=key)
    return audit_queries.parse_filters(params)


@router.get(
    "/audit",
    summary=f"The audit trail, newest first, filtered; ?format=csv exports it {roles(Action.AUDIT_VIEW)}",
    response_model=None,
)
def list_audit(
    request: Request,
    ctx: CtxDep,
    who: AuditViewer,
    actor: Annotated[str, Query(description=FILTER_HELP["actor"])] = "",
    action: Annotated[str, Query(description=FILTER_HELP["action"])] = "",
    target_type: Annotated[str, Query(description=FILTER_HELP["target_type"])] = "",
    target_id: Annotated[str, Query(description=FILTER_HELP["target_id"])] = "",
    since: Annotated[str, Query(alias="from", description=FILTER_HELP["from"])] = "",
    until: Annotated[str, Query(alias="to", description=FILTER_HELP["to"])] = "",
    q: Annotated[str, Query(description=FILTER_HELP["q"])] = "",
    page: Annotated[str, Query(description="The page, from 1")] = "",
    limit: Annotated[str, Query(description=LIMIT_HELP)] = "",
    format: Annotated[str, Query(description='"json" (default) or "csv"')] = "",
) -> Response:
    f = _filters(request)
    if format not in ("", "json", "csv"):
        raise DomainError(ErrorCode.VALUE_INVALID, field="format")
    if format == "csv":
        return csv_response(ctx, f, ctx.now())
    number = audit_queries.parse_number(page, "page", 1, audit_queries.MAX_PAGE)
    size = audit_queries.parse_number(limit, "limit", audit_queries.DEFAULT_LIMIT, audit_queries.MAX_LIMIT)
    with ctx.db.read() as s:
        result = audit_queries.audit_page(s, f, number, size)
    labels = action_labels()
    meta = {
        "pagination": {
            "page": result.page,
            "next": result.page + 1 if result.has_next else None,
            "prev": result.page - 1 if result.has_previous else None,
            "pages": result.pages,
            "per_page": result.per_page,
            "total": result.total,
        }
    }
    body: JSONResponse = ok([_shape(row, labels) for row in result.rows], meta=meta)
    return body


@router.get(
    "/audit.csv",
    summary=f"The audit trail as CSV (UTF-8 with BOM), same filters as /audit {roles(Action.AUDIT_VIEW)}",
    response_model=None,
    response_class=Response,
    responses={200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_audit(
    request: Request,
    ctx: CtxDep,
    who: AuditViewer,
    actor: Annotated[str, Query(description=FILTER_HELP["actor"])] = "",
    action: Annotated[str, Query(description=FILTER_HELP["action"])] = "",
    target_type: Annotated[str, Query(description=FILTER_HELP["target_type"])] = "",
    target_id: Annotated[str, Query(description=FILTER_HELP["target_id"])] = "",
    since: Annotated[str, Query(alias="from", description=FILTER_HELP["from"])] = "",
    until: Annotated[str, Query(alias="to", description=FILTER_HELP["to"])] = "",
    q: Annotated[str, Query(description=FILTER_HELP["q"])] = "",
) -> Response:
    return csv_response(ctx, _filters(request), ctx.now())
