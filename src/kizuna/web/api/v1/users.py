"""``/users``: accounts. Players see public fields of ranked (neither hidden nor banned) users only;
emails and moderation flags are for admins and the user themself; hidden accounts also for the staff
who watch the rosters (``Action.ROSTER_VIEW``). A hidden or banned user, or a member of a hidden or
banned team, answers ``/users/{id}`` and its sub-routes exactly as a missing one (404) to everyone
else — themself included, as on CTFd (they have ``/users/me``) — and is left out of the list.

Roles: CTFd's ``type`` is ``"admin"`` or ``"user"`` (a judge, marshal or author is a ``"user"`` to
CTFd's tools); Kizuna's real role is the additive ``role`` field, which only admins change
(``Action.ROLE_CHANGE``, through ``services.moderation.change_role``, audited)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from kizuna.domain.errors import DomainError, ErrorCode, Forbidden, NotFound
from kizuna.domain.policy import Action, validate_role
from kizuna.services import accounts, moderation
from kizuna.services.accounts import Principal
from kizuna.storage import tables as t
from kizuna.web.api.v1 import accounts_common as common
from kizuna.web.api.v1.common import done, ok, roles, when
from kizuna.web.deps import AccountManager, CtxDep, MaybeUser, User, renew_session

router = APIRouter(tags=["users"])
Payload = Annotated[dict[str, Any], Body()]


def _shape(request: Request, u: t.User, private: bool, live: bool | None = None) -> dict[str, Any]:
    """``private``: the account's own fields too (its owner and admins); ``live``: the place and score
    on the live board rather than the frozen one (by default, as ``private``)."""
    live = private if live is None else live
    mode = request.app.state.snapshots.state().event.mode
    place, score = common.place_and_score(request, u.id, live=live) if mode == "users" else (None, None)
    out: dict[str, Any] = {
        "id": u.id,
        "name": u.name,
        "affiliation": u.affiliation,
        "country": u.country,
        "team_id": u.team_id,
        "place": place,
        "score": score,
        "oauth_id": None,
        "bracket_id": u.bracket_id,
        "website": None,
    }
    if private:
        out.update(
            email=u.email,
            type="admin" if u.role == "admin" else "user",
            role=u.role,
            hidden=u.hidden,
            banned=u.banned,
            verified=True,
            language=u.locale or None,
            created=when(u.created_at),
        )
    return out


def _visible_user(ctx: Any, user_id: int, who: Principal | None, own: bool = False) -> t.User:
    """The user, or NotFound when they are hidden or banned and ``who`` does not watch the rosters
    (``own``: the ``/users/me`` routes)."""
    with ctx.db.read() as s:
        u = s.get(t.User, user_id)
        team = s.get(t.Team, u.team_id) if u is not None and u.team_id is not None else None
    unlisted = u is not None and (u.hidden or u.banned or (team is not None and (team.hidden or team.banned)))
    if u is None or (unlisted and not (own or (who and who.can(Action.ROSTER_VIEW)))):
        raise NotFound()
    return u


def _private(who: Principal | None, user_id: int) -> bool:
    return bool(who and (who.can(Action.ACCOUNT_MANAGE) or who.user_id == user_id))


def _asked_role(payload: dict[str, Any], current: str) -> str | None:
    """The role a create or edit asks for, or None. Kizuna's ``role`` wins; CTFd's ``type``
    ``"admin"`` makes an admin and ``"user"`` takes the admin role away — it leaves a judge, marshal
    or author alone, so a CTFd tool sending back the object it read changes nothing."""
    if "role" in payload:
        try:
            return validate_role(payload["role"])
        except ValueError:
            raise DomainError(ErrorCode.VALUE_INVALID, field="role") from None
    if "type" in payload:
        if payload["type"] == "admin":
            return "admin"
        if payload["type"] == "user":
            return "player" if current == "admin" else current
        raise DomainError(ErrorCode.VALUE_INVALID, field="type")
    return None


@router.get("/users", summary="Users, 50 a page (players: ranked users only); ?q=&field=name to search")
def list_users(
    request: Request, ctx: CtxDep, who: MaybeUser, page: int = 1, q: str = "", field: str = "name"
) -> JSONResponse:
    admin = bool(who and who.can(Action.ACCOUNT_MANAGE))
    with ctx.db.read() as s:
        query = s.query(t.User).order_by(t.User.id)
        if not (who and who.can(Action.ROSTER_VIEW)):
            unlisted = s.query(t.Team.id).filter(t.Team.hidden.is_(True) | t.Team.banned.is_(True))
            query = query.filter(
                t.User.hidden.is_(False),
                t.User.banned.is_(False),
                t.User.team_id.is_(None) | t.User.team_id.not_in(unlisted.scalar_subquery()),
            )
        if q:
            rows, meta = common.paginate_search(query, t.User, common.search_field(field, admin), q, page)
        else:
            rows, meta = common.paginate(query, page)
    return ok([_shape(request, u, admin) for u in rows], meta=meta)


@router.post("/users", summary=f"Create a user; `role` or CTFd's `type` {roles(Action.ACCOUNT_MANAGE)}")
def create_user(request: Request, ctx: CtxDep, who: AccountManager, payload: Payload) -> JSONResponse:
    role = _asked_role(payload, "player") or "player"
    if role != "player" and not who.can(Action.ROLE_CHANGE):
        raise Forbidden()
    user = accounts.register_user(
        ctx,
        str(payload.get("name") or ""),
        str(payload.get("password") or ""),
        email=payload.get("email") or None,
        role=role,
        by_admin=True,
        affiliation=str(payload.get("affiliation") or ""),
        country=str(payload.get("country") or ""),
        bracket_id=payload.get("bracket_id"),
    )
    flags: dict[str, object] = {k: payload[k] for k in ("hidden", "banned") if k in payload}
    if flags:
        user = accounts.update_user(ctx, user.id, flags)
    return ok(_shape(request, user, True))


@router.get("/users/me", summary="Your own account")
def me(request: Request, who: User) -> JSONResponse:
    return ok(_shape(request, _visible_user(request.app.state.ctx, who.user_id, who, own=True), True))


@router.patch(
    "/users/me",
    summary="Change your name, email, affiliation, country, bracket, language or password (needs `confirm`)",
)
async def update_me(request: Request, ctx: CtxDep, who: User, payload: Payload) -> JSONResponse:
    if payload.get("password"):
        await run_in_threadpool(
            accounts.change_password,
            ctx,
            who.user_id,
            str(payload.get("confirm") or ""),
            str(payload["password"]),
        )
    if "role" in payload and payload["role"] != who.role:
        # Only admins change roles, and not their own (no one locks themself out).
        if not who.can(Action.ROLE_CHANGE):
            raise Forbidden()
        raise DomainError(ErrorCode.VALUE_INVALID, field="role")
    changes: dict[str, object] = {
        k: payload[k] for k in ("name", "email", "affiliation", "country", "bracket_id") if k in payload
    }
    if "language" in payload or "locale" in payload:
        locale = payload.get("locale", payload.get("language")) or ""
        if locale not in ("", "en", "ja"):
            raise DomainError(ErrorCode.VALUE_INVALID, field="locale")
        changes["locale"] = locale
    user = await run_in_threadpool(accounts.update_user, ctx, who.user_id, changes, True) if changes else None
    if payload.get("password") and not request.headers.get("authorization"):
        # Every session of the account ended with the old password; this browser gets a new one.
        await run_in_threadpool(renew_session, request, _visible_user(ctx, who.user_id, who, own=True))
    return ok(_shape(request, user or _visible_user(ctx, who.user_id, who, own=True), True))


def _cutoff(request: Request, who: Principal | None, own: bool) -> Any:
    if own or (who and who.can(Action.SCOREBOARD_LIVE)):
        return None
    return request.app.state.snapshots.state().cutoff


@router.get("/users/me/solves", summary="Your solves")
def my_solves(request: Request, ctx: CtxDep, who: User) -> JSONResponse:
    return ok(common.solves(ctx, who, "user", who.user_id, None))


@router.get("/users/me/fails", summary="Your wrong attempts")
def my_fails(ctx: CtxDep, who: User) -> JSONResponse:
    rows, count = common.fails(ctx, who, "user", who.user_id, True)
    return ok(rows, meta={"count": count})


@router.get("/users/me/awards", summary="Your awards")
def my_awards(ctx: CtxDep, who: User) -> JSONResponse:
    return ok(common.awards(ctx, "user", who.user_id, None))


@router.get("/users/{user_id}", summary=f"A user's public profile; everything {roles(Action.ACCOUNT_MANAGE)}")
def get_user(request: Request, ctx: CtxDep, who: MaybeUser, user_id: int) -> JSONResponse:
    u = _visible_user(ctx, user_id, who)
    live = bool(who and who.can(Action.SCOREBOARD_LIVE))
    return ok(_shape(request, u, _private(who, u.id), live or _private(who, u.id)))


@router.patch(
    "/users/{user_id}",
    summary=f"Edit a user {roles(Action.ACCOUNT_MANAGE)}; `role` (or CTFd's `type`) "
    f"{roles(Action.ROLE_CHANGE)}",
)
def update_user(
    request: Request, ctx: CtxDep, who: AccountManager, user_id: int, payload: Payload
) -> JSONResponse:
    """A role change is checked before anything is stored (unknown role: 400; not an admin: 403),
    then the other fields are saved and the role changed (audited as ``account.role_changed``)."""
    current = _visible_user(ctx, user_id, who)
    role = _asked_role(payload, current.role)
    if role is not None and role != current.role:
        if not who.can(Action.ROLE_CHANGE):
            raise Forbidden()
        if user_id == who.user_id:
            raise DomainError(ErrorCode.VALUE_INVALID, field="role")
    changes = {k: v for k, v in payload.items() if k not in ("role", "type")}
    user = accounts.update_user(ctx, user_id, changes) if changes else current
    if role is not None and role != current.role:
        moderation.change_role(ctx, who, user_id, role)
        user = _visible_user(ctx, user_id, who)
    return ok(_shape(request, user, True))


@router.delete("/users/{user_id}", summary=f"Delete a user {roles(Action.ACCOUNT_MANAGE)}")
def delete_user(ctx: CtxDep, who: AccountManager, user_id: int) -> JSONResponse:
    accounts.delete_user(ctx, user_id)
    return done()


@router.get("/users/{user_id}/solves", summary="A user's solves (frozen view for players)")
def user_solves(request: Request, ctx: CtxDep, who: MaybeUser, user_id: int) -> JSONResponse:
    _visible_user(ctx, user_id, who)
    own = bool(who and who.user_id == user_id)
    return ok(common.solves(ctx, who, "user", user_id, _cutoff(request, who, own)))


@router.get("/users/{user_id}/fails", summary="A user's wrong attempts (others see only the count)")
def user_fails(ctx: CtxDep, who: MaybeUser, user_id: int) -> JSONResponse:
    _visible_user(ctx, user_id, who)
    full = bool(who and (who.can(Action.SUBMISSION_VIEW) or who.user_id == user_id))
    rows, count = common.fails(ctx, who, "user", user_id, full)
    return ok(rows, meta={"count": count})


@router.get("/users/{user_id}/awards", summary="A user's awards")
def user_awards(request: Request, ctx: CtxDep, who: MaybeUser, user_id: int) -> JSONResponse:
    _visible_user(ctx, user_id, who)
    own = bool(who and who.user_id == user_id)
    return ok(common.awards(ctx, "user", user_id, _cutoff(request, who, own)))
