"""Awards: points an admin grants (or, negative, takes away) with a reason."""

from __future__ import annotations

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.services.context import Context
from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.storage.db import SCOREBOARD


def grant_award(
    ctx: Context,
    name: str,
    value: int,
    user_id: int | None = None,
    team_id: int | None = None,
    description: str = "",
    category: str = "",
    icon: str = "",
) -> t.Award:
    if not name.strip():
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="name")
    with ctx.write() as uow:
        s = uow.session
        ev = repo.event(s)
        user = s.get(t.User, user_id) if user_id else None
        if user_id and user is None:
            raise DomainError(ErrorCode.VALUE_INVALID, field="user_id")
        if ev.mode == "teams":
            team_id = team_id or (user.team_id if user else None)
            if not team_id or s.get(t.Team, team_id) is None:
                raise DomainError(ErrorCode.VALUE_INVALID, field="team_id")
            acct = team_id
        else:
            if user is None:
                raise DomainError(ErrorCode.FIELD_REQUIRED, field="user_id")
            acct = user.id
        award = t.Award(
            user_id=user_id,
            team_id=team_id,
            account_id=acct,
            name=name.strip()[:200],
            description=description,
            value=int(value),
            category=category[:100],
            icon=icon[:64],
            date=ctx.now(),
        )
        s.add(award)
        s.flush()
        uow.bump(SCOREBOARD)
        uow.emit("award", {"award_id": award.id, "account_id": acct, "value": int(value)}, account_id=acct)
        uow.audit(
            None,
            "award.granted",
            "award",
            award.id,
            after={"account_id": acct, "name": award.name, "value": award.value, "category": award.category},
        )
    return award


def delete_award(ctx: Context, award_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        award = s.get(t.Award, award_id)
        if award is None:
            raise NotFound()
        acct = award.account_id
        uow.audit(
            None,
            "award.deleted",
            "award",
            award.id,
            before={"account_id": acct, "name": award.name, "value": award.value, "category": award.category},
        )
        s.delete(award)
        uow.bump(SCOREBOARD)
        uow.emit("award", {"award_id": award_id, "account_id": acct, "value": 0}, account_id=acct)
