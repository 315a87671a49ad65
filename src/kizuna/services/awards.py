"""Awards: points an admin grants (or, negative, takes away) with a reason."""

from __future__ import annotations

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.services.context import Context
from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.storage.db import SCOREBOARD, bump


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
    with ctx.db.write() as s:
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
        bump(s, SCOREBOARD)
    ctx.bus.publish({"type": "award", "account_id": acct, "value": int(value)})
    return award


def delete_award(ctx: Context, award_id: int) -> None:
    with ctx.db.write() as s:
        award = s.get(t.Award, award_id)
        if award is None:
            raise NotFound()
        acct = award.account_id
        s.delete(award)
        bump(s, SCOREBOARD)
    ctx.bus.publish({"type": "award", "account_id": acct, "value": 0})
