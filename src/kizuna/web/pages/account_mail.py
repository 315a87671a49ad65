"""Pages for mailed links: "Forgot your password?", the reset form, e-mail verification and asking
for a new verification link. The use cases are in ``services.recovery``; mail goes out after the
answer (a background task), so the answer's content and timing never say whether an address has an
account.

A mailed link (``/password/reset?token=…``, ``/email/verify?token=…``) is only a way in: its GET
moves the token into the session and answers with a redirect to the same page without it, so the
token leaves the address bar, the history and any ``Referer``. Opening a link changes nothing (a GET
never writes, and mail scanners that fetch links use nothing up); the form's POST does the work.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.background import BackgroundTask

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.names import MIN_PASSWORD_LENGTH
from kizuna.i18n import gettext, lazy
from kizuna.services import recovery, throttle
from kizuna.services.context import Context
from kizuna.services.mail import Mail, MailConfig, Mailer
from kizuna.web.deps import (
    CtxDep,
    client_address,
    get_throttle,
    logout_session,
    optional_principal,
    verified_form,
)
from kizuna.web.messages import message_for
from kizuna.web.pages.player_helpers import FormErrors, errors_of, login_redirect, see_other, text
from kizuna.web.render import render

router = APIRouter()
log = logging.getLogger("kizuna.mail")

Form = dict[str, object]
RESET_KEY = "reset_token"
VERIFY_KEY = "verify_token"
NOTICE_KEY = "mail_notice"
NOTICES: dict[str, str] = {
    "reset_sent": lazy(
        "If an account uses that address, we have sent it a link to reset the password. "
        "The link works for %(minutes)s minutes. Check your spam folder too."
    ),
    "verification_sent": lazy("We have sent a new link to your e-mail address. Older links no longer work."),
    "email_verified": lazy("Your e-mail address is verified. You can play now."),
}
# These answers are never cached and never send the page's address on.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def mail_config(request: Request) -> MailConfig:
    cfg: MailConfig | None = getattr(request.app.state, "mail_config", None)
    if cfg is None:
        cfg = MailConfig.from_settings(request.app.state.settings)
        request.app.state.mail_config = cfg
    return cfg


def send_later(response: Response, cfg: MailConfig, mails: list[Mail]) -> Response:
    """Send ``mails`` after the answer has gone (never inside a write transaction)."""
    if mails:
        response.background = BackgroundTask(Mailer(cfg).send_all, mails)
    return response


def _request_and_send(ctx: Context, cfg: MailConfig, email: str) -> None:
    """After the answer: make the reset link if the address has an account, and mail it."""
    try:
        mails = recovery.request_reset(ctx, cfg, email)
    except Exception:
        log.warning("password reset request failed", exc_info=True)
        return
    Mailer(cfg).send_all(mails)


def _private(response: Response) -> Response:
    response.headers.update(PRIVATE)
    return response


def _notice(request: Request) -> str:
    stored = request.session.pop(NOTICE_KEY, None)
    if not isinstance(stored, dict) or stored.get("id") not in NOTICES:
        return ""
    values = {k: v for k, v in (stored.get("values") or {}).items() if isinstance(v, int | str)}
    return gettext(NOTICES[str(stored["id"])], **values)


def _put_notice(request: Request, key: str, **values: int | str) -> None:
    request.session[NOTICE_KEY] = {"id": key, "values": values}


# --- forgot / reset --------------------------------------------------------------------------------


def _forgot(request: Request, status: int = 200, errors: FormErrors | None = None, **extra: Any) -> Response:
    cfg = mail_config(request)
    response = render(
        request,
        "password_forgot.html",
        status_code=status,
        errors=errors or {},
        mail_ready=cfg.links,
        notice=_notice(request),
        **extra,
    )
    return _private(response)


@router.get("/password/forgot", response_class=HTMLResponse)
def forgot_page(request: Request) -> Response:
    return _forgot(request)


@router.post("/password/forgot", response_class=HTMLResponse)
def forgot(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    """Always the same answer, whether or not an account uses the address; the work (and the mail)
    happens after the answer has gone."""
    cfg = mail_config(request)
    if not cfg.links:
        return _forgot(request)  # the page says to ask an organiser
    try:
        get_throttle(request).take(recovery.RESET_PER_CLIENT, client_address(request))
    except throttle.Throttled as exc:
        response = _forgot(request, 429, {"": message_for(exc)})
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    email = text(form, "email").strip()[:320]
    minutes = int(recovery.RESET_LIFETIME.total_seconds() // 60)
    _put_notice(request, "reset_sent", minutes=minutes)
    response = see_other("/password/forgot")
    response.background = BackgroundTask(_request_and_send, ctx, cfg, email)
    return response


def _reset_form(request: Request, status: int = 200, errors: FormErrors | None = None) -> Response:
    return _private(
        render(
            request,
            "password_reset.html",
            status_code=status,
            errors=errors or {},
            live=True,
            password_min=MIN_PASSWORD_LENGTH,
        )
    )


def _link_dead(request: Request, template: str) -> Response:
    error = message_for(DomainError(ErrorCode.LINK_INVALID))
    return _private(render(request, template, status_code=400, errors={"": error}, live=False))


@router.get("/password/reset", response_class=HTMLResponse)
def reset_page(request: Request, ctx: CtxDep, token: str = "") -> Response:
    if token:
        request.session[RESET_KEY] = token[:200]
        return _private(see_other("/password/reset"))
    stored = request.session.get(RESET_KEY)
    if not isinstance(stored, str) or not recovery.reset_link_live(ctx, stored):
        request.session.pop(RESET_KEY, None)
        return _link_dead(request, "password_reset.html")
    return _reset_form(request)


@router.post("/password/reset", response_class=HTMLResponse)
def reset(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    stored = request.session.get(RESET_KEY)
    if not isinstance(stored, str):
        return _link_dead(request, "password_reset.html")
    password, confirm = text(form, "password"), text(form, "confirm")
    if password != confirm:
        return _reset_form(request, 400, {"confirm": gettext("The two passwords do not match.")})
    try:
        recovery.reset_password(ctx, stored, password, client_address(request))
    except DomainError as exc:
        if exc.code is ErrorCode.LINK_INVALID:
            request.session.pop(RESET_KEY, None)
            return _link_dead(request, "password_reset.html")
        return _reset_form(request, 400, errors_of(exc, "password"))
    # Every session of the account has ended, this browser's included: log in with the new password.
    logout_session(request)
    from kizuna.web.pages.auth import LOGIN_NOTICE_KEY

    request.session[LOGIN_NOTICE_KEY] = "password_reset"
    return _private(see_other("/login"))


# --- e-mail verification ------------------------------------------------------------------------------


@router.get("/email/verify", response_class=HTMLResponse)
def verify_page(request: Request, ctx: CtxDep, token: str = "") -> Response:
    if token:
        request.session[VERIFY_KEY] = token[:200]
        return _private(see_other("/email/verify"))
    stored = request.session.get(VERIFY_KEY)
    if not isinstance(stored, str) or not recovery.verify_link_live(ctx, stored):
        request.session.pop(VERIFY_KEY, None)
        return _link_dead(request, "email_verify.html")
    return _private(render(request, "email_verify.html", errors={}, live=True))


@router.post("/email/verify", response_class=HTMLResponse)
def verify(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    stored = request.session.pop(VERIFY_KEY, None)
    try:
        user = recovery.verify_email(ctx, stored if isinstance(stored, str) else "", client_address(request))
    except DomainError:
        return _link_dead(request, "email_verify.html")
    who = optional_principal(request)
    if who is not None and who.user_id == user.id:
        _put_notice(request, "email_verified")
        return see_other("/email/verified")
    from kizuna.web.pages.auth import LOGIN_NOTICE_KEY

    request.session[LOGIN_NOTICE_KEY] = "email_verified"
    return see_other("/login")


@router.get("/email/verified", response_class=HTMLResponse)
def verified_page(request: Request) -> Response:
    """Where a signed-in reader lands after verifying, or after asking for a new link."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    return render(request, "email_verify.html", errors={}, live=False, notice=_notice(request))


@router.post("/email/verify/resend", response_class=HTMLResponse)
def resend(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    """A new verification link for the signed-in account (limited; older links stop working)."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    cfg = mail_config(request)
    if who.email_verified:
        _put_notice(request, "email_verified")
        return see_other("/email/verified")
    try:
        mails = recovery.resend_verification(ctx, cfg, who.user_id)
    except DomainError as exc:
        response = render(
            request, "email_verify.html", status_code=exc.status, errors={"": message_for(exc)}, live=False
        )
        if exc.status == 429:
            response.headers["Retry-After"] = "3600"
        return response
    _put_notice(request, "verification_sent")
    return send_later(see_other("/email/verified"), cfg, mails)
