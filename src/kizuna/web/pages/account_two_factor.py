"""``/account/two-factor``: an account turns two-factor authentication on (QR code, key to type by
hand, a code to confirm, recovery codes shown once) and off, and makes new recovery codes.

The key and its QR code appear only on this page, to the signed-in account itself, in a response
that is not stored (``Cache-Control: no-store``); never in a URL (forms post, the setup is kept on
the server) nor in a log. Staff whose role must use it are sent here by the staff gates
(``admin_common.check_gate``) with ``next`` pointing back to where they were going.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from kizuna.domain.errors import DomainError
from kizuna.i18n import gettext, lazy, ngettext
from kizuna.services import two_factor
from kizuna.services.accounts import Principal
from kizuna.web.deps import CtxDep, optional_principal, verified_form
from kizuna.web.pages.auth import TWO_FACTOR_NOTICE_KEY
from kizuna.web.pages.player_helpers import FormErrors, errors_of, login_redirect, safe_next, see_other, text
from kizuna.web.render import render

router = APIRouter()

Form = dict[str, object]
PAGE = "/account/two-factor"
NOTICES: dict[str, str] = {
    "disabled": lazy("Two-factor authentication is off."),
    "cancelled": lazy("The setup has been cancelled."),
}


def qr_svg(data: str) -> Markup:
    """``data`` as an inline SVG QR code (medium error correction, the standard quiet zone)."""
    out = io.BytesIO()
    segno.make(data, error="m", micro=False).save(
        out,
        kind="svg",
        scale=4,
        border=4,
        xmldecl=False,
        svgns=True,
        omitsize=True,
        svgclass="qr",
        lineclass=None,
        dark="#000",
        light="#fff",
    )
    return Markup(out.getvalue().decode("ascii"))  # noqa: S704 - segno's own markup, no user text in it


def _next(value: object) -> str:
    return safe_next(value, "")


def _notice(request: Request) -> str:
    stored = request.session.pop(TWO_FACTOR_NOTICE_KEY, None)
    if isinstance(stored, dict) and isinstance(stored.get("recovery_left"), int):
        left = stored["recovery_left"]
        return ngettext(
            "You logged in with a recovery code. %(num)s recovery code is left; make new ones before "
            "you run out.",
            "You logged in with a recovery code. %(num)s recovery codes are left; make new ones "
            "before you run out.",
            left,
        )
    return gettext(NOTICES[stored]) if isinstance(stored, str) and stored in NOTICES else ""


def _page(request: Request, who: Principal, status_code: int = 200, **extra: Any) -> HTMLResponse:
    ctx = request.app.state.ctx
    status = two_factor.status(ctx, who)
    setup = two_factor.pending_setup(ctx, who) if status.pending else None
    context: dict[str, Any] = {
        "status": status,
        "setup": setup,
        "qr": qr_svg(setup.uri) if setup is not None else "",
        "recovery_codes": [],
        "errors": {},
        "regenerate_errors": {},
        "disable_errors": {},
        "next": "",
        "notice": _notice(request) if status_code < 400 else "",
    }
    context.update(extra)
    response = render(request, "account_two_factor.html", status_code=status_code, **context)
    response.headers["Cache-Control"] = "no-store"
    return response


def _done(request: Request, notice: str = "", next: str = "") -> Response:
    if notice:
        request.session[TWO_FACTOR_NOTICE_KEY] = notice
    return see_other(PAGE + (f"?next={quote(next, safe='/')}" if next else ""))


@router.get(PAGE, response_class=HTMLResponse)
def two_factor_page(request: Request, next: str = "") -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    return _page(request, who, next=_next(next))


@router.post(PAGE + "/setup", response_class=HTMLResponse)
def begin_setup(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    target = _next(text(form, "next"))
    try:
        two_factor.begin_setup(ctx, who)
    except DomainError as exc:
        return _page(request, who, exc.status, errors=errors_of(exc), next=target)
    # The page shows the new key; it is never put in the URL.
    return _done(request, next=target)


@router.post(PAGE + "/confirm", response_class=HTMLResponse)
def confirm_setup(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    """A code from the app turns it on; the recovery codes are in this response only (reloading
    it cannot show them again: the setup it confirmed is used up)."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    target = _next(text(form, "next"))
    try:
        codes = two_factor.confirm_setup(ctx, who, text(form, "code"))
    except DomainError as exc:
        return _page(request, who, exc.status, errors=errors_of(exc, "code"), next=target)
    request.state.two_factor_missing = False
    return _page(
        request,
        who,
        recovery_codes=codes,
        next=target,
        notice=gettext("Two-factor authentication is on. From now on, logging in asks for a code."),
    )


@router.post(PAGE + "/cancel", response_class=HTMLResponse)
def cancel_setup(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    two_factor.cancel_setup(ctx, who)
    return _done(request, "cancelled")


@router.post(PAGE + "/recovery", response_class=HTMLResponse)
def regenerate_recovery(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    try:
        codes = two_factor.regenerate_recovery(ctx, who, text(form, "regenerate_proof"))
    except DomainError as exc:
        return _page(request, who, exc.status, regenerate_errors=_proof_errors(exc, "regenerate_proof"))
    return _page(
        request,
        who,
        recovery_codes=codes,
        notice=gettext("New recovery codes have been made. The earlier ones no longer work."),
    )


@router.post(PAGE + "/disable", response_class=HTMLResponse)
def disable(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    try:
        two_factor.disable(ctx, who, text(form, "disable_proof"))
    except DomainError as exc:
        return _page(request, who, exc.status, disable_errors=_proof_errors(exc, "disable_proof"))
    return _done(request, "disabled")


def _proof_errors(exc: DomainError, field: str) -> FormErrors:
    """The error next to the form's one field (whatever the service called it)."""
    return {field: errors_of(exc)[exc.field or ""]}
