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
from kizuna.domain.scoring import MAX_BONUS
from kizuna.i18n import LOCALES, gettext, lazy
from kizuna.services import event, two_factor
from kizuna.services.event import clock_of, get_event, time_zones
from kizuna.services.mail import MailConfig
from kizuna.services.translations import EVENT_TEXT
from kizuna.storage import admin_queries
from kizuna.storage import tables as t
from kizuna.web import zoned_inputs as zoned
from kizuna.web.content import content_order, localized
from kizuna.web.deps import CtxDep
from kizuna.web.pages import admin_columns as columns
from kizuna.web.pages.admin_common import (
    NOT_VALID,
    FieldLabels,
    Gate,
    checked,
    done,
    field_errors,
    named,
    page,
    post_gate,
    text,
    view_gate,
)
from kizuna.web.pages.player_helpers import FormErrors
from kizuna.web.zones import in_zones

router = APIRouter()


# --- overview -------------------------------------------------------------------------------------


@router.get("/admin", response_class=HTMLResponse)
def dashboard(request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.STAFF_AREA))) -> Response:
    if gate.denied:
        return gate.denied
    with ctx.db.read() as s:
        counts = admin_queries.counts(s)
    ev = get_event(ctx)
    zones = time_zones(ev)
    return page(
        request,
        "admin/dashboard.html",
        counts=counts,
        phase=clock_of(ev).phase(ctx.now()).value,
        # The start, end and freeze in every event zone, as the home page shows them.
        milestones={key: in_zones(getattr(ev, key), zones) for key in TIME_FIELDS},
    )


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
# Typed as a clock time in the zone chosen beside each (``web.zoned_inputs``), stored in UTC.
TIME_FIELDS = ("start_at", "end_at", "freeze_at")
# The first-blood bonus: points for the first, second and third solve of each challenge.
BONUS_LABELS = {
    "first_blood_bonus_1": lazy("Bonus for the first solve"),
    "first_blood_bonus_2": lazy("Bonus for the second solve"),
    "first_blood_bonus_3": lazy("Bonus for the third solve"),
}
BONUS_FIELDS = tuple(BONUS_LABELS)
# The labels the form shows, for errors that name their field.
EVENT_LABELS = FieldLabels(
    {
        "mode": lazy("Mode"),
        "team_size_limit": lazy("Team size limit"),
        "start_at": lazy("Start"),
        "end_at": lazy("End"),
        "freeze_at": lazy("Scoreboard freeze"),
        "time_zones": lazy("Time zones"),
        "email_verification": lazy("Players must verify their e-mail address before playing"),
        "email_domains": lazy("Allowed e-mail domains"),
        "default_locale": lazy("Default language"),
        "content_locales": lazy("Content language order"),
        "venue_rows": lazy("Rows on the venue screen"),
        **BONUS_LABELS,
    },
    numbers=("team_size_limit", "venue_rows", *BONUS_FIELDS),
    times=TIME_FIELDS,
)
EVENT_TEXT_LABELS = {"name": lazy("Event name"), "description": lazy("Description")}


def _labels(codes: list[str]) -> FieldLabels:
    return EVENT_LABELS | FieldLabels(columns.labels(EVENT_TEXT_LABELS, codes))


def _event_values(request: Request, ev: t.Event) -> dict[str, object]:
    stored = localized(ev, EVENT_TEXT)
    texts = columns.stored(stored, EVENT_TEXT, columns.languages([ev.locale or "en"], stored.texts))
    offered = zoned.input_zones(ev)
    chosen = {key: zoned.remembered(request, key, offered) for key in TIME_FIELDS}
    return {
        **columns.values(texts),
        "mode": ev.mode,
        "team_size_limit": str(ev.team_size_limit),
        **{key: zoned.wall_value(getattr(ev, key), chosen[key]) for key in TIME_FIELDS},
        **{key + zoned.ZONE_SUFFIX: chosen[key] for key in TIME_FIELDS},
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
        **{key: str((ev.first_blood_bonus or [0, 0, 0])[i]) for i, key in enumerate(BONUS_FIELDS)},
    }


def _event_page(
    request: Request,
    values: dict[str, object],
    errors: FormErrors | None = None,
    status_code: int = 200,
    instants: dict[str, datetime | None] | None = None,
) -> HTMLResponse:
    """The form; ``instants``: the times to preview in every zone (default: the stored ones)."""
    ev = get_event(request.app.state.ctx)
    source = ev.locale or "en"
    texts = columns.typed(values, EVENT_TEXT, [*LOCALES, source])
    offered = zoned.input_zones(ev)
    shown = instants if instants is not None else {key: getattr(ev, key) for key in TIME_FIELDS}
    return page(
        request,
        "admin/event.html",
        status_code=status_code,
        labels=_labels(list(texts)),
        values=values,
        errors=errors or {},
        times={
            key: zoned.time_input(
                str(values.get(key + zoned.ZONE_SUFFIX) or offered[0]), offered, shown.get(key)
            )
            for key in TIME_FIELDS
        },
        languages=columns.columns(texts, EVENT_TEXT, source),
        # The order readers get when none is declared (the field's help shows it).
        default_order=", ".join(content_order(SimpleNamespace(default_locale=ev.default_locale))),
        venue_rows_range=event.VENUE_ROWS,
        venue_themes=[("light", gettext("Light")), ("dark", gettext("Dark, high contrast"))],
        two_factor_choices=[(key, gettext(label)) for key, label in TWO_FACTOR_CHOICES],
        bonus_fields=[(key, gettext(label)) for key, label in BONUS_LABELS.items()],
        bonus_max=MAX_BONUS,
        mail_ready=MailConfig.from_settings(request.app.state.settings).links,
    )


def _names(typed: str) -> list[str]:
    """Names typed one per line or separated by commas or spaces."""
    return [part for part in re.split(r"[\s,、]+", typed) if part]


# The event form's own sentences, each naming its field.
END_BEFORE_START = lazy("%(field)s: must be later than the start.")
ONE_TO_FOUR_ZONES = lazy("%(field)s: enter one to four time zones.")
NUMBER_FROM_TO = lazy("%(field)s: enter a whole number from %(low)s to %(high)s.")


def _event_errors(exc: DomainError, texts: columns.Texts, source: str) -> FormErrors:
    fields = {name: name for name in (*SETTING_FIELDS, *BOOL_FIELDS)}
    labels = _labels(list(texts))
    errors = field_errors(exc, {**fields, **columns.error_keys(EVENT_TEXT, texts, source)}, labels=labels)
    if exc.code is ErrorCode.VALUE_INVALID and exc.field == "end_at":
        # The times were read before (each is a time), so what is wrong is the order.
        errors = {"end_at": named(END_BEFORE_START, EVENT_LABELS.labels["end_at"])}
    if exc.code is ErrorCode.VALUE_INVALID and exc.field == "time_zones":
        errors = {"time_zones": named(ONE_TO_FOUR_ZONES, EVENT_LABELS.labels["time_zones"])}
    if exc.code is ErrorCode.VALUE_INVALID and exc.field == "venue_rows":
        low, high = event.VENUE_ROWS
        errors = {"venue_rows": named(NUMBER_FROM_TO, EVENT_LABELS.labels["venue_rows"], low=low, high=high)}
    return errors


def _read_times(
    form: dict[str, object], typed: dict[str, str], offered: list[str]
) -> tuple[dict[str, datetime | None], dict[str, str], FormErrors]:
    """Each time typed in the zone chosen beside it: the instants (naive UTC), the zones chosen,
    and an error naming each field that could not be read."""
    instants: dict[str, datetime | None] = {}
    chosen: dict[str, str] = {}
    errors: FormErrors = {}
    for key in TIME_FIELDS:
        try:
            chosen[key] = zoned.chosen_zone(form, key, offered)
            instants[key] = zoned.read_time(typed[key], chosen[key], key)
        except DomainError as exc:
            errors[key] = EVENT_LABELS.error(exc, key)
            instants[key] = None
    return instants, chosen, errors


def _read_bonus(form: dict[str, object]) -> tuple[list[int], FormErrors]:
    """The three bonus inputs as points (empty: 0), and an error naming each that is not a whole
    number from 0 to ``MAX_BONUS``."""
    points: list[int] = []
    errors: FormErrors = {}
    for key in BONUS_FIELDS:
        typed = text(form, key).strip()
        try:
            value = int(typed) if typed else 0
        except ValueError:
            value = -1
        if not 0 <= value <= MAX_BONUS:
            errors[key] = named(NUMBER_FROM_TO, EVENT_LABELS.labels[key], low=0, high=MAX_BONUS)
            value = 0
        points.append(value)
    return points, errors


@router.get("/admin/event", response_class=HTMLResponse)
def event_page(
    request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.EVENT_SETTINGS))
) -> Response:
    if gate.denied:
        return gate.denied
    return _event_page(request, _event_values(request, get_event(ctx)))


@router.post("/admin/event", response_class=HTMLResponse)
def save_event(
    request: Request, ctx: CtxDep, gate: Gate = Depends(post_gate(Action.EVENT_SETTINGS))
) -> Response:
    """Save every setting at once; each time is read in the zone chosen beside it (UTC when the form
    sends none) and stored in UTC. On any error nothing is saved and the form comes back with what
    was typed."""
    if gate.denied:
        return gate.denied
    ev = get_event(ctx)
    typed = {name: text(gate.form, name).strip() for name in SETTING_FIELDS}
    ticks = {name: checked(gate.form, name) for name in (*BOOL_FIELDS, *TWO_FACTOR_FIELDS)}
    source = ev.locale or "en"
    texts = columns.typed(gate.form, EVENT_TEXT, [*LOCALES, source])
    offered = zoned.input_zones(ev)
    instants, chosen, errors = _read_times(gate.form, typed, offered)
    zones_typed = {key + zoned.ZONE_SUFFIX: chosen.get(key) or offered[0] for key in TIME_FIELDS}
    shown = {**typed, **zones_typed, **ticks, **columns.values(texts)}
    if typed["default_locale"] not in LOCALES:
        errors = {**errors, "default_locale": named(NOT_VALID, EVENT_LABELS.labels["default_locale"])}
    bonus, bonus_errors = _read_bonus(gate.form)
    errors = {**errors, **bonus_errors}
    shown.update({key: text(gate.form, key).strip() for key in BONUS_FIELDS})
    if not errors:
        changes: dict[str, object] = {
            **typed,
            **ticks,
            **instants,
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
        if "first_blood_bonus_shown" in gate.form:  # a form from before the setting keeps it
            changes["first_blood_bonus"] = bonus
        if "two_factor_shown" in gate.form:  # (unticked boxes are not sent; this field always is)
            changes["two_factor_roles"] = [role for key, role in TWO_FACTOR_FIELDS.items() if ticks[key]]
        try:
            mail_ready = MailConfig.from_settings(request.app.state.settings).links
            event.update_event(ctx, changes, mail_ready=mail_ready)
        except DomainError as exc:
            errors = _event_errors(exc, texts, source)
        else:
            zoned.remember(request, chosen)
            return done(request, "/admin/event", "event_saved")
    return _event_page(request, shown, errors, 400, instants)
