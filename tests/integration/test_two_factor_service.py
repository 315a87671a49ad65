"""services.two_factor: setup, codes at login (replay refused, recovery codes used once), the
per-account limit on wrong codes, turning it off, new recovery codes, the event's setting — and
that the audit trail names what happened without any secret or code."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kizuna.domain import totp
from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.services import event, two_factor
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import tables as t
from tests.conftest import PASSWORD, Factory

START = datetime(2026, 11, 28, 9, 0, 0)  # naive UTC, on a step boundary


class Clock:
    def __init__(self, ctx: Context) -> None:
        self.now = START
        ctx.now = lambda: self.now

    def code(self, secret: str, steps: int = 0) -> str:
        """The code the app shows now (or ``steps`` steps later)."""
        at = self.now.replace(tzinfo=UTC).timestamp() + steps * totp.PERIOD
        return totp.totp(totp.secret_key(secret), at)

    def tick(self, seconds: int = totp.PERIOD) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(ctx: Context) -> Clock:
    return Clock(ctx)


def principal(user: Any) -> Principal:
    return Principal.of(user)


def user_row(ctx: Context, user_id: int) -> t.User:
    with ctx.db.read() as s:
        row = s.get(t.User, user_id)
        assert row is not None
        return row


def audit(ctx: Context) -> list[t.AuditEntry]:
    with ctx.db.read() as s:
        return list(s.query(t.AuditEntry).order_by(t.AuditEntry.id))


def enable(ctx: Context, clock: Clock, user: Any) -> tuple[str, list[str]]:
    setup = two_factor.begin_setup(ctx, principal(user))
    codes = two_factor.confirm_setup(ctx, principal(user), clock.code(setup.secret))
    clock.tick()  # the confirming code's step is spent; the next login uses the next one
    return setup.secret, codes


def test_setup_keeps_the_secret_pending_until_a_code_confirms_it(
    ctx: Context, make: Factory, clock: Clock
) -> None:
    user = make.user("alice")
    who = principal(user)
    assert two_factor.status(ctx, who) == two_factor.Status(False, 0, False, False)
    setup = two_factor.begin_setup(ctx, who)
    assert setup.uri.startswith("otpauth://totp/") and f"secret={setup.secret}" in setup.uri
    assert ":alice?" in setup.uri
    row = user_row(ctx, user.id)
    assert row.totp_pending == setup.secret and row.totp_secret is None
    assert two_factor.status(ctx, who).pending
    assert two_factor.pending_setup(ctx, who) == setup
    # Starting again replaces the key: a code from the first one no longer confirms.
    again = two_factor.begin_setup(ctx, who)
    assert again.secret != setup.secret
    with pytest.raises(DomainError) as wrong:
        two_factor.confirm_setup(ctx, who, clock.code(setup.secret))
    assert wrong.value.code is ErrorCode.TWO_FACTOR_CODE_WRONG
    codes = two_factor.confirm_setup(ctx, who, clock.code(again.secret))
    assert len(codes) == totp.RECOVERY_CODES == len(set(codes))
    row = user_row(ctx, user.id)
    assert row.totp_secret == again.secret and row.totp_pending is None
    assert len(row.totp_recovery or []) == totp.RECOVERY_CODES
    # Only argon2 hashes are stored, never the codes themselves.
    stored = json.dumps(row.totp_recovery)
    assert not any(code.replace("-", "") in stored for code in codes)
    assert all(h.startswith("$argon2") for h in row.totp_recovery or [])
    assert two_factor.status(ctx, who) == two_factor.Status(True, 10, False, False)
    with pytest.raises(DomainError) as already:
        two_factor.begin_setup(ctx, who)
    assert already.value.code is ErrorCode.TWO_FACTOR_ALREADY_ON


def test_confirm_needs_a_setup(ctx: Context, make: Factory, clock: Clock) -> None:
    user = make.user()
    with pytest.raises(DomainError) as exc:
        two_factor.confirm_setup(ctx, principal(user), "123456")
    assert exc.value.code is ErrorCode.TWO_FACTOR_NO_SETUP
    two_factor.begin_setup(ctx, principal(user))
    two_factor.cancel_setup(ctx, principal(user))
    assert two_factor.pending_setup(ctx, principal(user)) is None


def test_login_codes_work_once(ctx: Context, make: Factory, clock: Clock) -> None:
    user = make.user()
    secret, _codes = enable(ctx, clock, user)
    code = clock.code(secret)
    checked = two_factor.verify_login(ctx, user.id, code)
    assert checked.user.id == user.id and not checked.recovery
    with pytest.raises(DomainError) as replay:
        two_factor.verify_login(ctx, user.id, code)
    assert replay.value.code is ErrorCode.TWO_FACTOR_CODE_USED
    # Within the same 30 seconds there is no other code; the next step's is accepted.
    clock.tick()
    assert two_factor.verify_login(ctx, user.id, clock.code(secret)).user.id == user.id
    # A replayed code is not a guess: it does not count towards the limit.
    assert user_row(ctx, user.id).totp_failures == 0


def test_codes_one_step_early_or_late_are_accepted(ctx: Context, make: Factory, clock: Clock) -> None:
    user = make.user()
    secret, _ = enable(ctx, clock, user)
    clock.tick(5 * totp.PERIOD)
    assert two_factor.verify_login(ctx, user.id, clock.code(secret, steps=-1))
    clock.tick(5 * totp.PERIOD)
    assert two_factor.verify_login(ctx, user.id, clock.code(secret, steps=1))
    clock.tick(5 * totp.PERIOD)
    with pytest.raises(DomainError):
        two_factor.verify_login(ctx, user.id, clock.code(secret, steps=2))


def test_a_recovery_code_works_once(ctx: Context, make: Factory, clock: Clock) -> None:
    user = make.user()
    _secret, codes = enable(ctx, clock, user)
    typed = codes[3].upper().replace("-", " ")  # typed loosely
    checked = two_factor.verify_login(ctx, user.id, typed, address="192.0.2.7")
    assert checked.recovery and checked.recovery_left == 9
    with pytest.raises(DomainError) as again:
        two_factor.verify_login(ctx, user.id, codes[3])
    assert again.value.code is ErrorCode.TWO_FACTOR_CODE_WRONG
    assert two_factor.status(ctx, principal(user)).recovery_left == 9
    used = [e for e in audit(ctx) if e.action == "two_factor.recovery_used"]
    assert len(used) == 1 and used[0].actor_id == user.id and used[0].address == "192.0.2.7"
    assert used[0].after == {"recovery_left": 9}


def test_wrong_codes_are_limited_per_account(ctx: Context, make: Factory, clock: Clock) -> None:
    user = make.user()
    secret, _ = enable(ctx, clock, user)
    right = clock.code(secret)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(two_factor.LOCK_AFTER):
        with pytest.raises(DomainError) as exc:
            two_factor.verify_login(ctx, user.id, wrong)
        assert exc.value.code is ErrorCode.TWO_FACTOR_CODE_WRONG
    # Now even the right code is refused, whatever session it comes from.
    with pytest.raises(DomainError) as locked:
        two_factor.verify_login(ctx, user.id, right)
    assert locked.value.code is ErrorCode.TWO_FACTOR_LOCKED and locked.value.status == 429
    assert locked.value.params == {"minutes": two_factor.LOCK_MINUTES}
    assert [e.action for e in audit(ctx)].count("two_factor.locked") == 1
    clock.tick(two_factor.LOCK_MINUTES * 60 + 1)
    assert two_factor.verify_login(ctx, user.id, clock.code(secret))
    assert user_row(ctx, user.id).totp_failures == 0


def test_disable_needs_a_current_code_or_the_password(ctx: Context, make: Factory, clock: Clock) -> None:
    user = make.user()
    secret, _ = enable(ctx, clock, user)
    who = principal(user)
    with pytest.raises(DomainError) as wrong:
        two_factor.disable(ctx, who, "not my password")
    assert wrong.value.code is ErrorCode.TWO_FACTOR_PROOF_WRONG
    two_factor.disable(ctx, who, clock.code(secret))
    row = user_row(ctx, user.id)
    assert row.totp_secret is None and row.totp_recovery is None
    assert not two_factor.status(ctx, who).enabled
    with pytest.raises(DomainError) as off:
        two_factor.disable(ctx, who, PASSWORD)
    assert off.value.code is ErrorCode.TWO_FACTOR_OFF
    # On again, then off with the password.
    clock.tick()
    enable(ctx, clock, user)
    two_factor.disable(ctx, who, PASSWORD)
    assert not two_factor.is_enabled(ctx, user.id)


def test_new_recovery_codes_replace_the_old(ctx: Context, make: Factory, clock: Clock) -> None:
    user = make.user()
    secret, old = enable(ctx, clock, user)
    new = two_factor.regenerate_recovery(ctx, principal(user), clock.code(secret))
    assert len(new) == 10 and not set(new) & set(old)
    with pytest.raises(DomainError):
        two_factor.verify_login(ctx, user.id, old[0])
    assert two_factor.verify_login(ctx, user.id, new[0]).recovery


def test_the_audit_trail_names_actions_and_never_secrets(ctx: Context, make: Factory, clock: Clock) -> None:
    user = make.user()
    secret, codes = enable(ctx, clock, user)
    new = two_factor.regenerate_recovery(ctx, principal(user), PASSWORD)
    two_factor.verify_login(ctx, user.id, new[0])
    two_factor.disable(ctx, principal(user), PASSWORD)
    entries = [e for e in audit(ctx) if e.action.startswith("two_factor.")]
    assert [e.action for e in entries] == [
        "two_factor.enabled",
        "two_factor.recovery_regenerated",
        "two_factor.recovery_used",
        "two_factor.disabled",
    ]
    assert all(e.actor_id == user.id and e.target_type == "user" for e in entries)
    dumped = json.dumps([[e.before, e.after] for e in entries])
    for value in (secret, PASSWORD, *codes, *new):
        assert value not in dumped and value.replace("-", "") not in dumped


def test_reset_turns_it_off_and_ends_sessions(ctx: Context, make: Factory, clock: Clock) -> None:
    user = make.user()
    enable(ctx, clock, user)
    version = user_row(ctx, user.id).session_version
    assert two_factor.reset(ctx, user.id) is True
    row = user_row(ctx, user.id)
    assert row.totp_secret is None and row.session_version == version + 1
    assert two_factor.reset(ctx, user.id) is False
    assert [e.action for e in audit(ctx)][-1] == "two_factor.reset"


def test_the_event_setting(ctx: Context, make: Factory, clock: Clock) -> None:
    admin, judge, player = make.admin(), make.user(role="judge"), make.user()
    # The test fixtures require it of no role; None (the default) means admins only.
    assert two_factor.required_roles(event.get_event(ctx)) == []
    assert not two_factor.setup_required(ctx, admin.id, "admin")
    event.update_event(ctx, {"two_factor_roles": None})
    assert two_factor.required_roles(event.get_event(ctx)) == ["admin"]
    assert two_factor.setup_required(ctx, admin.id, "admin")
    assert not two_factor.setup_required(ctx, judge.id, "judge")
    event.update_event(ctx, {"two_factor_roles": ["judge", "admin", "judge"]})
    assert event.get_event(ctx).two_factor_roles == ["admin", "judge"]
    assert two_factor.setup_required(ctx, judge.id, "judge")
    assert not two_factor.setup_required(ctx, player.id, "player")
    enable(ctx, clock, judge)
    assert not two_factor.setup_required(ctx, judge.id, "judge")
    for bad in (["player"], ["root"], "admin", [1]):
        with pytest.raises(DomainError) as exc:
            event.update_event(ctx, {"two_factor_roles": bad})
        assert exc.value.field == "two_factor_roles"
    assert event.get_event(ctx).two_factor_roles == ["admin", "judge"]
