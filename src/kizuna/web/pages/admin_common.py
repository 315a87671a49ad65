"""What the staff pages share: the policy gate, rendering with a one-time notice, form parsing and
placing domain errors next to the field that caused them.

Every staff route takes ``gate: Gate = Depends(view_gate(Action.X))`` (GET) or
``Depends(post_gate(Action.X))`` (POST), naming the policy action it needs (the table of which
route needs what is ``kizuna.web.policy_table``). Anonymous visitors are sent to the login form,
signed-in accounts whose role may not get a 403 page, and only then is a posted form read and its
CSRF token checked, so nothing about a form is processed for someone who may not use it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from kizuna.domain.errors import DomainError, ErrorCode, Forbidden
from kizuna.domain.policy import Action
from kizuna.i18n import gettext, lazy
from kizuna.services.accounts import Principal
from kizuna.web.deps import optional_principal, staff_action, two_factor_missing, verified_form
from kizuna.web.messages import message_for
from kizuna.web.pages.player_helpers import FormErrors, here, login_redirect, see_other
from kizuna.web.render import render, render_error

Form = dict[str, object]
NOTICE_KEY = "admin_notice"

# One-time confirmations shown after a redirect. The session keeps the id, never the sentence, so
# the notice appears in the language of the page that shows it.
NOTICES: dict[str, str] = {
    "event_saved": lazy("The event settings have been saved."),
    "challenge_created": lazy("The challenge has been created."),
    "challenge_saved": lazy("The challenge has been saved."),
    "challenge_deleted": lazy("The challenge has been deleted."),
    "flag_added": lazy("The flag has been added."),
    "flag_deleted": lazy("The flag has been deleted."),
    "hint_added": lazy("The hint has been added."),
    "hint_saved": lazy("The hint has been saved."),
    "hint_deleted": lazy("The hint has been deleted."),
    "tag_added": lazy("The tag has been added."),
    "tag_deleted": lazy("The tag has been deleted."),
    "file_uploaded": lazy("The file has been uploaded."),
    "file_deleted": lazy("The file has been deleted."),
    "user_saved": lazy("The account has been saved."),
    "password_set": lazy("The new password has been set. The account's other sessions have ended."),
    "two_factor_reset": lazy("Two-factor authentication is off for this account. Its sessions have ended."),
    "team_saved": lazy("The team has been saved."),
    "team_deleted": lazy("The team has been deleted. Its members are no longer in a team."),
    "award_granted": lazy("The award has been granted."),
    "award_deleted": lazy("The award has been deleted."),
    "category_names_saved": lazy("The category names have been saved."),
    "announcement_created": lazy("The announcement has been published."),
    "announcement_deleted": lazy("The announcement has been deleted."),
    "page_created": lazy("The page has been created."),
    "page_saved": lazy("The page has been saved."),
    "page_deleted": lazy("The page has been deleted."),
    "sponsor_created": lazy("The entry has been added to the home page."),
    "sponsor_saved": lazy("The entry has been saved."),
    "sponsor_deleted": lazy("The entry has been removed from the home page."),
    "account_hidden": lazy("The account has been hidden pending review."),
    "account_shown": lazy("The account is shown on the scoreboard again."),
    "event_started": lazy("The event has been started."),
    "event_paused": lazy("The event has been paused. Every page now says so, with your reason."),
    "event_resumed": lazy("The event has been resumed."),
    "event_extended": lazy("The end of the event has been moved."),
    "scoreboard_frozen": lazy("The scoreboard has been frozen."),
    "scoreboard_unfrozen": lazy("The scoreboard has been unfrozen."),
}


@dataclass(frozen=True)
class Gate:
    """The outcome of the policy check: either ``denied`` is the response to send, or ``who`` may
    take the gate's action and ``form`` holds the posted fields (CSRF already checked)."""

    who: Principal | None
    denied: Response | None = None
    form: Form = field(default_factory=dict)

    @property
    def staff(self) -> Principal:
        """The signed-in staff member the gate let through."""
        assert self.who is not None and self.denied is None
        return self.who


def check_gate(request: Request, action: Action) -> Gate:
    """Ask the policy whether the signed-in account may take ``action``."""
    who = optional_principal(request)
    if who is None:
        return Gate(None, login_redirect(request))
    if not who.can(action):
        return Gate(who, render_error(request, 403, message_for(Forbidden())))
    if staff_action(action) and two_factor_missing(request, who):
        # The role must use two-factor authentication (the event's setting): set it up first.
        target = here(request) if request.method == "GET" else "/admin"
        return Gate(who, see_other(f"/account/two-factor?next={quote(target, safe='/')}"))
    return Gate(who)


def view_gate(action: Action) -> Callable[[Request], Gate]:
    """The dependency of a staff page shown to roles allowed ``action``."""

    def gate(request: Request) -> Gate:
        return check_gate(request, action)

    gate.__name__ = f"view_gate_{action.name.lower()}"
    return gate


def post_gate(action: Action) -> Callable[[Request], Awaitable[Gate]]:
    """The dependency of a staff form post: the gate first, then the CSRF-checked form."""

    async def gate(request: Request) -> Gate:
        checked = check_gate(request, action)
        if checked.denied is not None:
            return checked
        return replace(checked, form=await verified_form(request))

    gate.__name__ = f"post_gate_{action.name.lower()}"
    return gate


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render an admin page, showing (once) the notice a previous redirect left in the session."""
    notice = request.session.pop(NOTICE_KEY, None) if status_code < 400 else None
    context.setdefault("notice", gettext(NOTICES[notice]) if notice in NOTICES else "")
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return render(request, template, status_code=status_code, **context)


def done(request: Request, url: str, notice: str) -> RedirectResponse:
    """After a successful change: redirect (so reloading does not repeat it) with a notice."""
    assert notice in NOTICES
    request.session[NOTICE_KEY] = notice
    return see_other(url)


def not_found(request: Request) -> HTMLResponse:
    return render_error(request, 404, message_for(DomainError(ErrorCode.NOT_FOUND, status=404)))


# --- form fields ----------------------------------------------------------------------------------


def text(form: Form, key: str) -> str:
    """One text field ("" when absent; the first value if it was sent several times)."""
    value = form.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


def many(form: Form, key: str) -> list[str]:
    """Every value of a multi-valued field (a multiple select, a checkbox group)."""
    value = form.get(key)
    values = value if isinstance(value, list) else [] if value is None else [value]
    return [v for v in values if isinstance(v, str) and v]


def checked(form: Form, key: str) -> bool:
    """Unchecked boxes are not sent at all; a checked one is."""
    return key in form


def uploads(form: Form, key: str) -> list[UploadFile]:
    """Chosen files; a file input left empty is sent with no file name and is ignored."""
    value = form.get(key)
    values = value if isinstance(value, list) else [] if value is None else [value]
    return [v for v in values if isinstance(v, UploadFile) and v.filename]


def optional_int(value: str) -> int | None:
    """A whole number typed in a filter or select, or None when it is empty or not a number."""
    try:
        return int(value) if value.strip() else None
    except ValueError:
        return None


def page_number(value: str) -> int:
    """The page asked for in a list's query string; 1 when it is missing or not a number."""
    return int(value) if value.isascii() and value.isdigit() and int(value) > 0 else 1


def invalid_form() -> FormErrors:
    """The error for a form that our pages would never send (a crafted or outdated one)."""
    return {"": message_for(DomainError(ErrorCode.VALUE_INVALID))}


def field_errors(exc: DomainError, fields: dict[str, str], default: str = "") -> FormErrors:
    """The sentence for ``exc``, keyed by the form field it belongs to.

    ``fields`` maps the service's field names to this form's field keys; an error about any other
    field (or none) goes to ``default`` — the form as a whole when that is ""."""
    return {fields.get(exc.field, default): message_for(exc)}
