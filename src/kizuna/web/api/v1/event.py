"""``/event`` (Kizuna extension): the event's settings and where its clock stands.

``name`` and ``description`` come in the reader's language (``Accept-Language``, ``?lang=``), falling
back along ``content_locales``; ``translations`` holds every language's text and ``locale`` the
language of the event's own columns."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse

from kizuna.domain.policy import Action
from kizuna.services import event, two_factor
from kizuna.services.mail import MailConfig
from kizuna.services.translations import EVENT_TEXT
from kizuna.storage import tables as t
from kizuna.web.api.v1.common import localized_fields, ok, when
from kizuna.web.content import content_order, localized
from kizuna.web.deps import CtxDep, EventAdmin, MaybeUser

router = APIRouter(tags=["event"])
Payload = Annotated[dict[str, Any], Body()]


def _shape(ctx: Any, ev: t.Event, admin: bool) -> dict[str, Any]:
    order = content_order(ev)
    out = {
        **localized_fields(localized(ev, EVENT_TEXT), EVENT_TEXT, order),
        "mode": ev.mode,
        "team_size_limit": ev.team_size_limit,
        "start_at": when(ev.start_at),
        "end_at": when(ev.end_at),
        "freeze_at": when(ev.freeze_at),
        "paused": ev.paused,
        # Why it is paused, per language ({"en": …, "ja": …}); {} while it is not.
        "pause_reason": dict(ev.pause_reason or {}) if ev.paused else {},
        "phase": event.clock_of(ev).phase(ctx.now()).value,
        "registration_open": ev.registration_open,
        "default_locale": ev.default_locale,
        "content_locales": order,
        "time_zones": event.time_zones(ev),
        "venue_rows": ev.venue_rows or event.VENUE_ROWS_DEFAULT,
        # The venue screen's colours: "light", or "dark" (high contrast, for a projector in a dark hall).
        "venue_theme": event.venue_theme(ev),
        # Extra points for the 1st, 2nd and 3rd solve of each challenge; null: no bonus (default).
        "first_blood_bonus": list(ev.first_blood_bonus) if ev.first_blood_bonus else None,
    }
    if admin:
        out["email_required"] = ev.email_required
        # Registration: addresses verified by a mailed link; domains allowed (empty: any).
        out["email_verification"] = ev.email_verification
        out["email_domains"] = list(ev.email_domains or [])
        # The staff roles that must use two-factor authentication (PATCH null: the default, admins).
        out["two_factor_roles"] = two_factor.required_roles(ev)
    return out


@router.get("/event", summary="The event's settings and phase (not_started, running, paused, ended)")
def get_event(ctx: CtxDep, who: MaybeUser) -> JSONResponse:
    return ok(_shape(ctx, event.get_event(ctx), bool(who and who.can(Action.EVENT_SETTINGS))))


@router.patch(
    "/event",
    summary="Change the event's settings; times are ISO 8601, UTC when no offset; time_zones are IANA "
    "names; translations as for challenges (admin)",
)
def update_event(request: Request, ctx: CtxDep, who: EventAdmin, payload: Payload) -> JSONResponse:
    mail_ready = MailConfig.from_settings(request.app.state.settings).links
    return ok(_shape(ctx, event.update_event(ctx, payload, mail_ready=mail_ready), True))
