"""One-time messages for Post/Redirect/Get.

A page form's POST changes something and answers ``303 See Other`` to a page; that page says what
happened, once. Reloading it repeats nothing (the browser reloads the GET, not the POST), so a hint
is never unlocked and a flag never submitted twice by a reload.

The message waits in the session between the two requests, as a message id plus values — never a
sentence, so the page renders it in the reader's language at that moment (a language change in
between included), and never the submitted flag or any other secret. It is addressed to one page
(its path): another page opened in between does not consume it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.i18n import gettext, lazy
from kizuna.web.messages import ATTEMPT_MESSAGE_IDS, attempt_message, message_for

SESSION_KEY = "flash"

# What went right, by id. Errors use the domain's ids (``ErrorCode``), attempts their own.
NOTICES: dict[str, str] = {
    "hint_unlocked": lazy("Hint unlocked."),
    "invite_renewed": lazy("A new invite code has been made. The old code no longer works."),
    "team_created": lazy("Your team has been created. Give the invite code to the people you want in it."),
    "team_joined": lazy("You have joined the team."),
    "team_left": lazy("You have left the team."),
    "password_changed": lazy("Your password has been changed."),
    "language_saved": lazy("Your language preference has been saved."),
    "time_zone_saved": lazy("Your time zone preference has been saved."),
    "profile_saved": lazy("Your affiliation, country and bracket have been saved."),
    "team_profile_saved": lazy("The team's affiliation, country and bracket have been saved."),
    "token_deleted": lazy("The token has been deleted."),
    "sessions_ended": lazy("You are signed out everywhere else."),
    "writeup_saved": lazy("Your write-up has been saved. Judges and organisers can read it now."),
    "task_correct": lazy("Correct: task complete."),
    "task_incorrect": lazy("Not quite. Read the lesson again and try once more."),
    "certificate_issued": lazy("Your certificate is ready. Download it, or share its verification link."),
    "consent_given": lazy("Thank you: you are now in the recruiter view. You can withdraw at any time here."),
    "consent_withdrawn": lazy("Your consent is withdrawn: you are in no later export of the recruiter view."),
}
# Notices shown as an answer's outcome (a learning task's), by the status their box takes.
NOTICE_STATUS = {"task_correct": "correct", "task_incorrect": "incorrect"}

Value = str | int


@dataclass(frozen=True)
class Flash:
    """A message as the page shows it: ``kind`` is ``notice``, ``error`` or ``attempt``; ``status``
    the attempt's outcome (CTFd's ``correct``, ``incorrect``, …) or the kind; ``target`` what it is
    about on the page (a hint's id), "" for the page as a whole."""

    kind: str
    status: str
    message: str
    target: str = ""

    @property
    def result(self) -> dict[str, str]:
        """The shape ``_attempt_result.html`` and the hint messages take."""
        return {"status": self.status, "message": self.message, "hint_id": self.target}


def _put(request: Request, to: str, kind: str, key: str, values: Mapping[str, Value], **extra: str) -> None:
    clean = {k: v for k, v in values.items() if isinstance(v, str | int) and not isinstance(v, bool)}
    request.session[SESSION_KEY] = {"to": to, "kind": kind, "id": key, "values": clean, **extra}


def notice(request: Request, to: str, key: str, target: str = "", **values: Value) -> None:
    if key not in NOTICES:
        raise KeyError(key)
    _put(request, to, "notice", key, values, target=target)


def error(request: Request, to: str, exc: DomainError, target: str = "") -> None:
    values = {k: v for k, v in exc.params.items() if isinstance(v, str | int)}
    _put(request, to, "error", exc.code.value, values, target=target)


def notice_text(key: str, **values: Value) -> str:
    """A notice's sentence now, in the reader's language (for an htmx answer, which is not redirected)."""
    return gettext(NOTICES[key], **values)


def attempt(request: Request, to: str, status: str, key: str, target: str = "", **values: Value) -> None:
    """A flag attempt's outcome: its status and message id with their values; never the flag.
    ``target``: what on the page it answers (a learning task's id), "" for the page's one flag form."""
    if key not in ATTEMPT_MESSAGE_IDS:
        raise KeyError(key)
    _put(request, to, "attempt", key, values, status=status, target=target)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def take(request: Request, path: str | None = None) -> Flash | None:
    """The message waiting for this page (``path``, default the request's), removed as it is read.
    A message for another page stays; one that cannot be rendered (from an older version) is dropped."""
    stored: Any = request.session.get(SESSION_KEY)
    if not isinstance(stored, dict):
        request.session.pop(SESSION_KEY, None)
        return None
    if stored.get("to") != (path if path is not None else request.url.path):
        return None
    del request.session[SESSION_KEY]
    return _render(stored)


def _render(stored: dict[str, Any]) -> Flash | None:
    kind, key = stored.get("kind"), str(stored.get("id") or "")
    raw = stored.get("values")
    values: dict[str, Any] = raw if isinstance(raw, dict) else {}
    target = str(stored.get("target") or "")
    try:
        if kind == "notice" and key in NOTICES:
            status = NOTICE_STATUS.get(key, "ok")
            return Flash("notice", status, gettext(NOTICES[key], **values), target)
        if kind == "error":
            return Flash("error", "error", message_for(DomainError(ErrorCode(key), **values)), target)
        if kind == "attempt" and key in ATTEMPT_MESSAGE_IDS:
            return Flash(
                "attempt", str(stored.get("status") or "error"), attempt_message(key, **values), target
            )
    except (KeyError, ValueError, TypeError):
        return None
    return None
