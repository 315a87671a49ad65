"""What the staff pages share: the policy gate, rendering with a one-time notice, form parsing and
placing domain errors next to the field that caused them.

Every staff route takes ``gate: Gate = Depends(view_gate(Action.X))`` (GET) or
``Depends(post_gate(Action.X))`` (POST), naming the policy action it needs (the table of which
route needs what is ``kizuna.web.policy_table``). Anonymous visitors are sent to the login form,
signed-in accounts whose role may not get a 403 page, and only then is a posted form read and its
CSRF token checked, so nothing about a form is processed for someone who may not use it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from kizuna.domain.errors import DomainError, ErrorCode, Forbidden
from kizuna.domain.policy import Action
from kizuna.i18n import (
    BOTH_SEPARATOR,
    current_locale,
    display_locales,
    gettext,
    gettext_in,
    lazy,
    translations,
)
from kizuna.services.accounts import Principal
from kizuna.web.deps import optional_principal, staff_action, two_factor_missing, verified_form
from kizuna.web.messages import MESSAGES, message_for
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
    "bracket_created": lazy("The bracket has been added."),
    "bracket_saved": lazy("The bracket has been saved."),
    "bracket_deleted": lazy("The bracket has been removed. Its accounts are in no bracket now."),
    "account_hidden": lazy("The account has been hidden pending review."),
    "writeup_prize_saved": lazy("The write-up's prize has been saved."),
    "account_shown": lazy("The account is shown on the scoreboard again."),
    "event_started": lazy("The event has been started."),
    "event_paused": lazy("The event has been paused. Every page now says so, with your reason."),
    "event_resumed": lazy("The event has been resumed."),
    "event_extended": lazy("The end of the event has been moved."),
    "scoreboard_frozen": lazy("The scoreboard has been frozen."),
    "scoreboard_unfrozen": lazy("The scoreboard has been unfrozen."),
    "review_accepted": lazy("The answer has been accepted."),
    "review_rejected": lazy("The answer has been rejected. The player can read your comment."),
    "signal_dismissed": lazy("The signal has been dismissed."),
    "signals_scanned": lazy("The list is up to date."),
    "signal_already_dismissed": lazy("This signal has already been dismissed."),
    "certificate_revoked": lazy("The certificate has been revoked: it no longer verifies."),
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


def page(
    request: Request,
    template: str,
    status_code: int = 200,
    labels: FieldLabels | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render an admin page, showing (once) the notice a previous redirect left in the session.
    With ``labels``, each error names its field (``FieldLabels.name``)."""
    notice = request.session.pop(NOTICE_KEY, None) if status_code < 400 else None
    context.setdefault("notice", gettext(NOTICES[notice]) if notice in NOTICES else "")
    context["errors"] = labels.name(context.get("errors") or {}) if labels else context.get("errors") or {}
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


R = TypeVar("R")


def open_row(request: Request, gate: Gate, load: Callable[[], R]) -> R | Response:
    """The row a staff page works on (``load()``), or what to answer instead: the gate's refusal, or
    the same 404 as a missing page when ``load`` finds nothing (a DomainError)."""
    if gate.denied:
        return gate.denied
    try:
        return load()
    except DomainError:
        return not_found(request)


def page_number(value: str) -> int:
    """The page asked for in a list's query string; 1 when it is missing or not a number."""
    return int(value) if value.isascii() and value.isdigit() and int(value) > 0 else 1


def invalid_form() -> FormErrors:
    """The error for a form that our pages would never send (a crafted or outdated one)."""
    return {"": message_for(DomainError(ErrorCode.VALUE_INVALID))}


def field_errors(
    exc: DomainError, fields: Mapping[str, str], default: str = "", labels: FieldLabels | None = None
) -> FormErrors:
    """The sentence for ``exc``, keyed by the form field it belongs to.

    ``fields`` maps the service's field names to this form's field keys; an error about any other
    field (or none) goes to ``default`` — the form as a whole when that is "". With ``labels`` the
    sentence names the field, in words suited to the field's kind (``FieldLabels.error``)."""
    key = fields.get(exc.field, default)
    return {key: labels.error(exc, key) if labels else message_for(exc)}


# --- errors that name their field -----------------------------------------------------------------


class Named(str):
    """An error sentence that already names its field ("Start: enter a date and time.")."""

    __slots__ = ()


# Sentences for the common problems, each a whole sentence naming the field.
REQUIRED = lazy("%(field)s: fill this in.")
NOT_A_NUMBER = lazy("%(field)s: enter a whole number.")
NOT_A_TIME = lazy("%(field)s: enter a date and time.")
NOT_VALID = lazy("%(field)s: this value is not valid.")
# Any other sentence after its field's name.
WITH_FIELD = lazy("%(field)s: %(message)s")


def named(pattern: str, label: str, message: str = "", **params: object) -> Named:
    """``pattern`` (one of the sentences above, or another "%(field)s: …" one) for the field
    labelled ``label``; ``message`` a catalog sentence put in its ``%(message)s``. Each language
    shown gets its own words throughout (in both-languages mode the halves are not mixed)."""
    texts = []
    for code in display_locales():
        inner = _filled(code, message, params) if message else ""
        texts.append(_filled(code, pattern, {**params, "field": gettext_in(code, label), "message": inner}))
    return Named(BOTH_SEPARATOR.join(dict.fromkeys(texts)))


def _filled(code: str, pattern: str, values: Mapping[str, object]) -> str:
    """``pattern`` in the language ``code``, its placeholders filled (some are named "message" or
    "locale", which ``gettext_in`` cannot take as keywords)."""
    text = str(translations(code).gettext(pattern))
    return text % values if values else text


@dataclass(frozen=True)
class FieldLabels:
    """A form's field labels, keyed by field key (lazy strings, as the template shows them), and
    which fields take whole numbers or times, so an invalid value is explained in those words.

    Every error on a staff form is then one line that names its field, beside the field and in the
    summary at the top: "Start: enter a date and time." / 「開始：日時を入力してください。」"""

    labels: Mapping[str, str]
    numbers: Collection[str] = ()
    times: Collection[str] = ()

    def error(self, exc: DomainError, key: str) -> str:
        """The sentence for ``exc`` on the field ``key``, naming it when its label is known."""
        label = self.labels.get(key)
        if not label:
            return message_for(exc)
        if exc.code in (ErrorCode.FIELD_REQUIRED, ErrorCode.NAME_EMPTY):
            return named(REQUIRED, label)
        if exc.code is ErrorCode.VALUE_INVALID:
            if key in self.numbers:
                return named(NOT_A_NUMBER, label)
            if key in self.times:
                return named(NOT_A_TIME, label)
            return named(NOT_VALID, label)
        return named(WITH_FIELD, self.labels[key], MESSAGES[exc.code], **exc.params)

    def name(self, errors: Mapping[str, str]) -> FormErrors:
        """Each sentence not yet naming its field, after its field's label."""
        out: FormErrors = {}
        for key, message in errors.items():
            label = self.labels.get(key)
            if isinstance(message, Named) or not label:
                out[key] = message
            else:
                # The sentence is already in the language(s) shown: one pattern around it.
                line = _filled(
                    current_locale.get(), WITH_FIELD, {"field": gettext(label), "message": message}
                )
                out[key] = Named(line)
        return out

    def __or__(self, other: FieldLabels) -> FieldLabels:
        return FieldLabels(
            {**self.labels, **other.labels},
            {*self.numbers, *other.numbers},
            {*self.times, *other.times},
        )
