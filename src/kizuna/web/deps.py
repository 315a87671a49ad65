"""FastAPI dependencies, declared once as ``Annotated`` aliases.

Who is asking: an ``Authorization: Token <value>`` header (scripts, ctfcli; the scheme word is
ignored, as CTFd does) or the browser's session cookie. Requests authenticated by the session must
prove they come from our pages: forms carry ``csrf_token``, JSON requests the ``CSRF-Token`` header.
Token requests need no CSRF proof: a browser never attaches the header by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request

from kizuna.domain.errors import DomainError, ErrorCode, Forbidden
from kizuna.domain.policy import Action, Role, can
from kizuna.security import csrf_ok, new_csrf_nonce
from kizuna.services import accounts, sessions, throttle, two_factor
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import tables as t
from kizuna.storage.uow import acting
from kizuna.web.client import client_address as client_address  # pages import it from here

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_ctx(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def _load_principal(request: Request) -> Principal | None:
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    ctx = get_ctx(request)
    principal: Principal | None = None
    request.state.via_token = False
    auth = request.headers.get("authorization")
    if auth:
        _scheme, _sep, value = auth.strip().partition(" ")
        hot = getattr(request.app.state, "snapshots", None)
        if hot is not None:
            # The same answer as accounts.resolve_token, without an ORM session while the token and
            # its account are unchanged (kizuna.services.hot).
            principal = hot.hot.principal(value or _scheme)
        else:
            principal = Principal.of(accounts.resolve_token(ctx, value or _scheme))
        request.state.via_token = True
    elif "uid" in request.session:
        # A server-side session (services.sessions): the row must exist, be this account's, not have
        # expired, and the account's session version must match — one primary-key query.
        row = sessions.resolve(
            ctx, request.session.get("sid"), request.session.get("uid"), request.session.get("sv")
        )
        if row is not None:
            principal = Principal.of(row)
        else:
            for key in ("uid", "sv", "sid"):
                request.session.pop(key, None)
    if principal is not None:
        principal = replace(principal, address=client_address(request))
        box = acting.get()
        if box is not None:
            box.actor = principal
    request.state.principal = principal
    return principal


def optional_principal(request: Request) -> Principal | None:
    return _load_principal(request)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = new_csrf_nonce()
        request.session["csrf"] = token
    return token


def check_api_csrf(request: Request) -> None:
    """Session-authenticated API writes must echo the session's CSRF nonce in a header."""
    if request.method in SAFE_METHODS or getattr(request.state, "via_token", False):
        return
    if request.session.get("uid") is None:
        return
    if not csrf_ok(request.session.get("csrf"), request.headers.get("csrf-token")):
        raise Forbidden(ErrorCode.CSRF_FAILED)


def require_user(request: Request) -> Principal:
    principal = _load_principal(request)
    if principal is None:
        raise DomainError(ErrorCode.AUTH_REQUIRED, status=401)
    check_api_csrf(request)
    return principal


def two_factor_missing(request: Request, principal: Principal) -> bool:
    """Is this a session (not an API token) of a staff account whose role the event requires to use
    two-factor authentication, and which has not turned it on? The staff gates of pages
    (``admin_common.check_gate``) and of the API (:func:`require`) ask this, and nothing else."""
    if getattr(request.state, "via_token", False) or not principal.is_staff:
        return False
    missing: bool | None = getattr(request.state, "two_factor_missing", None)
    if missing is None:
        missing = two_factor.setup_required(get_ctx(request), principal.user_id, principal.role)
        request.state.two_factor_missing = missing
    return missing


def staff_action(action: Action | str) -> bool:
    """An action beyond what players may take (the ones two-factor authentication guards)."""
    return not can(Role.PLAYER, action)


def require(action: Action) -> Callable[[Request], Principal]:
    """A dependency: the signed-in principal, who must be allowed ``action`` by the policy
    (401 without an account, 403 when the role may not, or when a staff action comes from a session
    of an account that must turn two-factor authentication on first)."""

    def dependency(request: Request) -> Principal:
        principal = require_user(request)
        if not principal.can(action):
            raise Forbidden()
        if staff_action(action) and two_factor_missing(request, principal):
            raise Forbidden(ErrorCode.TWO_FACTOR_REQUIRED)
        return principal

    dependency.__name__ = f"require_{action.name.lower()}"
    return dependency


CtxDep = Annotated[Context, Depends(get_ctx)]
MaybeUser = Annotated[Principal | None, Depends(optional_principal)]
User = Annotated[Principal, Depends(require_user)]

# One alias per policy action an API route asks for; ``kizuna.web.policy_table`` says which route
# asks which, and ``tests/meta/test_policy_matrix.py`` checks every route against it.
Player = Annotated[Principal, Depends(require(Action.PLAY))]
ChallengeViewer = Annotated[Principal, Depends(require(Action.CHALLENGE_VIEW_ALL))]
ChallengeEditor = Annotated[Principal, Depends(require(Action.CHALLENGE_EDIT))]
SubmissionViewer = Annotated[Principal, Depends(require(Action.SUBMISSION_VIEW))]
SubmissionEditor = Annotated[Principal, Depends(require(Action.SUBMISSION_EDIT))]
Reviewer = Annotated[Principal, Depends(require(Action.SUBMISSION_REVIEW))]
AwardManager = Annotated[Principal, Depends(require(Action.AWARD_MANAGE))]
AnnouncementPoster = Annotated[Principal, Depends(require(Action.ANNOUNCEMENT_POST))]
AnnouncementEditor = Annotated[Principal, Depends(require(Action.ANNOUNCEMENT_EDIT))]
PageEditor = Annotated[Principal, Depends(require(Action.PAGE_EDIT))]
FeedViewer = Annotated[Principal, Depends(require(Action.FEED_VIEW))]
RosterViewer = Annotated[Principal, Depends(require(Action.ROSTER_VIEW))]
AccountManager = Annotated[Principal, Depends(require(Action.ACCOUNT_MANAGE))]
EventAdmin = Annotated[Principal, Depends(require(Action.EVENT_SETTINGS))]
WriteupReviewer = Annotated[Principal, Depends(require(Action.WRITEUP_REVIEW))]


async def verified_form(request: Request) -> dict[str, object]:
    """A page form's fields, after checking its ``csrf_token`` against the session's nonce.

    Multi-valued fields (checkbox groups, multiple selects, several files) come back as lists."""
    form = await request.form()
    if not csrf_ok(request.session.get("csrf"), str(form.get("csrf_token") or "")):
        raise Forbidden(ErrorCode.CSRF_FAILED)
    out: dict[str, object] = {}
    for key in form:
        values = form.getlist(key)
        out[key] = values if len(values) > 1 else values[0]
    return out


def login_session(request: Request, user: t.User) -> None:
    """Start a session for ``user``: a new server-side session (its id in the cookie), a fresh CSRF
    nonce, and the account's language if it chose one. A session this browser had ends."""
    ctx = get_ctx(request)
    sessions.end(ctx, request.session.get("sid"))
    session_id = sessions.start(ctx, user.id, client_address(request), request.headers.get("user-agent", ""))
    request.session.clear()
    request.session["uid"] = user.id
    request.session["sv"] = user.session_version
    request.session["sid"] = session_id
    request.session["csrf"] = new_csrf_nonce()
    if user.locale:
        request.session["lang"] = user.locale
    if user.display:
        request.session["display"] = user.display


def renew_session(request: Request, user: t.User) -> None:
    """After this browser's own password change (which ended every session of the account): a new
    server-side session for it, keeping its CSRF nonce so open pages and scripts go on working."""
    csrf = request.session.get("csrf")
    kept = {k: request.session[k] for k in ("lang", "display") if request.session.get(k)}
    login_session(request, user)
    request.session.update(kept)
    if isinstance(csrf, str):
        request.session["csrf"] = csrf


def logout_session(request: Request) -> None:
    """Log out: the server-side session ends (a copy of the cookie stops working too)."""
    sessions.end(get_ctx(request), request.session.get("sid"))
    recheck_streams(request)
    kept = {k: request.session[k] for k in ("lang", "display") if request.session.get(k)}
    request.session.clear()
    request.session.update(kept)


def recheck_streams(request: Request) -> None:
    """Credentials just ended (a log-out, a deleted token): this process's open streams are checked
    again at once; other processes' at their next periodic check."""
    live = getattr(request.app.state, "live", None)
    if live is not None:
        live.revalidate_soon()


def get_throttle(request: Request) -> throttle.Throttle:
    """The process's log-in and registration throttle (Redis when configured, else the database)."""
    found: throttle.Throttle | None = getattr(request.app.state, "throttle", None)
    if found is None:
        settings = getattr(request.app.state, "settings", None)
        counter = None
        if settings is not None and settings.redis_url:
            from kizuna.storage.rate_redis import RedisCounter

            counter = RedisCounter(settings.redis_url)
        found = throttle.Throttle(
            get_ctx(request),
            counter,
            failed_logins_per_address=settings.failed_logins_per_address if settings else None,
            registrations_per_address=settings.registrations_per_address if settings else None,
        )
        request.app.state.throttle = found
    return found
