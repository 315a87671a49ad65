"""The admin area under ``/admin``: the overview and the event settings here; challenges, accounts
and teams, awards and submissions in the ``admin_*`` modules beside it."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.i18n import LOCALES, gettext
from kizuna.services import event
from kizuna.services.event import clock_of, get_event
from kizuna.storage import admin_queries
from kizuna.storage import tables as t
from kizuna.web.deps import CtxDep
from kizuna.web.messages import message_for
from kizuna.web.pages.admin_common import AdminPost, AdminView, checked, done, field_errors, page, text
from kizuna.web.pages.player_helpers import FormErrors

router = APIRouter()


# --- overview -------------------------------------------------------------------------------------


@router.get("/admin", response_class=HTMLResponse)
def dashboard(request: Request, ctx: CtxDep, gate: AdminView) -> Response:
    if gate.denied:
        return gate.denied
    with ctx.db.read() as s:
        counts = admin_queries.counts(s)
    ev = get_event(ctx)
    return page(request, "admin/dashboard.html", counts=counts, phase=clock_of(ev).phase(ctx.now()).value)


# --- event settings -------------------------------------------------------------------------------

TEXT_FIELDS = (
    "name",
    "description",
    "mode",
    "team_size_limit",
    "start_at",
    "end_at",
    "freeze_at",
    "default_locale",
)
BOOL_FIELDS = ("paused", "registration_open", "email_required")


def _local(value: datetime | None) -> str:
    """A stored (naive UTC) time as a ``datetime-local`` value; seconds only when there are some."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%dT%H:%M:%S" if value.second else "%Y-%m-%dT%H:%M")


def _event_values(ev: t.Event) -> dict[str, object]:
    return {
        "name": ev.name,
        "description": ev.description,
        "mode": ev.mode,
        "team_size_limit": str(ev.team_size_limit),
        "start_at": _local(ev.start_at),
        "end_at": _local(ev.end_at),
        "freeze_at": _local(ev.freeze_at),
        "default_locale": ev.default_locale or "en",
        "paused": bool(ev.paused),
        "registration_open": bool(ev.registration_open),
        "email_required": bool(ev.email_required),
    }


def _event_page(
    request: Request, values: dict[str, object], errors: FormErrors | None = None, status_code: int = 200
) -> HTMLResponse:
    return page(request, "admin/event.html", status_code=status_code, values=values, errors=errors or {})


def _event_errors(exc: DomainError, values: dict[str, str]) -> FormErrors:
    errors = field_errors(exc, {name: name for name in (*TEXT_FIELDS, *BOOL_FIELDS)})
    if exc.code is ErrorCode.VALUE_INVALID and exc.field == "end_at" and values["start_at"]:
        try:
            datetime.fromisoformat(values["end_at"])
        except ValueError:
            return errors  # the end itself is not a time
        # The end is a valid time, so what is wrong is its order relative to the start.
        errors = {"end_at": gettext("The end must be later than the start.")}
    return errors


@router.get("/admin/event", response_class=HTMLResponse)
def event_page(request: Request, ctx: CtxDep, gate: AdminView) -> Response:
    if gate.denied:
        return gate.denied
    return _event_page(request, _event_values(get_event(ctx)))


@router.post("/admin/event", response_class=HTMLResponse)
def save_event(request: Request, ctx: CtxDep, gate: AdminPost) -> Response:
    """Save every setting at once; times typed in the form are UTC. On any error nothing is saved
    and the form comes back with what was typed."""
    if gate.denied:
        return gate.denied
    typed = {name: text(gate.form, name).strip() for name in TEXT_FIELDS}
    typed["description"] = text(gate.form, "description")
    ticks = {name: checked(gate.form, name) for name in BOOL_FIELDS}
    errors: FormErrors
    if typed["default_locale"] not in LOCALES:
        errors = {"default_locale": message_for(DomainError(ErrorCode.VALUE_INVALID))}
    else:
        try:
            event.update_event(ctx, {**typed, **ticks})
        except DomainError as exc:
            errors = _event_errors(exc, typed)
        else:
            return done(request, "/admin/event", "event_saved")
    return _event_page(request, {**typed, **ticks}, errors, 400)
