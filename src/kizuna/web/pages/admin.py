"""The admin area under ``/admin``: the overview and the event settings here (the event's name and
description one column per language, as in ``admin_columns``); challenges, accounts and teams,
awards and submissions in the ``admin_*`` modules beside it."""

from __future__ import annotations

import re
from datetime import datetime
from types import SimpleNamespace

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.policy import Action
from kizuna.i18n import LOCALES, gettext, lazy
from kizuna.services import event, two_factor
from kizuna.services.event import clock_of, get_event, time_zones
from kizuna.services.mail import MailConfig
from kizuna.services.translations import EVENT_TEXT
from kizuna.storage import admin_queries
from kizuna.storage import tables as t
from kizuna.web.content import content_order, localized
from kizuna.web.deps import CtxDep
from kizuna.web.messages import message_for
from kizuna.web.pages import admin_columns as columns
from kizuna.web.pages.admin_common import Gate, checked, done, field_errors, page, post_gate, text, view_gate
from kizuna.web.pages.player_helpers import FormErrors

router = APIRouter()


# --- overview -------------------------------------------------------------------------------------


@router.get("/admin", response_class=HTMLResponse)
def dashboard(request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.STAFF_AREA))) -> Response:
    if gate.denied:
        return gate.denied
    with ctx.db.read() as s:
        counts = admin_queries.counts(s)
    ev = get_event(ctx)
    return page(request, "admin/dashboard.html", counts=counts, phase=clock_of(ev).phase(ctx.now()).value)


# --- event settings -------------------------------------------------------------------------------

SETTING_FIELDS = (
    "mode",
    "team_size_limit",
    "start_at",
    "end_at",
    "freeze_at",
    "default_locale",
    "time_zones",
    "content_locales",
    "venue_rows",
    "venue_theme",
    "email_domains",
)
BOOL_FIELDS = ("paused", "registration_open", "email_required", "email_verification")
# One checkbox per staff role that may be required to use two-factor authentication.
TWO_FACTOR_FIELDS = {f"two_factor_{role}": role for role in two_factor.SETTABLE_ROLES}
TWO_FACTOR_LABELS = {
    "admin": lazy("Admins"),
    "judge": lazy("Judges"),
    "marshal": lazy("Marshals"),
    "author": lazy("Authors"),
}
TWO_FACTOR_CHOICES = [(key, TWO_FACTOR_LABELS[role]) for key, role in TWO_FACTOR_FIELDS.items()]


def _local(value: datetime | None) -> str:
    """A stored (naive UTC) time as a ``datetime-local`` value; seconds only when there are some."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%dT%H:%M:%S" if value.second else "%Y-%m-%dT%H:%M")


def _event_values(ev: t.Event) -> dict[str, object]:
    stored = localized(ev, EVENT_TEXT)
    texts = columns.stored(stored, EVENT_TEXT, columns.languages([ev.locale or "en"], stored.texts))
    return {
        **columns.values(texts),
        "mode": ev.mode,
        "team_size_limit": str(ev.team_size_limit),
        "start_at": _local(ev.start_at),
        "end_at": _local(ev.end_at),
        "freeze_at": _local(ev.freeze_at),
        "default_locale": ev.default_locale or "en",
        "time_zones": "\n".join(time_zones(ev)),
        "content_locales": ", ".join(ev.content_locales or []),
        "venue_rows": str(ev.venue_rows or event.VENUE_ROWS_DEFAULT),
        "venue_theme": event.venue_theme(ev),
        "paused": bool(ev.paused),
        "registration_open": bool(ev.registration_open),
        "email_required": bool(ev.email_required),
        "email_verification": bool(ev.email_verification),
        "email_domains": "\n".join(ev.email_domains or []),
        **{key: role in two_factor.required_roles(ev) for key, role in TWO_FACTOR_FIELDS.items()},
    }


def _event_page(
    request: Request, values: dict[str, object], errors: FormErrors | None = None, status_code: int = 200
) -> HTMLResponse:
    ev = get_event(request.app.state.ctx)
    source = ev.locale or "en"
    texts = columns.typed(values, EVENT_TEXT, [*LOCALES, source])
    return page(
        request,
        "admin/event.html",
        status_code=status_code,
        values=values,
        errors=errors or {},
        languages=columns.columns(texts, EVENT_TEXT, source),
        # The order readers get when none is declared (the field's help shows it).
        default_order=", ".join(content_order(SimpleNamespace(default_locale=ev.default_locale))),
        venue_rows_range=event.VENUE_ROWS,
        venue_themes=[("light", gettext("Light")), ("dark", gettext("Dark, high contrast"))],
        two_factor_choices=[(key, gettext(label)) for key, label in TWO_FACTOR_CHOICES],
        mail_ready=MailConfig.from_settings(request.app.state.settings).links,
    )


def _names(typed: str) -> list[str]:
    """Names typed one per line or separated by commas or spaces."""
    return [part for part in re.split(r"[\s,、]+", typed) if part]


def _event_errors(exc: DomainError, values: dict[str, str], texts: columns.Texts, source: str) -> FormErrors:
    fields = {name: name for name in (*SETTING_FIELDS, *BOOL_FIELDS)}
    errors = field_errors(exc, {**fields, **columns.error_keys(EVENT_TEXT, texts, source)})
    if exc.code is ErrorCode.VALUE_INVALID and exc.field == "end_at" and values["start_at"]:
        try:
            datetime.fromisoformat(values["end_at"])
        except ValueError:
            return errors  # the end itself is not a time
        # The end is a valid time, so what is wrong is its order relative to the start.
        errors = {"end_at": gettext("The end must be later than the start.")}
    if exc.code is ErrorCode.VALUE_INVALID and exc.field == "time_zones":
        errors = {"time_zones": gettext("Enter one to four time zones.")}
    if exc.code is ErrorCode.VALUE_INVALID and exc.field == "venue_rows":
        low, high = event.VENUE_ROWS
        errors = {"venue_rows": gettext("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)}
    return errors


@router.get("/admin/event", response_class=HTMLResponse)
def event_page(
    request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.EVENT_SETTINGS))
) -> Response:
    if gate.denied:
        return gate.denied
    return _event_page(request, _event_values(get_event(ctx)))


@router.post("/admin/event", response_class=HTMLResponse)
def save_event(
    request: Request, ctx: CtxDep, gate: Gate = Depends(post_gate(Action.EVENT_SETTINGS))
) -> Response:
    """Save every setting at once; times typed in the form are UTC. On any error nothing is saved
    and the form comes back with what was typed."""
    if gate.denied:
        return gate.denied
    typed = {name: text(gate.form, name).strip() for name in SETTING_FIELDS}
    ticks = {name: checked(gate.form, name) for name in (*BOOL_FIELDS, *TWO_FACTOR_FIELDS)}
    source = get_event(ctx).locale or "en"
    texts = columns.typed(gate.form, EVENT_TEXT, [*LOCALES, source])
    shown = {**typed, **ticks, **columns.values(texts)}
    errors: FormErrors
    if typed["default_locale"] not in LOCALES:
        errors = {"default_locale": message_for(DomainError(ErrorCode.VALUE_INVALID))}
    else:
        changes: dict[str, object] = {
            **typed,
            **ticks,
            "time_zones": _names(typed["time_zones"]) or None,
            "content_locales": _names(typed["content_locales"]),
            # Every column, the event's own language included (it writes the plain name and
            # description); an empty text removes that language's translation.
            "translations": {code: dict(fields) for code, fields in texts.items()},
        }
        for name in ("venue_rows", "venue_theme"):
            if name not in gate.form:
                del changes[name]  # a form from before the setting existed keeps the current value
        for key in TWO_FACTOR_FIELDS:
            del changes[key]
        if "two_factor_shown" in gate.form:  # (unticked boxes are not sent; this field always is)
            changes["two_factor_roles"] = [role for key, role in TWO_FACTOR_FIELDS.items() if ticks[key]]
        try:
            mail_ready = MailConfig.from_settings(request.app.state.settings).links
            event.update_event(ctx, changes, mail_ready=mail_ready)
        except DomainError as exc:
            errors = _event_errors(exc, typed, texts, source)
        else:
            return done(request, "/admin/event", "event_saved")
    return _event_page(request, shown, errors, 400)
