"""Registering, logging in and out (with the code step for accounts that use two-factor
authentication), the account page (password, API tokens, language, time zone) and the language
switch. Turning two-factor authentication on and off: ``account_two_factor``."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.names import MAX_NAME_LENGTH, MIN_PASSWORD_LENGTH
from kizuna.i18n import BOTH, LOCALES, current_locale, gettext, lazy
from kizuna.services import accounts, recovery, sessions, throttle, two_factor
from kizuna.services.accounts import Principal
from kizuna.services.event import get_event, time_zones
from kizuna.storage import tables as t
from kizuna.web import profile_fields
from kizuna.web.deps import (
    CtxDep,
    client_address,
    get_throttle,
    login_session,
    logout_session,
    optional_principal,
    recheck_streams,
    verified_form,
)
from kizuna.web.messages import message_for
from kizuna.web.pages import account_mail, flash
from kizuna.web.pages.player_helpers import (
    FormErrors,
    errors_of,
    login_redirect,
    safe_next,
    see_other,
    text,
)
from kizuna.web.pages.recognition import account_recognition
from kizuna.web.render import render
from kizuna.web.zones import CLOCK_COOKIE, CLOCKS, zone_choices

router = APIRouter()

Form = dict[str, object]
LANG_COOKIE_AGE = 365 * 24 * 3600

# The code step of a login: the session holds only who passed the password step, until when, and
# how many wrong codes they typed — never a logged-in account. (The account also counts wrong codes
# itself, in the database, so a replayed older cookie gains nothing: services.two_factor.)
PENDING_KEY = "two_factor_login"
PENDING_SECONDS = 5 * 60
MAX_WRONG_CODES = 5
LOGIN_NOTICE_KEY = "login_notice"
# One-time messages on the login form after the code step sent the reader back (ids in the session).
LOGIN_NOTICES: dict[str, str] = {
    "code_expired": lazy("The time to enter the code ran out. Log in again."),
    "too_many_codes": lazy("Too many wrong codes. Log in again."),
    "log_in_again": lazy("Please log in again."),
    # After a mailed link (web/pages/account_mail.py) or a registration that waits for one.
    "password_reset": lazy("Your password has been changed. Log in with the new password."),
    "email_verified": lazy("Your e-mail address is verified. Log in to play."),
    "check_mail": lazy(
        "Check your e-mail: we have sent a link to confirm your address. You can log in now, "
        "and play once your address is confirmed."
    ),
}
# After a login with a recovery code, the two-factor page says how many are left.
TWO_FACTOR_NOTICE_KEY = "two_factor_notice"


def _start_session(request: Request, user: t.User) -> None:
    """Log ``user`` in. A language (or both-languages mode) chosen in this browser's session before
    logging in wins over the account's stored one: the reader just picked it. Storing it as the
    account's own is a separate, explicit choice (``POST /account/language``)."""
    chosen: dict[str, Any] = {k: request.session[k] for k in ("lang", "display") if k in request.session}
    login_session(request, user)
    request.session.update(chosen)


def _after_login(request: Request, user: t.User) -> str:
    """Where a newly registered player goes: to find a team first in team mode."""
    mode = get_event(request.app.state.ctx).mode
    return "/team" if mode == "teams" and user.team_id is None and user.role != "admin" else "/challenges"


# --- register ------------------------------------------------------------------------------------


@router.get("/register", response_class=HTMLResponse)
def register_page(request: Request) -> Response:
    if optional_principal(request) is not None:
        return see_other("/account")
    return _register(request, 200, {}, {})


def _register(request: Request, status: int, errors: FormErrors, values: dict[str, str]) -> HTMLResponse:
    return render(
        request,
        "register.html",
        status_code=status,
        errors=errors,
        values=values,
        name_max=MAX_NAME_LENGTH,
        password_min=MIN_PASSWORD_LENGTH,
        profile=_player_profile(request),
    )


def _player_profile(request: Request) -> profile_fields.Profile:
    """The registration's and account's profile choices: a player's own bracket matters only in
    individual mode (in team mode the team's does), so only then is it offered."""
    ctx = request.app.state.ctx
    options = profile_fields.profile_options(ctx, "users")
    if get_event(ctx).mode != "users":
        options = profile_fields.Profile(options.countries, [])
    return options


@router.post("/register", response_class=HTMLResponse)
def register(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    profile = profile_fields.typed(form, bool(_player_profile(request).brackets))
    values = {"name": text(form, "name"), "email": text(form, "email"), **profile}
    password, confirm = text(form, "password"), text(form, "confirm")
    errors: FormErrors = {}
    if password != confirm:
        errors["confirm"] = gettext("The two passwords do not match.")
    else:
        gate = get_throttle(request)
        try:
            hit = gate.registration(client_address(request))
        except throttle.Throttled as exc:
            return _throttled(_register(request, 429, errors_of(exc), values), exc)
        cfg = account_mail.mail_config(request)
        try:
            done = recovery.register_player(
                ctx, cfg, values["name"], password, values["email"] or None, profile, client_address(request)
            )
        except DomainError as exc:
            gate.refund(hit)  # only accounts made count against the address
            errors = errors_of(exc)
        else:
            if done.user is None:
                # E-mail verification: the same answer whether the address was new or already in use
                # (services.recovery); the mail goes after the answer.
                request.session[LOGIN_NOTICE_KEY] = "check_mail"
                return account_mail.send_later(see_other("/login"), cfg, done.mails)
            user = done.user
            _start_session(request, user)
            return see_other(_after_login(request, user))
    return _register(request, 400, errors, values)


def _throttled(response: HTMLResponse, exc: throttle.Throttled) -> HTMLResponse:
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


# --- log in / out --------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "") -> Response:
    notice = LOGIN_NOTICES.get(str(request.session.pop(LOGIN_NOTICE_KEY, "")))
    return render(
        request,
        "login.html",
        errors={},
        values={},
        next=safe_next(next, ""),
        notice=gettext(notice) if notice else "",
    )


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    name, target = text(form, "name"), safe_next(text(form, "next"), "")
    gate = get_throttle(request)
    try:
        # Counted before the password is checked, so parallel guesses get no more than the limit.
        hits = gate.login(name, client_address(request))
        user = accounts.authenticate(ctx, name, text(form, "password"))
    except DomainError as exc:
        errors = errors_of(exc)
        response = render(
            request,
            "login.html",
            status_code=exc.status,
            errors=errors,
            values={"name": name},
            next=target,
        )
        if isinstance(exc, throttle.Throttled):
            response = _throttled(response, exc)
        return response
    for hit in hits:
        gate.refund(hit)  # the limits count failed log-ins only
    if user.totp_secret is not None:
        # Not logged in yet: the second step asks for a code from the account's authenticator app.
        # No server-side session exists until the code is right (a session this browser had ends).
        logout_session(request)
        request.session[PENDING_KEY] = {
            "uid": user.id,
            "sv": user.session_version,
            "until": _unix(ctx) + PENDING_SECONDS,
            "wrong": 0,
            "next": target,
        }
        return see_other("/login/code")
    _start_session(request, user)
    return see_other(target or _after_login(request, user))


def _unix(ctx: Any) -> int:
    return int(ctx.now().replace(tzinfo=UTC).timestamp())


def _pending_login(request: Request, ctx: Any) -> dict[str, Any] | None:
    """The login waiting for its code, if there is one and its time has not run out."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("uid"), int):
        return None
    if not isinstance(pending.get("until"), int) or pending["until"] < _unix(ctx):
        return None
    return pending


def _back_to_login(request: Request, notice: str) -> Response:
    """End the code step and return to the password step with a one-time message."""
    request.session.pop(PENDING_KEY, None)
    request.session[LOGIN_NOTICE_KEY] = notice
    return see_other("/login")


def _code_page(request: Request, status_code: int = 200, errors: FormErrors | None = None) -> HTMLResponse:
    response = render(request, "login_code.html", status_code=status_code, errors=errors or {})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/login/code", response_class=HTMLResponse)
def login_code_page(request: Request, ctx: CtxDep) -> Response:
    if _pending_login(request, ctx) is None:
        if PENDING_KEY in request.session:
            return _back_to_login(request, "code_expired")
        return see_other("/login")
    return _code_page(request)


@router.post("/login/code", response_class=HTMLResponse)
def login_code(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    """The second step: a code from the authenticator app, or a recovery code (used up)."""
    pending = _pending_login(request, ctx)
    if pending is None:
        return _back_to_login(request, "code_expired")
    try:
        checked = two_factor.verify_login(ctx, pending["uid"], text(form, "code"), client_address(request))
    except DomainError as exc:
        if exc.code is ErrorCode.TWO_FACTOR_LOCKED:
            request.session.pop(PENDING_KEY, None)
            return render(
                request, "login.html", status_code=exc.status, errors=errors_of(exc), values={}, next=""
            )
        if exc.code not in (ErrorCode.TWO_FACTOR_CODE_WRONG, ErrorCode.TWO_FACTOR_CODE_USED):
            return _back_to_login(request, "log_in_again")  # the account is gone or no longer uses it
        wrong = int(pending.get("wrong", 0)) + 1
        if wrong >= MAX_WRONG_CODES:
            return _back_to_login(request, "too_many_codes")
        request.session[PENDING_KEY] = {**pending, "wrong": wrong}
        return _code_page(request, exc.status, errors_of(exc, "code"))
    user = checked.user
    if user.banned or user.session_version != pending.get("sv"):
        return _back_to_login(request, "log_in_again")  # banned, or the password changed meanwhile
    target = safe_next(pending.get("next"), "")
    _start_session(request, user)
    if checked.recovery:
        request.session[TWO_FACTOR_NOTICE_KEY] = {"recovery_left": checked.recovery_left}
        return see_other("/account/two-factor")
    return see_other(target or _after_login(request, user))


@router.post("/logout")
def logout(request: Request, form: Form = Depends(verified_form)) -> Response:
    logout_session(request)
    return see_other("/")


# --- account -------------------------------------------------------------------------------------


def _tokens(ctx: Any, user_id: int) -> list[t.Token]:
    with ctx.db.read() as s:
        return list(s.query(t.Token).filter(t.Token.user_id == user_id).order_by(t.Token.id))


def _account(request: Request, who: Principal, status_code: int = 200, **extra: Any) -> HTMLResponse:
    ctx = request.app.state.ctx
    context: dict[str, Any] = {
        "tokens": _tokens(ctx, who.user_id),
        "errors": {},
        "token_errors": {},
        "lang_errors": {},
        "zone_errors": {},
        "zone_choices": zone_choices(who.time_zone, time_zones(get_event(ctx))),
        "account_zone": who.time_zone,
        "notice": "",
        "new_token": None,
        "token_values": {},
        "account_locale": who.locale or current_locale.get(),
        "account_display": _stored_display(ctx, who.user_id),
        "browsers": sessions.browsers(ctx, who.user_id, request.session.get("sid")),
        "two_factor": two_factor.status(ctx, who),
        "profile": profile_fields.chosen_once(_player_profile(request), _stored_profile(ctx, who.user_id)),
        "profile_values": _stored_profile(ctx, who.user_id),
        "profile_errors": {},
        **account_recognition(ctx, who),
    }
    context.update(extra)
    return render(request, "account.html", status_code=status_code, **context)


def _stored_display(ctx: Any, user_id: int) -> str:
    with ctx.db.read() as s:
        user = s.get(t.User, user_id)
    return user.display if user is not None else ""


def _stored_profile(ctx: Any, user_id: int) -> dict[str, str]:
    with ctx.db.read() as s:
        user = s.get(t.User, user_id)
    if user is None:
        return {}
    return {
        "affiliation": user.affiliation,
        "country": user.country,
        "bracket_id": str(user.bracket_id) if user.bracket_id else "",
    }


@router.post("/account/profile", response_class=HTMLResponse)
def change_profile(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    """Save the affiliation, country and (in individual mode, when the event has brackets) bracket."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    stored = _stored_profile(ctx, who.user_id)
    offered = bool(_player_profile(request).brackets) and not stored.get("bracket_id")
    values = profile_fields.typed(form, offered)
    try:
        accounts.update_user(ctx, who.user_id, values, own=True)
    except DomainError as exc:
        return _account(request, who, 400, profile_errors=errors_of(exc), profile_values=values)
    flash.notice(request, "/account", "profile_saved")
    return see_other("/account")


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    shown = flash.take(request)
    return _account(request, who, notice=shown.message if shown else "")


@router.post("/account/password", response_class=HTMLResponse)
def change_password(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    new, confirm = text(form, "new_password"), text(form, "confirm")
    if new != confirm:
        errors = {"confirm": gettext("The two passwords do not match.")}
        return _account(request, who, 400, errors=errors)
    try:
        user = accounts.change_password(ctx, who.user_id, text(form, "password"), new)
    except DomainError as exc:
        return _account(request, who, 400, errors=errors_of(exc))
    # Every other session ended with the old password; this one continues under the new version.
    _start_session(request, user)
    flash.notice(request, "/account", "password_changed")
    return see_other("/account")


@router.post("/account/sessions/end-others", response_class=HTMLResponse)
def end_other_sessions(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    """Sign out everywhere else: every other browser's session ends (and their open live streams)."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    request.session["sv"] = sessions.end_others(ctx, who.user_id, str(request.session.get("sid") or ""))
    flash.notice(request, "/account", "sessions_ended")
    return see_other("/account")


@router.post("/account/language", response_class=HTMLResponse)
def change_language(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    code = text(form, "locale")
    if code not in (*LOCALES, BOTH):
        error = message_for(DomainError(ErrorCode.VALUE_INVALID))
        return _account(request, who, 400, lang_errors={"locale": error})
    # One language (which leaves both-languages mode), or both side by side.
    changes = {"display": BOTH} if code == BOTH else {"locale": code, "display": ""}
    accounts.update_user(ctx, who.user_id, changes)
    if code != BOTH:
        request.session["lang"] = code  # the next page is in the chosen language
    request.session["display"] = changes["display"]
    flash.notice(request, "/account", "language_saved")
    return see_other("/account")


@router.post("/account/time-zone", response_class=HTMLResponse)
def change_time_zone(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    """Save the zone times are shown in; "" (automatic) follows the browser, else the event."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    try:
        accounts.update_user(ctx, who.user_id, {"time_zone": text(form, "time_zone").strip()})
    except DomainError as exc:
        return _account(request, who, 400, zone_errors=errors_of(exc, "time_zone"))
    flash.notice(request, "/account", "time_zone_saved")
    return see_other("/account")


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    description, days_text = text(form, "description").strip(), text(form, "expires_days").strip()
    values = {"description": description, "expires_days": days_text}
    days: int | None = None
    if days_text:
        try:
            days = int(days_text)
        except ValueError:
            days = -1
        if days < 1 or days > 3650:
            error = gettext("Enter a whole number of days from 1 to 3650, or leave it empty.")
            return _account(request, who, 400, token_errors={"expires_days": error}, token_values=values)
    issued = accounts.create_token(ctx, who.user_id, description, days)
    # The one page form answered with a page rather than a redirect (Post/Redirect/Get): the new
    # token is a secret shown once, and the only place it could wait for the next page is the
    # session, a signed but readable cookie. A reload can only make another token, which the list
    # shows and which can be deleted; the page is never stored by the browser or a proxy.
    response = _account(request, who, new_token=issued.value)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/account/tokens/{token_id}/delete", response_class=HTMLResponse)
def delete_token(
    request: Request, ctx: CtxDep, token_id: int, form: Form = Depends(verified_form)
) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    accounts.delete_token(ctx, token_id, who)
    recheck_streams(request)  # a stream opened with it closes now
    flash.notice(request, "/account", "token_deleted")
    return see_other("/account")


# --- language switch -----------------------------------------------------------------------------


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    """Show this browser the site in a language, or ``both`` for both languages side by side (its
    cookie and session only), then return to the page it was reading. Choosing one language leaves
    both-languages mode. A GET never writes: the account's stored language is changed on the account
    page (``POST /account/language``)."""
    target = safe_next(next)
    response = RedirectResponse(target, status_code=303)
    if code not in (*LOCALES, BOTH):
        return response
    secure = _https(request)
    display = BOTH if code == BOTH else ""
    if code != BOTH:
        request.session["lang"] = code
        response.set_cookie(
            "lang", code, max_age=LANG_COOKIE_AGE, samesite="lax", httponly=True, secure=secure
        )
    request.session["display"] = display
    response.set_cookie(
        "display", display, max_age=LANG_COOKIE_AGE, samesite="lax", httponly=True, secure=secure
    )
    return response


@router.get("/theme/{choice}")
def switch_theme(request: Request, choice: str, next: str = "/") -> Response:
    """Show this browser the site light, dark, or ("auto") as its system says: a cookie only, then
    back to the page it was reading."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if choice in ("light", "dark"):
        response.set_cookie(
            "theme", choice, max_age=LANG_COOKIE_AGE, samesite="lax", httponly=True, secure=_https(request)
        )
    elif choice == "auto":
        response.delete_cookie("theme")
    return response


@router.get("/clock/{choice}")
def switch_clock(request: Request, choice: str, next: str = "/") -> Response:
    """Show this browser times on a 12-hour or 24-hour clock, or ("auto") as its language writes them:
    a cookie only, like the theme, then back to the page it was reading."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if choice in CLOCKS:
        response.set_cookie(
            CLOCK_COOKIE,
            choice,
            max_age=LANG_COOKIE_AGE,
            samesite="lax",
            httponly=True,
            secure=_https(request),
        )
    elif choice == "auto":
        response.delete_cookie(CLOCK_COOKIE)
    return response


def _https(request: Request) -> bool:
    settings = getattr(request.app.state, "settings", None)
    return bool(getattr(settings, "https", False))
