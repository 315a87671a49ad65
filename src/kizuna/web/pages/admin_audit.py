"""Admin page for the audit trail (監査ログ): every privileged action, newest first, 50 to a page,
filtered by actor, action, target, time and text. Filters come from the query string (a filtered
view can be bookmarked); times typed in the form are in the reader's zone. The CSV link exports what
the filters select, through ``GET /api/v1/audit.csv``."""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError
from kizuna.domain.policy import Action
from kizuna.i18n import gettext
from kizuna.services.event import get_event
from kizuna.storage import audit_queries
from kizuna.storage.audit_queries import AuditFilter
from kizuna.web.audit_labels import action_labels, compact, target_url
from kizuna.web.deps import CtxDep
from kizuna.web.messages import message_for
from kizuna.web.pages.admin_accounts import role_label
from kizuna.web.pages.admin_common import Gate, page, page_number, view_gate
from kizuna.web.zones import viewer_zone

router = APIRouter()
URL = "/admin/audit"
FIELDS = ("actor", "action", "target_type", "target_id", "from", "to", "q")


@router.get(URL, response_class=HTMLResponse)
def audit_list(request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.AUDIT_VIEW))) -> Response:
    if gate.denied:
        return gate.denied
    zone = ZoneInfo(viewer_zone(request, get_event(ctx)))
    raw = {key: request.query_params.get(key, "") for key in FIELDS}
    errors: dict[str, str] = {}
    try:
        chosen = audit_queries.parse_filters(raw, zone)
    except DomainError as exc:
        errors[exc.field or "q"] = message_for(exc)
        chosen = None
    number = page_number(request.query_params.get("page", ""))
    with ctx.db.read() as s:
        result = audit_queries.audit_page(s, chosen, number) if chosen is not None else None
        actions = audit_queries.known_actions(s)
        target_types = audit_queries.known_target_types(s)
    labels = action_labels()
    rows = [
        {
            "entry": row,
            "label": labels.get(row.action, ""),
            "role": role_label(row.actor_role) if row.actor_role != "system" else gettext("System"),
            "url": target_url(row),
            "before": compact(row.before),
            "after": compact(row.after),
        }
        for row in (result.rows if result is not None else [])
    ]
    # The form shows what was typed; links (pages, CSV) carry the checked filter.
    params = chosen.params(zone) if chosen is not None else {}
    csv_params = (chosen or AuditFilter()).params()
    return page(
        request,
        "admin/audit.html",
        status_code=400 if errors else 200,
        result=result,
        rows=rows,
        values=raw,
        errors=errors,
        params=params,
        csv_url="/api/v1/audit.csv" + ("?" + urlencode(csv_params) if csv_params else ""),
        action_options=[(a, f"{a} — {labels[a]}" if a in labels else a) for a in actions],
        target_type_options=[(kind, kind) for kind in target_types],
    )
