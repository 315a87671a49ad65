"""Use cases for teams: create (the creator becomes captain), join by invite code, leave, admin edits.

Staff do not play (``domain.policy``): a staff account may not create a team for itself, join one,
or be put in one by an admin (``STAFF_NO_TEAM``, 403)."""

from __future__ import annotations

from kizuna.domain.countries import validate_country
from kizuna.domain.errors import DomainError, ErrorCode, Forbidden, NotFound
from kizuna.domain.events import Audience
from kizuna.domain.names import name_key, validate_display_text, validate_name
from kizuna.domain.policy import is_staff
from kizuna.security import new_invite_code
from kizuna.services.accounts import ensure_may_play, refuse_look_alike
from kizuna.services.brackets import check_bracket, check_own_choice
from kizuna.services.context import Context
from kizuna.storage import name_queries, repo
from kizuna.storage import tables as t
from kizuna.storage.db import SCOREBOARD

# What the audit trail records of a team edit.
AUDITED_FIELDS = ("name", "affiliation", "country", "bracket_id", "captain_id", "hidden", "banned")


def _refuse_staff(user: t.User, field: str = "") -> None:
    """Staff do not play, so they have no team to play for."""
    if is_staff(user.role):
        raise Forbidden(ErrorCode.STAFF_NO_TEAM, field=field)


def create_team(
    ctx: Context,
    name: str,
    captain_id: int | None,
    affiliation: str = "",
    country: str = "",
    bracket_id: object = None,
) -> t.Team:
    """Create a team. With a captain (a player creating their own team) the captain joins it.
    ``country`` is an ISO 3166-1 alpha-2 code (or ""); ``bracket_id`` a bracket of type ``teams``."""
    clean = validate_name(name)
    country = validate_country(validate_display_text(country, "country"))
    with ctx.write() as uow:
        s = uow.session
        ev = repo.event(s)
        if ev.mode != "teams":
            raise DomainError(ErrorCode.NOT_TEAM_MODE, status=400)
        user = None
        if captain_id is not None:
            user = s.get(t.User, captain_id)
            if user is None:
                raise NotFound()
            _refuse_staff(user)
            ensure_may_play(ev, user)  # a verified address first, when the event asks
            if user.team_id is not None:
                raise DomainError(ErrorCode.ALREADY_IN_TEAM)
        if repo.team_by_name_key(s, name_key(clean)):
            raise DomainError(ErrorCode.NAME_TAKEN, field="name")
        refuse_look_alike(clean, name_queries.team_names(s))
        team = t.Team(
            name=clean,
            name_key=name_key(clean),
            invite_code=new_invite_code(),
            captain_id=captain_id,
            affiliation=validate_display_text(affiliation, "affiliation")[:128],
            country=country,
            bracket_id=check_bracket(s, bracket_id, "teams"),
        )
        s.add(team)
        try:
            s.flush()
        except repo.IntegrityError:
            raise DomainError(ErrorCode.NAME_TAKEN, field="name") from None
        if user is not None:
            user.team_id = team.id
        uow.bump(SCOREBOARD)
        uow.emit("account_changed", {"account_id": team.id}, audience=Audience.STAFF)
    return team


def join_team(ctx: Context, user_id: int, invite_code: str) -> t.Team:
    with ctx.write() as uow:
        s = uow.session
        ev = repo.event(s)
        if ev.mode != "teams":
            raise DomainError(ErrorCode.NOT_TEAM_MODE)
        user = s.get(t.User, user_id)
        if user is None:
            raise NotFound()
        _refuse_staff(user)
        ensure_may_play(ev, user)  # a verified address first, when the event asks
        if user.team_id is not None:
            raise DomainError(ErrorCode.ALREADY_IN_TEAM)
        team = repo.team_by_invite(s, invite_code.strip())
        if team is None or team.banned:
            raise DomainError(ErrorCode.INVITE_INVALID, field="code")
        if ev.team_size_limit and repo.team_size(s, team.id) >= ev.team_size_limit:
            raise DomainError(ErrorCode.TEAM_FULL, field="code", limit=ev.team_size_limit)
        user.team_id = team.id
        if team.captain_id is None:
            team.captain_id = user.id
        uow.bump(SCOREBOARD)
        uow.emit("account_changed", {"account_id": team.id}, audience=Audience.STAFF)
    return team


def add_member(ctx: Context, team_id: int, user_id: int) -> t.Team:
    """Admin: put a user in a team regardless of invite code and size limit."""
    with ctx.write() as uow:
        s = uow.session
        team, user = s.get(t.Team, team_id), s.get(t.User, user_id)
        if team is None or user is None:
            raise NotFound()
        _refuse_staff(user, field="user_id")
        if user.team_id is not None and user.team_id != team.id:
            raise DomainError(ErrorCode.ALREADY_IN_TEAM, field="user_id")
        user.team_id = team.id
        if team.captain_id is None:
            team.captain_id = user.id
        uow.bump(SCOREBOARD)
        uow.emit("account_changed", {"account_id": team_id}, audience=Audience.STAFF)
    return team


def remove_member(ctx: Context, team_id: int, user_id: int) -> None:
    """Remove a member. Solves and awards stay with the team: they were scored for it."""
    with ctx.write() as uow:
        s = uow.session
        team, user = s.get(t.Team, team_id), s.get(t.User, user_id)
        if team is None or user is None or user.team_id != team.id:
            raise NotFound()
        user.team_id = None
        if team.captain_id == user.id:
            others = [m for m in team.members if m.id != user.id]
            team.captain_id = others[0].id if others else None
        uow.bump(SCOREBOARD)
        uow.emit("account_changed", {"account_id": team_id}, audience=Audience.STAFF)


def leave_team(ctx: Context, user_id: int) -> None:
    with ctx.db.read() as s:
        user = s.get(t.User, user_id)
        if user is None or user.team_id is None:
            raise DomainError(ErrorCode.TEAM_REQUIRED)
        team_id = user.team_id
    remove_member(ctx, team_id, user_id)


def new_invite(ctx: Context, team_id: int, actor_id: int, manage_any: bool = False) -> str:
    """Replace the team's invite code (captain or admin); the old code stops working."""
    with ctx.write() as uow:
        s = uow.session
        team = s.get(t.Team, team_id)
        if team is None:
            raise NotFound()
        if team.captain_id != actor_id and not manage_any:
            raise Forbidden(ErrorCode.NOT_CAPTAIN)
        team.invite_code = new_invite_code()
        return team.invite_code


def update_team(
    ctx: Context, team_id: int, changes: dict[str, object], actor_id: int, manage_any: bool
) -> t.Team:
    """Change a team: its captain may rename it and pass the captaincy; ``manage_any`` (the actor's
    role may manage every account: ``Action.ACCOUNT_MANAGE``) may change any team, hidden and banned
    included."""
    with ctx.write() as uow:
        s = uow.session
        team = s.get(t.Team, team_id)
        if team is None:
            raise NotFound()
        if not manage_any and team.captain_id != actor_id:
            raise Forbidden(ErrorCode.NOT_CAPTAIN)
        before = {key: getattr(team, key) for key in AUDITED_FIELDS}
        if "name" in changes:
            clean = validate_name(str(changes["name"]))
            other = repo.team_by_name_key(s, name_key(clean))
            if other is not None and other.id != team.id:
                raise DomainError(ErrorCode.NAME_TAKEN, field="name")
            refuse_look_alike(clean, name_queries.team_names(s, except_id=team.id))
            team.name, team.name_key = clean, name_key(clean)
        if "affiliation" in changes:
            team.affiliation = validate_display_text(str(changes["affiliation"] or ""), "affiliation")[:128]
        if "country" in changes:
            raw = validate_display_text(str(changes["country"] or ""), "country")
            team.country = validate_country(raw)
        if "bracket_id" in changes:
            chosen = check_bracket(s, changes["bracket_id"], "teams")
            if not manage_any:
                check_own_choice(team.bracket_id, chosen)  # the captain chooses once
            team.bracket_id = chosen
        if "captain_id" in changes:
            new_captain = s.get(t.User, int(str(changes["captain_id"])))
            if new_captain is None or new_captain.team_id != team.id:
                raise DomainError(ErrorCode.VALUE_INVALID, field="captain_id")
            team.captain_id = new_captain.id
        if manage_any:
            for flag in ("hidden", "banned"):
                if flag in changes:
                    setattr(team, flag, bool(changes[flag]))
        uow.bump(SCOREBOARD)
        uow.emit("account_changed", {"account_id": team_id}, audience=Audience.STAFF)
        changed = {k: v for k, v in before.items() if getattr(team, k) != v}
        if "hidden" in changed:
            uow.emit(
                "account_hidden",
                {"account_id": team.id, "kind": "team", "hidden": team.hidden},
                audience=Audience.STAFF,
            )
        if changed:
            uow.audit(
                None,
                "team.updated",
                "team",
                team.id,
                before=changed,
                after={k: getattr(team, k) for k in changed},
            )
    return team


def delete_team(ctx: Context, team_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        team = s.get(t.Team, team_id)
        if team is None:
            raise NotFound()
        uow.audit(None, "team.deleted", "team", team.id, before={"name": team.name})
        for member in team.members:
            member.team_id = None
        s.delete(team)
        uow.bump(SCOREBOARD)
        uow.emit("account_changed", {"account_id": team_id}, audience=Audience.STAFF)
