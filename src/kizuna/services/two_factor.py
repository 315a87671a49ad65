"""Two-factor authentication (二要素認証) with an authenticator app (TOTP, ``kizuna.domain.totp``).

Any account can turn it on: :func:`begin_setup` keeps a new secret on the server as *pending* (the
session cookie is signed, not encrypted), :func:`confirm_setup` stores it once a code from the app
matches and returns ten single-use recovery codes — shown once, stored only as argon2 hashes. At
login, :func:`verify_login` takes a code or a recovery code (which is then used up).

The event decides which staff roles must use it (``event.two_factor_roles``; None means admins
only): :func:`setup_required` is what the staff gates ask. API tokens are not affected.

Wrong codes are counted per account (``users.totp_failures``) whatever session they come from, so
starting the login again or replaying an older cookie gives no fresh guesses: after
:data:`LOCK_AFTER` wrong codes, codes are refused until :data:`LOCK_MINUTES` minutes after the last
wrong one. Audit entries name what happened, never a secret or a code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from kizuna.domain import totp
from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.domain.policy import Role, is_staff
from kizuna.security import hash_password, verify_password
from kizuna.services import sessions
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import repo
from kizuna.storage import tables as t

DEFAULT_ROLES: tuple[str, ...] = (Role.ADMIN,)
# Roles the setting may name, in the order the settings page lists them.
SETTABLE_ROLES: tuple[str, ...] = (Role.ADMIN, Role.JUDGE, Role.MARSHAL, Role.AUTHOR)
LOCK_AFTER = 10
LOCK_MINUTES = 15
ISSUER = "Kizuna"


# --- the event's setting ------------------------------------------------------------------------------


def required_roles(ev: t.Event) -> list[str]:
    """The roles that must use two-factor authentication (None stored: admins only)."""
    stored = ev.two_factor_roles
    return list(DEFAULT_ROLES) if stored is None else [r for r in SETTABLE_ROLES if r in stored]


def validate_roles(value: object) -> list[str]:
    """The setting as typed or sent: a list of distinct staff role names (possibly empty)."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise DomainError(ErrorCode.VALUE_INVALID, field="two_factor_roles")
    if any(not isinstance(role, str) or role not in SETTABLE_ROLES for role in value):
        raise DomainError(ErrorCode.VALUE_INVALID, field="two_factor_roles")
    return [role for role in SETTABLE_ROLES if role in value]


def setup_required(ctx: Context, user_id: int, role: str) -> bool:
    """Must this account turn two-factor authentication on before using the staff area? (Its role
    is one the event names, and it has not.) Players are never asked."""
    if not is_staff(role):
        return False
    with ctx.db.read() as s:
        user = s.get(t.User, user_id)
        ev = s.get(t.Event, 1) or repo.event(s)
        return user is not None and user.totp_secret is None and role in required_roles(ev)


# --- the account's own view -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    enabled: bool
    recovery_left: int
    pending: bool  # a setup was started and not yet confirmed
    required: bool  # the account's role must use it (per the event's setting)


def status(ctx: Context, who: Principal) -> Status:
    with ctx.db.read() as s:
        user = s.get(t.User, who.user_id)
        if user is None:
            raise NotFound()
        ev = s.get(t.Event, 1) or repo.event(s)
        return Status(
            enabled=user.totp_secret is not None,
            recovery_left=len(user.totp_recovery or []),
            pending=user.totp_secret is None and user.totp_pending is not None,
            required=is_staff(user.role) and user.role in required_roles(ev),
        )


def is_enabled(ctx: Context, user_id: int) -> bool:
    with ctx.db.read() as s:
        user = s.get(t.User, user_id)
        return user is not None and user.totp_secret is not None


@dataclass(frozen=True)
class Setup:
    """What the setup page shows the account itself (and nobody else): the secret to type by hand
    and the ``otpauth://`` URI its QR code carries."""

    secret: str
    uri: str

    @property
    def grouped(self) -> str:
        return totp.grouped(self.secret)


def _setup(ev: t.Event, user: t.User, secret: str) -> Setup:
    issuer = (ev.name or "").strip() or ISSUER
    return Setup(secret, totp.provisioning_uri(secret, user.name, issuer))


def begin_setup(ctx: Context, who: Principal) -> Setup:
    """Start turning two-factor authentication on: a new pending secret (replacing any earlier one)."""
    secret = totp.new_secret()
    with ctx.write() as uow:
        s = uow.session
        user = s.get(t.User, who.user_id)
        if user is None:
            raise NotFound()
        if user.totp_secret is not None:
            raise DomainError(ErrorCode.TWO_FACTOR_ALREADY_ON)
        user.totp_pending = secret
        return _setup(repo.event(s), user, secret)


def pending_setup(ctx: Context, who: Principal) -> Setup | None:
    """The setup in progress, to show its QR code again (None when there is none)."""
    with ctx.db.read() as s:
        user = s.get(t.User, who.user_id)
        if user is None or user.totp_secret is not None or user.totp_pending is None:
            return None
        return _setup(s.get(t.Event, 1) or repo.event(s), user, user.totp_pending)


def cancel_setup(ctx: Context, who: Principal) -> None:
    with ctx.write() as uow:
        user = uow.session.get(t.User, who.user_id)
        if user is not None:
            user.totp_pending = None


def _unix(moment: datetime) -> float:
    return moment.replace(tzinfo=UTC).timestamp()


def _new_codes() -> tuple[list[str], list[str]]:
    """Fresh recovery codes and their hashes (argon2, ~0.1 s each: call outside a transaction)."""
    codes = [totp.new_recovery_code() for _ in range(totp.RECOVERY_CODES)]
    return codes, [hash_password(totp.normalize_recovery(code)) for code in codes]


def confirm_setup(ctx: Context, who: Principal, code: str) -> list[str]:
    """Turn two-factor authentication on once ``code`` matches the pending secret; returns the
    recovery codes, in clear this once."""
    with ctx.db.read() as s:
        user = s.get(t.User, who.user_id)
        if user is None:
            raise NotFound()
        if user.totp_secret is not None:
            raise DomainError(ErrorCode.TWO_FACTOR_ALREADY_ON)
        pending = user.totp_pending
    if pending is None:
        raise DomainError(ErrorCode.TWO_FACTOR_NO_SETUP)
    verdict = totp.verify(pending, code, _unix(ctx.now()))
    if not verdict.ok:
        raise DomainError(ErrorCode.TWO_FACTOR_CODE_WRONG, field="code")
    codes, hashes = _new_codes()
    with ctx.write() as uow:
        user = uow.session.get(t.User, who.user_id)
        if user is None:
            raise NotFound()
        if user.totp_secret is not None:
            raise DomainError(ErrorCode.TWO_FACTOR_ALREADY_ON)
        if user.totp_pending != pending:  # a new setup was started meanwhile
            raise DomainError(ErrorCode.TWO_FACTOR_NO_SETUP)
        user.totp_secret, user.totp_pending = pending, None
        user.totp_recovery = hashes
        user.totp_last_step = verdict.step
        user.totp_failures, user.totp_failed_at = 0, None
        uow.audit(
            who,
            "two_factor.enabled",
            "user",
            user.id,
            before={"two_factor": False},
            after={"two_factor": True, "recovery_codes": len(hashes)},
        )
    return codes


# --- checking a code ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """A code that was accepted: ``recovery`` when it was a recovery code (now used up)."""

    user: t.User
    recovery: bool = False
    recovery_left: int = 0


def _locked_until(user: t.User, now: datetime) -> datetime | None:
    if user.totp_failures >= LOCK_AFTER and user.totp_failed_at is not None:
        until = user.totp_failed_at + timedelta(minutes=LOCK_MINUTES)
        if until > now:
            return until
    return None


def _locked_error(until: datetime, now: datetime) -> DomainError:
    minutes = max(1, -(-int((until - now).total_seconds()) // 60))
    return DomainError(ErrorCode.TWO_FACTOR_LOCKED, field="code", status=429, minutes=minutes)


def _count_failure(ctx: Context, user_id: int, actor: Principal) -> None:
    """One more wrong code for the account; reaching the limit is recorded in the audit trail."""
    now = ctx.now()
    with ctx.write() as uow:
        user = uow.session.get(t.User, user_id)
        if user is None:
            return
        stale = user.totp_failed_at is None or now - user.totp_failed_at > timedelta(minutes=LOCK_MINUTES)
        user.totp_failures = 1 if stale else user.totp_failures + 1
        user.totp_failed_at = now
        if user.totp_failures == LOCK_AFTER:
            uow.audit(actor, "two_factor.locked", "user", user.id, after={"minutes": LOCK_MINUTES})


def _check(
    ctx: Context, user_id: int, code: str, actor: Principal, *, recovery: bool, password: bool = False
) -> Checked:
    """Accept ``code`` for the account — a current code from the app, else (when allowed) a
    recovery code, which is used up, or the account's password — or raise after counting it."""
    now = ctx.now()
    with ctx.db.read() as s:
        user = s.get(t.User, user_id)
        if user is None:
            raise NotFound()
        if user.totp_secret is None:
            raise DomainError(ErrorCode.TWO_FACTOR_OFF)
        until = _locked_until(user, now)
        if until is not None:
            raise _locked_error(until, now)
        secret, hashes, password_hash = user.totp_secret, list(user.totp_recovery or []), user.password_hash
    replayed = False
    if totp.looks_like_code(code):
        verdict = totp.verify(secret, code, _unix(now))
        if verdict.ok:
            with ctx.write() as uow:
                row = uow.session.get(t.User, user_id, with_for_update=True)
                # Another request may have used this step (or a later one) in the meantime.
                if row is not None and row.totp_secret == secret and verdict.step > row.totp_last_step:
                    row.totp_last_step = verdict.step
                    row.totp_failures, row.totp_failed_at = 0, None
                    return Checked(row)
        replayed = verdict.ok or verdict.replayed
    if recovery and totp.looks_like_recovery(code):
        typed = totp.normalize_recovery(code)
        # argon2 checks (~0.1 s each) run before the write transaction, never holding its lock.
        matched = next((h for h in hashes if verify_password(h, typed)), None)
        if matched is not None:
            with ctx.write() as uow:
                row = uow.session.get(t.User, user_id, with_for_update=True)
                left = list(row.totp_recovery or []) if row is not None else []
                if row is not None and matched in left:
                    left.remove(matched)
                    row.totp_recovery = left
                    row.totp_failures, row.totp_failed_at = 0, None
                    uow.audit(
                        actor, "two_factor.recovery_used", "user", row.id, after={"recovery_left": len(left)}
                    )
                    return Checked(row, recovery=True, recovery_left=len(left))
    if password and code and verify_password(password_hash, code):
        with ctx.write() as uow:
            row = uow.session.get(t.User, user_id)
            if row is not None:
                row.totp_failures, row.totp_failed_at = 0, None
                return Checked(row)
    if replayed:
        # A code that was right a moment ago is not a guess: not counted.
        raise DomainError(ErrorCode.TWO_FACTOR_CODE_USED, field="code")
    _count_failure(ctx, user_id, actor)
    raise DomainError(
        ErrorCode.TWO_FACTOR_PROOF_WRONG if password else ErrorCode.TWO_FACTOR_CODE_WRONG, field="code"
    )


def verify_login(ctx: Context, user_id: int, code: str, address: str = "") -> Checked:
    """The second step of logging in: a code from the app, or a recovery code (used up)."""
    with ctx.db.read() as s:
        user = s.get(t.User, user_id)
        if user is None:
            raise NotFound()
        actor = replace(Principal.of(user), address=address)
    return _check(ctx, user_id, code, actor, recovery=True)


# --- changes once it is on -----------------------------------------------------------------------------


def disable(ctx: Context, who: Principal, proof: str) -> None:
    """Turn two-factor authentication off; ``proof`` is a current code or the account's password."""
    checked = _check(ctx, who.user_id, proof, who, recovery=False, password=True)
    with ctx.write() as uow:
        user = uow.session.get(t.User, checked.user.id)
        if user is None:
            raise NotFound()
        user.totp_secret = user.totp_pending = None
        user.totp_recovery = None
        user.totp_failures, user.totp_failed_at = 0, None
        uow.audit(
            who,
            "two_factor.disabled",
            "user",
            user.id,
            before={"two_factor": True},
            after={"two_factor": False},
        )


def regenerate_recovery(ctx: Context, who: Principal, proof: str) -> list[str]:
    """New recovery codes (the old ones stop working); ``proof`` as for :func:`disable`."""
    _check(ctx, who.user_id, proof, who, recovery=False, password=True)
    codes, hashes = _new_codes()
    with ctx.write() as uow:
        user = uow.session.get(t.User, who.user_id)
        if user is None or user.totp_secret is None:
            raise DomainError(ErrorCode.TWO_FACTOR_OFF)
        user.totp_recovery = hashes
        uow.audit(
            who, "two_factor.recovery_regenerated", "user", user.id, after={"recovery_codes": len(hashes)}
        )
    return codes


def reset(ctx: Context, user_id: int, actor: Principal | None = None) -> bool:
    """Turn an account's two-factor authentication off for it (``kizuna admin reset-two-factor``:
    a lost phone and no recovery code left); it sets it up again at its next staff page if its role
    requires it. Returns whether it was on."""
    with ctx.write() as uow:
        user = uow.session.get(t.User, user_id)
        if user is None:
            raise NotFound()
        was_on = user.totp_secret is not None
        user.totp_secret = user.totp_pending = None
        user.totp_recovery = None
        user.totp_failures, user.totp_failed_at = 0, None
        if was_on:
            sessions.end_all(uow, user)  # sessions opened with the lost device end
            uow.audit(
                actor,
                "two_factor.reset",
                "user",
                user.id,
                before={"two_factor": True},
                after={"two_factor": False},
            )
        return was_on
