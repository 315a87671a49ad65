"""Password reset by e-mail, e-mail verification and registration that gives no address away.

**Tokens.** A mailed token is 32 random bytes (URL-safe); only its SHA-256 is stored
(``account_tokens``), with its purpose (``reset`` or ``verify``), the address it was sent to and an
expiry (30 minutes for a reset, 48 hours for a verification). Using one claims it with a single
conditional update (``storage.mail_tokens.claim_token``), so it works once even when two requests
race; a reset also voids the account's other reset links, and a token whose account has since
changed its address does not work (it is bound to the address it was mailed to).

**No enumeration.** Asking for a reset answers the same whatever the address: the web layer runs
:func:`request_reset` after the response, so even its timing says nothing. With e-mail
verification on, registering with an address already in use answers like a success ("check your
mail") and mails the address's owner a notice instead (:func:`register_player`). Without
verification the address is not proved to be the registrant's anyway, and the account is signed in
at once, so a refusal ("already registered") is kept: hiding it would need the same "check your
mail" step that verification is; events that care turn verification on.

**Limits.** Reset requests count per address asked for (3 an hour) and per account (3 an hour);
over the limit, nothing is sent and the answer is the same. Verification mail can be asked for
again 3 times an hour per account; notices about a repeated registration 3 an hour per account.
The counters are rows of ``rate_buckets`` shared by every process.

Every use case here commits first and returns the mail to send; the caller sends it afterwards
(``services.mail``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from kizuna.domain.email_domains import domain_allowed
from kizuna.domain.errors import DomainError, ErrorCode, Forbidden
from kizuna.domain.names import validate_email, validate_password
from kizuna.security import hash_password, token_digest
from kizuna.services import accounts, sessions
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.services.event import get_event
from kizuna.services.mail import ALREADY_REGISTERED, RESET, VERIFY, Mail, MailConfig, compose, reader_locales
from kizuna.services.throttle import Limit
from kizuna.storage import mail_tokens as q
from kizuna.storage import repo
from kizuna.storage import tables as t

RESET_PURPOSE = "reset"
VERIFY_PURPOSE = "verify"
RESET_LIFETIME = timedelta(minutes=30)
VERIFY_LIFETIME = timedelta(hours=48)
HOUR = timedelta(hours=1)
RESETS_PER_ADDRESS = 3  # an hour, per address asked for
RESETS_PER_ACCOUNT = 3  # an hour, per account
RESENDS_PER_ACCOUNT = 3  # verification mail, an hour
NOTICES_PER_ACCOUNT = 3  # "someone registered with your address", an hour
# Reset requests per client address: over it the page answers 429 with Retry-After, which says
# nothing about any account (``services.throttle``).
RESET_PER_CLIENT = Limit("reset:address", 10, 15 * 60, ErrorCode.MAIL_TOO_MANY)

RESET_PATH = "/password/reset"
VERIFY_PATH = "/email/verify"
FORGOT_PATH = "/password/forgot"


def new_mail_token() -> str:
    return secrets.token_urlsafe(32)


def _key(kind: str, value: str) -> str:
    """A rate-limit key that never stores an address itself."""
    return f"mail:{kind}:{hashlib.sha256(value.encode('utf-8')).hexdigest()[:40]}"


def _event_names(ev: t.Event) -> dict[str, str]:
    names = {code: str(texts.get("name") or "") for code, texts in (ev.translations or {}).items()}
    names = {code: name for code, name in names.items() if name}
    names.setdefault(ev.locale or "en", ev.name)
    return names


def _compose(template: object, ev: t.Event, user: t.User, to: str, **values: object) -> Mail:
    locales = reader_locales(user.locale, user.display, ev.default_locale or "en")
    names = _event_names(ev)
    return compose(
        template,  # type: ignore[arg-type]
        to,
        locales,
        name=user.name,
        event={code: names.get(code, ev.name) for code in locales},
        **values,
    )


def _acting(user: t.User, address: str) -> Principal:
    return replace(Principal.of(user), address=address)


# --- password reset -------------------------------------------------------------------------------


def request_reset(ctx: Context, cfg: MailConfig, email: str) -> list[Mail]:
    """Make a reset link for the account using ``email``, if there is one and the limits allow;
    returns the mail to send (none otherwise). Runs after the response, so callers learn nothing."""
    if not cfg.links:
        return []
    try:
        address = validate_email(email)
    except DomainError:
        return []
    token = new_mail_token()
    now = ctx.now()
    with ctx.write() as uow:
        s = uow.session
        if not q.hit(s, _key("reset", address.casefold()), RESETS_PER_ADDRESS, HOUR, now):
            return []
        user = repo.user_by_email(s, address)
        if user is None or user.banned or not user.email:
            return []
        if not q.hit(s, f"mail:reset-account:{user.id}", RESETS_PER_ACCOUNT, HOUR, now):
            return []
        q.add_token(s, user.id, RESET_PURPOSE, token_digest(token), user.email, now, RESET_LIFETIME)
        ev = repo.event(s)
        mail = _compose(
            RESET,
            ev,
            user,
            user.email,
            link=cfg.link(RESET_PATH, token),
            minutes=int(RESET_LIFETIME.total_seconds() // 60),
        )
    return [mail]


def _live_user(s: object, row: t.AccountToken | None) -> t.User | None:
    if row is None:
        return None
    user = s.get(t.User, row.user_id)  # type: ignore[attr-defined]
    if user is None or user.banned or not user.email or user.email.casefold() != row.email.casefold():
        return None
    return user  # type: ignore[no-any-return]


def reset_link_live(ctx: Context, token: str) -> bool:
    """Whether a reset link would work now (reading only; the form is shown or not)."""
    if not token:
        return False
    with ctx.db.read() as s:
        return _live_user(s, q.live_token(s, token_digest(token), RESET_PURPOSE, ctx.now())) is not None


def reset_password(ctx: Context, token: str, new_password: str, address: str = "") -> t.User:
    """Set a new password with a reset link: the link is used up, the account's other reset links
    stop working, every session of the account ends, and the change is audited. A link that is
    unknown, used, expired or for an address the account no longer has: ``LINK_INVALID``."""
    validate_password(new_password)
    if not token or not reset_link_live(ctx, token):
        raise DomainError(ErrorCode.LINK_INVALID, status=400)
    new_hash = hash_password(new_password)  # slow on purpose: outside the write lock
    now = ctx.now()
    with ctx.write() as uow:
        s = uow.session
        user = _live_user(s, q.claim_token(s, token_digest(token), RESET_PURPOSE, now))
        if user is None:
            raise DomainError(ErrorCode.LINK_INVALID, status=400)
        q.void_tokens(s, user.id, RESET_PURPOSE, now)
        user.password_hash = new_hash
        # The link proved the account reads this address.
        if user.email_verified_at is None:
            user.email_verified_at = now
        sessions.end_all(uow, user)
        uow.audit(
            _acting(user, address),
            "account.password_reset",
            "user",
            user.id,
            before={"password": ""},
            after={"password": "reset by e-mail"},
        )
        return user


# --- e-mail verification ----------------------------------------------------------------------------


def _verification(ctx: Context, cfg: MailConfig, s: object, user: t.User, ev: t.Event) -> Mail:
    token = new_mail_token()
    now = ctx.now()
    q.void_tokens(s, user.id, VERIFY_PURPOSE, now)  # type: ignore[arg-type]
    q.add_token(s, user.id, VERIFY_PURPOSE, token_digest(token), user.email or "", now, VERIFY_LIFETIME)  # type: ignore[arg-type]
    return _compose(
        VERIFY,
        ev,
        user,
        user.email or "",
        link=cfg.link(VERIFY_PATH, token),
        hours=int(VERIFY_LIFETIME.total_seconds() // 3600),
    )


def resend_verification(ctx: Context, cfg: MailConfig, user_id: int) -> list[Mail]:
    """A new verification link for a signed-in account (older ones stop working). Refused with
    ``MAIL_UNAVAILABLE`` when mail is off and 429 ``MAIL_TOO_MANY`` beyond the limit; nothing to
    send when the address is already verified."""
    if not cfg.links:
        raise DomainError(ErrorCode.MAIL_UNAVAILABLE, status=503)
    with ctx.write() as uow:
        s = uow.session
        user = s.get(t.User, user_id)
        if user is None or not user.email or user.email_verified_at is not None:
            return []
        if not q.hit(s, f"mail:verify-account:{user.id}", RESENDS_PER_ACCOUNT, HOUR, ctx.now()):
            raise DomainError(ErrorCode.MAIL_TOO_MANY, status=429)
        mail = _verification(ctx, cfg, s, user, repo.event(s))
    return [mail]


def verify_link_live(ctx: Context, token: str) -> bool:
    if not token:
        return False
    with ctx.db.read() as s:
        return _live_user(s, q.live_token(s, token_digest(token), VERIFY_PURPOSE, ctx.now())) is not None


def verify_email(ctx: Context, token: str, address: str = "") -> t.User:
    """Mark the account's address verified with a verification link (used up; audited)."""
    now = ctx.now()
    with ctx.write() as uow:
        s = uow.session
        user = _live_user(s, q.claim_token(s, token_digest(token), VERIFY_PURPOSE, now)) if token else None
        if user is None:
            raise DomainError(ErrorCode.LINK_INVALID, status=400)
        q.void_tokens(s, user.id, VERIFY_PURPOSE, now)
        user.email_verified_at = now
        uow.audit(
            _acting(user, address), "account.email_verified", "user", user.id, after={"email": user.email}
        )
        return user


# --- registration -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """What a registration from the page led to: ``user`` to sign in (None when the reader must
    check their mail first) and the mail to send after the answer."""

    user: t.User | None
    check_mail: bool = False
    mails: list[Mail] = field(default_factory=list)


def register_player(
    ctx: Context,
    cfg: MailConfig,
    name: str,
    password: str,
    email: str | None,
    profile: Mapping[str, Any] | None = None,
    address: str = "",
) -> Registration:
    """A player registering themselves (see the module docstring for what happens to an address
    already in use). With verification on, the account is made unverified and a link is mailed; the
    reader is not signed in by the registration (they log in, and may play once verified)."""
    ev = _event(ctx)
    if ev.email_domains and email and not domain_allowed(email, ev.email_domains):
        validate_email(email)  # a malformed address gets that message first
        raise DomainError(
            ErrorCode.EMAIL_DOMAIN_NOT_ALLOWED, field="email", domains=", ".join(ev.email_domains)
        )
    if not ev.email_verification:
        return Registration(
            accounts.register_user(ctx, name, password, email=email, address=address, **dict(profile or {}))
        )
    if not email:
        raise DomainError(ErrorCode.EMAIL_REQUIRED, field="email")
    if not cfg.links:
        raise Forbidden(ErrorCode.MAIL_UNAVAILABLE)
    try:
        user = accounts.register_user(
            ctx, name, password, email=email, address=address, **dict(profile or {})
        )
    except DomainError as exc:
        if exc.code is not ErrorCode.EMAIL_TAKEN:
            raise
        return Registration(None, check_mail=True, mails=_already_registered(ctx, cfg, email))
    with ctx.write() as uow:
        s = uow.session
        row = s.get(t.User, user.id)
        mails = [_verification(ctx, cfg, s, row, repo.event(s))] if row is not None and row.email else []
    return Registration(None, check_mail=True, mails=mails)


def _already_registered(ctx: Context, cfg: MailConfig, email: str) -> list[Mail]:
    with ctx.write() as uow:
        s = uow.session
        owner = repo.user_by_email(s, email)
        if owner is None or not owner.email or owner.banned:
            return []
        if not q.hit(s, f"mail:notice-account:{owner.id}", NOTICES_PER_ACCOUNT, HOUR, ctx.now()):
            return []
        return [
            _compose(ALREADY_REGISTERED, repo.event(s), owner, owner.email, link=cfg.base_url + FORGOT_PATH)
        ]


def _event(ctx: Context) -> t.Event:
    return get_event(ctx)
