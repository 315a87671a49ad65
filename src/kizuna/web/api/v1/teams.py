"""``/teams``: teams, their members, solves and awards. The invite code is shown only to members
and admins.

A hidden or banned team answers ``/teams/{id}`` and its sub-routes exactly as a missing one does
(404), to everyone but staff who watch the rosters (``Action.ROSTER_VIEW``) — its own members
included, as on CTFd; they have ``/teams/me``. A team's hidden and banned members are not listed to
anyone but its own members and roster staff."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse

from kizuna.domain.errors import ErrorCode, Forbidden, NotFound
from kizuna.domain.policy import Action
from kizuna.services import teams
from kizuna.services.accounts import Principal
from kizuna.storage import tables as t
from kizuna.web.api.v1 import accounts_common as common
from kizuna.web.api.v1.common import done, int_param, ok, roles, when
from kizuna.web.deps import AccountManager, CtxDep, MaybeUser, RosterViewer, User

router = APIRouter(tags=["teams"])
Payload = Annotated[dict[str, Any], Body()]


def _team(ctx: Any, team_id: int, who: Principal | None, own: bool = False) -> tuple[t.Team, list[t.User]]:
    """The team and the members ``who`` may see; NotFound when the team is hidden or banned and
    ``who`` does not watch the rosters (``own``: the ``/teams/me`` routes, for its members)."""
    moderator = bool(who and who.can(Action.ROSTER_VIEW))
    with ctx.db.read() as s:
        team = s.get(t.Team, team_id)
        members = list(team.members) if team is not None else []
    if team is None or ((team.hidden or team.banned) and not (moderator or own)):
        raise NotFound()
    return team, _members_seen(members, who, team.id)


def _members_seen(members: list[t.User], who: Principal | None, team_id: int) -> list[t.User]:
    if who and (who.can(Action.ROSTER_VIEW) or who.team_id == team_id):
        return members
    return [m for m in members if not (m.hidden or m.banned)]


def _shape(request: Request, team: t.Team, members: list[t.User], who: Principal | None) -> dict[str, Any]:
    own = bool(who and who.team_id == team.id)
    private = own or bool(who and who.can(Action.ACCOUNT_MANAGE))
    live = own or bool(who and who.can(Action.SCOREBOARD_LIVE))
    place, score = common.place_and_score(request, team.id, live=live)
    out: dict[str, Any] = {
        "id": team.id,
        "name": team.name,
        "affiliation": team.affiliation,
        "country": team.country,
        "captain_id": team.captain_id,
        "place": place,
        "score": score,
        "members": [m.id for m in members],
        "oauth_id": None,
        "bracket_id": team.bracket_id,
        "website": None,
    }
    if private:
        out["invite_code"] = team.invite_code
    if who and who.can(Action.ROSTER_VIEW):
        out.update(hidden=team.hidden, banned=team.banned, created=when(team.created_at))
    return out


def _my_team_id(who: Principal) -> int:
    if who.team_id is None:
        raise Forbidden(ErrorCode.TEAM_REQUIRED)
    return who.team_id


@router.get("/teams", summary="Teams, 50 a page (players: ranked teams only); ?q=&field=name to search")
def list_teams(
    request: Request, ctx: CtxDep, who: MaybeUser, page: int = 1, q: str = "", field: str = "name"
) -> JSONResponse:
    with ctx.db.read() as s:
        query = s.query(t.Team).order_by(t.Team.id)
        if not (who and who.can(Action.ROSTER_VIEW)):
            query = query.filter(t.Team.hidden.is_(False), t.Team.banned.is_(False))
        if q:
            # Teams have no email, so only the public fields can be searched.
            rows, meta = common.paginate_search(query, t.Team, common.search_field(field, False), q, page)
        else:
            rows, meta = common.paginate(query, page)
        data = [(team, _members_seen(list(team.members), who, team.id)) for team in rows]
    return ok([_shape(request, team, members, who) for team, members in data], meta=meta)


@router.post("/teams", summary=f"Create a team {roles(Action.ACCOUNT_MANAGE)}")
def create_team(request: Request, ctx: CtxDep, who: AccountManager, payload: Payload) -> JSONResponse:
    team = teams.create_team(
        ctx,
        str(payload.get("name") or ""),
        None,
        str(payload.get("affiliation") or ""),
        str(payload.get("country") or ""),
        payload.get("bracket_id"),
    )
    flags: dict[str, object] = {k: payload[k] for k in ("hidden", "banned") if k in payload}
    if flags:
        team = teams.update_team(ctx, team.id, flags, who.user_id, True)
    return ok(_shape(request, team, [], who))


@router.get("/teams/me", summary="Your team")
def my_team(request: Request, ctx: CtxDep, who: User) -> JSONResponse:
    team, members = _team(ctx, _my_team_id(who), who, own=True)
    return ok(_shape(request, team, members, who))


@router.patch(
    "/teams/me",
    summary="Change your team's name, affiliation, country or bracket, or pass the captaincy (captain)",
)
def update_my_team(request: Request, ctx: CtxDep, who: User, payload: Payload) -> JSONResponse:
    changes: dict[str, object] = {
        k: payload[k] for k in ("name", "affiliation", "country", "bracket_id", "captain_id") if k in payload
    }
    teams.update_team(ctx, _my_team_id(who), changes, who.user_id, False)
    team, members = _team(ctx, _my_team_id(who), who, own=True)
    return ok(_shape(request, team, members, who))


@router.delete("/teams/me", summary="Disband your team (captain, when no one else is in it)")
def disband_my_team(ctx: CtxDep, who: User) -> JSONResponse:
    team, members = _team(ctx, _my_team_id(who), who, own=True)
    if team.captain_id != who.user_id:
        raise Forbidden(ErrorCode.NOT_CAPTAIN)
    if len(members) > 1:
        raise Forbidden()
    teams.delete_team(ctx, team.id)
    return done()


@router.post("/teams/me/members", summary="Make a new invite code for your team (captain)")
def new_invite(ctx: CtxDep, who: User) -> JSONResponse:
    return ok({"code": teams.new_invite(ctx, _my_team_id(who), who.user_id)})


@router.get("/teams/me/solves", summary="Your team's solves")
def my_solves(ctx: CtxDep, who: User) -> JSONResponse:
    return ok(common.solves(ctx, who, "team", _my_team_id(who), None))


@router.get("/teams/me/fails", summary="Your team's wrong attempts")
def my_fails(ctx: CtxDep, who: User) -> JSONResponse:
    rows, count = common.fails(ctx, who, "team", _my_team_id(who), True)
    return ok(rows, meta={"count": count})


@router.get("/teams/me/awards", summary="Your team's awards")
def my_awards(ctx: CtxDep, who: User) -> JSONResponse:
    return ok(common.awards(ctx, "team", _my_team_id(who), None))


@router.get("/teams/{team_id}", summary="A team's public profile")
def get_team(request: Request, ctx: CtxDep, who: MaybeUser, team_id: int) -> JSONResponse:
    team, members = _team(ctx, team_id, who)
    return ok(_shape(request, team, members, who))


@router.patch("/teams/{team_id}", summary=f"Edit a team {roles(Action.ACCOUNT_MANAGE)}")
def update_team(
    request: Request, ctx: CtxDep, who: AccountManager, team_id: int, payload: Payload
) -> JSONResponse:
    teams.update_team(ctx, team_id, payload, who.user_id, True)
    team, members = _team(ctx, team_id, who)
    return ok(_shape(request, team, members, who))


@router.delete("/teams/{team_id}", summary=f"Delete a team {roles(Action.ACCOUNT_MANAGE)}")
def delete_team(ctx: CtxDep, who: AccountManager, team_id: int) -> JSONResponse:
    teams.delete_team(ctx, team_id)
    return done()


@router.get("/teams/{team_id}/members", summary=f"A team's members {roles(Action.ROSTER_VIEW)}")
def members(ctx: CtxDep, who: RosterViewer, team_id: int) -> JSONResponse:
    return ok([m.id for m in _team(ctx, team_id, who)[1]])


@router.post("/teams/{team_id}/members", summary=f"Add a user to a team {roles(Action.ACCOUNT_MANAGE)}")
def add_member(ctx: CtxDep, who: AccountManager, team_id: int, payload: Payload) -> JSONResponse:
    user_id = int_param(payload, "user_id")
    assert user_id is not None
    teams.add_member(ctx, team_id, user_id)
    return ok([m.id for m in _team(ctx, team_id, who)[1]])


@router.delete(
    "/teams/{team_id}/members", summary=f"Remove a user from a team {roles(Action.ACCOUNT_MANAGE)}"
)
def remove_member(ctx: CtxDep, who: AccountManager, team_id: int, payload: Payload) -> JSONResponse:
    user_id = int_param(payload, "user_id")
    assert user_id is not None
    teams.remove_member(ctx, team_id, user_id)
    return ok([m.id for m in _team(ctx, team_id, who)[1]])


def _cutoff(request: Request, who: Principal | None, team_id: int) -> Any:
    if who and (who.can(Action.SCOREBOARD_LIVE) or who.team_id == team_id):
        return None
    return request.app.state.snapshots.state().cutoff


@router.get("/teams/{team_id}/solves", summary="A team's solves (frozen view for others)")
def team_solves(request: Request, ctx: CtxDep, who: MaybeUser, team_id: int) -> JSONResponse:
    _team(ctx, team_id, who)
    return ok(common.solves(ctx, who, "team", team_id, _cutoff(request, who, team_id)))


@router.get("/teams/{team_id}/fails", summary="A team's wrong attempts (others see only the count)")
def team_fails(ctx: CtxDep, who: MaybeUser, team_id: int) -> JSONResponse:
    _team(ctx, team_id, who)
    full = bool(who and (who.can(Action.SUBMISSION_VIEW) or who.team_id == team_id))
    rows, count = common.fails(ctx, who, "team", team_id, full)
    return ok(rows, meta={"count": count})


@router.get("/teams/{team_id}/awards", summary="A team's awards")
def team_awards(request: Request, ctx: CtxDep, who: MaybeUser, team_id: int) -> JSONResponse:
    _team(ctx, team_id, who)
    return ok(common.awards(ctx, "team", team_id, _cutoff(request, who, team_id)))
