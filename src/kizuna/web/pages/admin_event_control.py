"""The event control page, ``/admin/event/control``: start now, pause with a reason in each
language, resume, extend the end, freeze and unfreeze the scoreboard.

Every button works without JavaScript and asks first: its form posts to
``/admin/event/control/<action>``, which checks the input and answers with a confirmation page
saying what will happen; that page posts the same values back with ``confirm``, the action is taken
(``services.event_control``) and the browser is redirected to the control page with a one-time
notice, so reloading repeats nothing. Times are shown, and typed, in the reader's zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.clock import EventClock, Phase, utc
from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.event_state import MAX_EXTEND_MINUTES, MAX_REASON, ControlAction, plan
from kizuna.domain.policy import Action
from kizuna.i18n import LOCALES, current_locale, gettext, language_name, lazy
from kizuna.services import event_control
from kizuna.services.event import clock_of, get_event, time_zones
from kizuna.services.event_control import Inputs, Preview
from kizuna.web import zoned_inputs as zoned
from kizuna.web.deps import CtxDep
from kizuna.web.messages import message_for
from kizuna.web.pages.admin_common import (
    FieldLabels,
    Form,
    Gate,
    done,
    not_found,
    page,
    post_gate,
    text,
    view_gate,
)
from kizuna.web.pages.player_helpers import FormErrors
from kizuna.web.zones import in_zones, utc_iso, viewer_zone

router = APIRouter()
URL = "/admin/event/control"
ControlView = Annotated[Gate, Depends(view_gate(Action.EVENT_CONTROL))]
ControlPost = Annotated[Gate, Depends(post_gate(Action.EVENT_CONTROL))]

NOTICE_OF = {
    ControlAction.START: "event_started",
    ControlAction.PAUSE: "event_paused",
    ControlAction.RESUME: "event_resumed",
    ControlAction.EXTEND: "event_extended",
    ControlAction.FREEZE: "scoreboard_frozen",
    ControlAction.UNFREEZE: "scoreboard_unfrozen",
}

# The confirmation page of each action: its question, what will happen, and the button that does it.
CONFIRM: dict[ControlAction, tuple[str, str, str]] = {
    ControlAction.START: (
        lazy("Start the event now?"),
        lazy("The event starts at once. Players can see the challenges and submit flags from now on."),
        lazy("Yes, start the event now"),
    ),
    ControlAction.PAUSE: (
        lazy("Pause the event?"),
        lazy(
            "Players cannot submit flags or unlock hints until you resume the event. Every page shows "
            "that the event is paused, with this reason in the reader's language:"
        ),
        lazy("Yes, pause the event"),
    ),
    ControlAction.RESUME: (
        lazy("Resume the event?"),
        lazy("Players can submit flags and unlock hints again, and the pause notice disappears."),
        lazy("Yes, resume the event"),
    ),
    ControlAction.EXTEND: (
        lazy("Extend the event?"),
        lazy("The end of the event moves later. Countdowns follow the new end."),
        lazy("Yes, extend the event"),
    ),
    ControlAction.FREEZE: (
        lazy("Freeze the scoreboard now?"),
        lazy(
            "From now on the public scoreboard stops changing. Players still see their own solves; "
            "judges and admins see the live scoreboard."
        ),
        lazy("Yes, freeze the scoreboard"),
    ),
    ControlAction.UNFREEZE: (
        lazy("Unfreeze the scoreboard?"),
        lazy("The public scoreboard shows every solve again, including those made during the freeze."),
        lazy("Yes, unfreeze the scoreboard"),
    ),
}


@dataclass(frozen=True)
class TimeRow:
    """A stored time for the page: ISO UTC for ``<time datetime>`` and the value to format."""

    label: str
    value: datetime | None
    iso: str


def _available(clock: EventClock, now: datetime) -> set[ControlAction]:
    """The actions the event's state allows now (pause and extend also need input)."""
    out: set[ControlAction] = set()
    for action in (ControlAction.START, ControlAction.RESUME, ControlAction.FREEZE, ControlAction.UNFREEZE):
        try:
            plan(action, clock, now)
        except DomainError:
            continue
        out.add(action)
    ended = clock.phase(now) is Phase.ENDED
    if not clock.paused and not ended:
        out.add(ControlAction.PAUSE)
    if clock.end_at is not None:
        out.add(ControlAction.EXTEND)
    return out


def _reasons(reason: dict[str, str] | None) -> list[tuple[str, str, str]]:
    """(locale, its name in the reader's language, text) for each language of a pause reason."""
    reader = current_locale.get()
    return [(code, language_name(code, reader), text) for code, text in (reason or {}).items() if text]


def _reason_fields() -> list[tuple[str, str]]:
    """(locale, its name in the reader's language) for each reason field, the reader's first."""
    reader = current_locale.get()
    codes = sorted(LOCALES, key=lambda code: code != reader)
    return [(code, language_name(code, reader)) for code in codes]


# The labels the forms show, for errors that name their field.
CONTROL_LABELS = FieldLabels(
    {"end_local": lazy("New end"), "minutes": lazy("Or add minutes")},
    numbers=("minutes",),
    times=("end_local",),
)
REASON_IN = lazy("Reason in %(language)s")


def _control_page(
    request: Request,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
    new_end: datetime | None = None,
) -> HTMLResponse:
    """The page; ``new_end``: a new end typed (and valid) in a form that failed, to preview."""
    ctx = request.app.state.ctx
    ev = get_event(ctx)
    now = ctx.now()
    clock = clock_of(ev)
    offered = zoned.input_zones(ev)
    shown = dict(values or {})
    shown.setdefault(END_ZONE, zoned.remembered(request, "end_local", offered))
    times = [
        TimeRow(gettext("Start"), ev.start_at, utc_iso(ev.start_at) if ev.start_at else ""),
        TimeRow(gettext("End"), ev.end_at, utc_iso(ev.end_at) if ev.end_at else ""),
        TimeRow(gettext("Scoreboard freeze"), ev.freeze_at, utc_iso(ev.freeze_at) if ev.freeze_at else ""),
    ]
    return page(
        request,
        "admin/event_control.html",
        status_code=status_code,
        phase=clock.phase(now).value,
        frozen=clock.frozen(now),
        times=times,
        reasons=_reasons(ev.pause_reason) if ev.paused else [],
        available={a.value for a in _available(clock, now)},
        reason_fields=_reason_fields(),
        max_reason=MAX_REASON,
        max_minutes=MAX_EXTEND_MINUTES,
        end_input=zoned.time_input(shown[END_ZONE], offered, new_end),
        values=shown,
        errors=errors or {},
        labels=_control_labels(),
    )


def _control_labels() -> FieldLabels:
    """The reason fields are named as the form labels them ("Reason in Japanese")."""
    reader = current_locale.get()
    reasons = {f"reason_{code}": gettext(REASON_IN, language=language_name(code, reader)) for code in LOCALES}
    return CONTROL_LABELS | FieldLabels(reasons)


@router.get(URL, response_class=HTMLResponse)
def control_page(request: Request, gate: ControlView) -> Response:
    if gate.denied:
        return gate.denied
    return _control_page(request)


# --- the posted forms -------------------------------------------------------------------------------


END_ZONE = "end_local" + zoned.ZONE_SUFFIX


def _end_zone(request: Request, form: Form) -> str:
    """The zone the new end is typed in: the one chosen beside it, else (a form from before zones
    were offered) the reader's zone."""
    ev = get_event(request.app.state.ctx)
    return zoned.chosen_zone(form, "end_local", zoned.input_zones(ev), default=viewer_zone(request, ev))


def _local_time(typed: str, zone: str) -> datetime | None:
    """The new end typed in ``zone``, as an instant; None when empty."""
    return utc(zoned.read_time(typed, zone, "end_at"))


def _instant(typed: str) -> datetime | None:
    """The new end as the confirmation page carries it: ISO 8601 in UTC."""
    try:
        return utc(datetime.fromisoformat(typed.replace("Z", "+00:00"))) if typed else None
    except ValueError:
        raise DomainError(ErrorCode.VALUE_INVALID, field="end_at") from None


def _inputs(action: ControlAction, form: Form, zone: str, confirming: bool) -> Inputs:
    if action is ControlAction.PAUSE:
        return Inputs(reason={code: text(form, f"reason_{code}") for code in LOCALES})
    if action is ControlAction.EXTEND:
        if confirming:  # the confirmation page carries the exact new end, never "+N" again
            return Inputs(end_at=_instant(text(form, "end_at")))
        return Inputs(
            end_at=_local_time(text(form, "end_local"), zone), minutes=text(form, "minutes").strip()
        )
    return Inputs()


def _typed(form: Form) -> dict[str, str]:
    """What was typed, to show again when the form comes back with an error."""
    keys = [f"reason_{code}" for code in LOCALES] + ["end_local", END_ZONE, "minutes"]
    return {key: text(form, key) for key in keys}


def _form_errors(exc: DomainError) -> FormErrors:
    """The error next to its field on the control page; state refusals above the forms."""
    field = exc.field
    if field == "reason":
        key = f"reason_{current_locale.get()}"
    elif field.startswith("reason.") and field.removeprefix("reason.") in LOCALES:
        key = f"reason_{field.removeprefix('reason.')}"
    elif field in ("end_at", "end_local", "minutes"):
        key = "minutes" if field == "minutes" else "end_local"
    else:
        key = ""
    return {key: CONTROL_LABELS.error(exc, key) if key == "end_local" else message_for(exc)}


def _confirm_page(request: Request, action: ControlAction, preview: Preview) -> HTMLResponse:
    title, consequence, button = CONFIRM[action]
    changes = preview.plan.changes
    hidden: dict[str, str] = {"confirm": "1"}
    extra: dict[str, Any] = {}
    if action is ControlAction.PAUSE:
        reason = changes["pause_reason"]
        hidden.update({f"reason_{code}": reason.get(code, "") for code in LOCALES})
        extra["reasons"] = _reasons(reason)
    elif action is ControlAction.EXTEND:
        hidden["end_at"] = utc_iso(changes["end_at"])
        old = preview.clock.end_at
        extra.update(old_end=old, old_end_iso=utc_iso(old) if old else "", new_end=changes["end_at"])
        # The new end in UTC and each event zone, as the organiser may have typed it in any of them.
        zones = zoned.preview_zones(time_zones(get_event(request.app.state.ctx)))
        extra["new_end_times"] = in_zones(changes["end_at"], zones)
    return page(
        request,
        "admin/event_control_confirm.html",
        title=gettext(title),
        consequence=gettext(consequence),
        button=gettext(button),
        action_url=f"{URL}/{action.value}",
        hidden=hidden,
        cancel=URL,
        kind=action.value,
        **extra,
    )


@router.post(URL + "/{action}", response_class=HTMLResponse)
def control_action(request: Request, ctx: CtxDep, action: str, gate: ControlPost) -> Response:
    """First post: check the input and ask for confirmation. Second post (``confirm``): act."""
    if gate.denied:
        return gate.denied
    if action not in {a.value for a in ControlAction}:
        return not_found(request)
    chosen = ControlAction(action)
    confirming = "confirm" in gate.form
    given = None
    try:
        zone = _end_zone(request, gate.form) if chosen is ControlAction.EXTEND else ""
        given = _inputs(chosen, gate.form, zone, confirming)
        if confirming:
            event_control.apply(ctx, gate.staff, chosen, given)
        else:
            preview = event_control.preview(ctx, chosen, given)
            if zone and gate.form.get(END_ZONE):
                zoned.remember(request, {"end_local": zone})
            return _confirm_page(request, chosen, preview)
    except DomainError as exc:
        status = exc.status if exc.status in (400, 409) else 400
        new_end = given.end_at if given is not None else None
        return _control_page(request, _typed(gate.form), _form_errors(exc), status, new_end)
    return done(request, URL, NOTICE_OF[chosen])
