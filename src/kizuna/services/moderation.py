"""Moderation by staff: hiding an account pending review, and changing an account's role.

* **Hiding** (``Action.ACCOUNT_HIDE``: marshals and admins) takes a user or a team off the scoreboard
  until someone reviews it, and nothing else: a marshal cannot ban, delete, edit or change scores,
  so this use case touches the ``hidden`` flag only. Each change appends an ``account_hidden`` event
  for staff (the live activity feed shows it) and an audit entry.
* **Roles** (``Action.ROLE_CHANGE``: admins) are data: one of ``policy.ACCOUNT_ROLES``. A change is
  audited as ``account.role_changed`` with the roles before and after. Staff roles do not score, so a
  change bumps the scoreboard. Admins cannot change their own role (no one locks themself out).

Both check the policy themselves as well as at the route, so no adapter can skip it.
"""

from __future__ import annotations

from typing import Literal

from kizuna.domain.errors import DomainError, ErrorCode, Forbidden, NotFound
from kizuna.domain.events import Audience
from kizuna.domain.policy import Action, validate_role
from kizuna.services import sessions
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import tables as t
from kizuna.storage.db import SCOREBOARD

Kind = Literal["user", "team"]
KINDS: tuple[Kind, ...] = ("user", "team")


def hide_account(ctx: Context, who: Principal, kind: Kind, target_id: int, hidden: bool) -> bool:
    """Hide a user or a team pending review (``hidden``), or show it again. Returns whether anything
    changed: hiding a hidden account records nothing."""
    if not who.can(Action.ACCOUNT_HIDE):
        raise Forbidden()
    if kind not in KINDS:
        raise DomainError(ErrorCode.VALUE_INVALID, field="kind")
    with ctx.write() as uow:
        row: t.User | t.Team | None = (
            uow.session.get(t.User, target_id) if kind == "user" else uow.session.get(t.Team, target_id)
        )
        if row is None:
            raise NotFound()
        before = bool(row.hidden)
        if before == hidden:
            return False
        row.hidden = hidden
        uow.bump(SCOREBOARD)
        uow.emit(
            "account_hidden",
            {"account_id": target_id, "kind": kind, "hidden": hidden},
            audience=Audience.STAFF,
        )
        uow.audit(
            who,
            "account.hidden" if hidden else "account.unhidden",
            kind,
            target_id,
            before={"hidden": before},
            after={"hidden": hidden},
        )
    return True


def change_role(ctx: Context, who: Principal, user_id: int, role: object) -> bool:
    """Give account ``user_id`` the role ``role``. Returns whether it changed."""
    if not who.can(Action.ROLE_CHANGE):
        raise Forbidden()
    try:
        new = validate_role(role)
    except ValueError:
        raise DomainError(ErrorCode.VALUE_INVALID, field="role") from None
    with ctx.write() as uow:
        user = uow.session.get(t.User, user_id)
        if user is None:
            raise NotFound()
        old = user.role
        if old == new:
            return False
        if user.id == who.user_id:
            raise DomainError(ErrorCode.VALUE_INVALID, field="role")
        user.role = new
        sessions.end_all(uow, user)  # a new role starts with a new log-in
        uow.bump(SCOREBOARD)
        uow.emit("account_changed", {"account_id": user.id}, audience=Audience.STAFF)
        uow.audit(who, "account.role_changed", "user", user.id, before={"role": old}, after={"role": new})
    return True
