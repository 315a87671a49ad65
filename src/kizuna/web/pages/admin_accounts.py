"""Admin pages for people: the account list with search, one account (name, email, role, hidden,
banned, a new password), the team list and one team (rename, hidden, banned, members, delete)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.names import MAX_NAME_LENGTH, MIN_PASSWORD_LENGTH
from kizuna.i18n import gettext
from kizuna.services import accounts, teams
from kizuna.services.context import Context
from kizuna.storage import admin_queries
from kizuna.storage import tables as t
from kizuna.web.deps import CtxDep, login_session
from kizuna.web.pages.admin_common import (
    AdminPost,
    AdminView,
    done,
    field_errors,
    invalid_form,
    not_found,
    page,
    page_number,
    text,
)
from kizuna.web.pages.player_helpers import FormErrors

router = APIRouter()

TOGGLES = ("hidden", "banned")
USER_FIELDS = {"name": "name", "email": "email", "type": "role"}


def _toggle(form: dict[str, object]) -> tuple[str, bool] | None:
    """The flag a toggle button sets and its new value, or None for a crafted form."""
    name = text(form, "field")
    if name not in TOGGLES or text(form, "value") not in ("0", "1"):
        return None
    return name, text(form, "value") == "1"


# --- accounts -------------------------------------------------------------------------------------


@router.get("/admin/accounts", response_class=HTMLResponse)
def account_list(
    request: Request, ctx: CtxDep, gate: AdminView, q: str = "", number: str = Query("", alias="page")
) -> Response:
    if gate.denied:
        return gate.denied
    with ctx.db.read() as s:
        result = admin_queries.users_page(s, q, page_number(number))
    return page(request, "admin/accounts.html", result=result, q=q)


def _account_page(
    request: Request,
    ctx: Context,
    user_id: int,
    status_code: int = 200,
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    with ctx.db.read() as s:
        row = admin_queries.user_row(s, user_id)
    if row is None:
        return not_found(request)
    shown: dict[str, Any] = {"name": row.name, "email": row.email or "", "role": row.role}
    shown.update(values or {})
    role_labels = {"admin": gettext("Admin"), "player": gettext("Player")}
    return page(
        request,
        "admin/account.html",
        status_code=status_code,
        account=row,
        values=shown,
        errors=errors or {},
        role_options=[(role, role_labels.get(role, role)) for role in accounts.ROLES],
        name_max=MAX_NAME_LENGTH,
        password_min=MIN_PASSWORD_LENGTH,
    )


@router.get("/admin/accounts/{user_id}", response_class=HTMLResponse)
def account_page(request: Request, ctx: CtxDep, user_id: int, gate: AdminView) -> Response:
    if gate.denied:
        return gate.denied
    return _account_page(request, ctx, user_id)


def _self_lockout() -> FormErrors:
    return {"": gettext("You cannot remove your own admin role or ban yourself.")}


@router.post("/admin/accounts/{user_id}", response_class=HTMLResponse)
def save_account(request: Request, ctx: CtxDep, user_id: int, gate: AdminPost) -> Response:
    if gate.denied:
        return gate.denied
    typed = {name: text(gate.form, name).strip() for name in ("name", "email", "role")}
    if user_id == gate.admin.user_id and typed["role"] != "admin":
        return _account_page(request, ctx, user_id, 400, {"role": _self_lockout()[""]}, typed)
    try:
        accounts.update_user(ctx, user_id, {**typed, "email": typed["email"] or None})
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            return not_found(request)
        return _account_page(request, ctx, user_id, 400, field_errors(exc, USER_FIELDS), typed)
    return done(request, f"/admin/accounts/{user_id}", "user_saved")


@router.post("/admin/accounts/{user_id}/toggle", response_class=HTMLResponse)
def toggle_account(request: Request, ctx: CtxDep, user_id: int, gate: AdminPost) -> Response:
    if gate.denied:
        return gate.denied
    change = _toggle(gate.form)
    if change is None:
        return _account_page(request, ctx, user_id, 400, invalid_form())
    name, value = change
    if user_id == gate.admin.user_id and name == "banned" and value:
        return _account_page(request, ctx, user_id, 400, _self_lockout())
    try:
        accounts.update_user(ctx, user_id, {name: value})
    except DomainError:
        return not_found(request)
    return done(request, f"/admin/accounts/{user_id}", "user_saved")


@router.post("/admin/accounts/{user_id}/password", response_class=HTMLResponse)
def set_password(request: Request, ctx: CtxDep, user_id: int, gate: AdminPost) -> Response:
    """Set a new password (for someone who lost theirs). Their sessions end; when an admin sets
    their own password this session carries on."""
    if gate.denied:
        return gate.denied
    password, confirm = text(gate.form, "password"), text(gate.form, "confirm")
    if password != confirm:
        errors = {"confirm": gettext("The two passwords do not match.")}
        return _account_page(request, ctx, user_id, 400, errors)
    try:
        user = accounts.update_user(ctx, user_id, {"password": password})
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            return not_found(request)
        return _account_page(request, ctx, user_id, 400, field_errors(exc, {"password": "password"}))
    if user_id == gate.admin.user_id:
        login_session(request, user)
    return done(request, f"/admin/accounts/{user_id}", "password_set")


# --- teams ----------------------------------------------------------------------------------------


@router.get("/admin/teams", response_class=HTMLResponse)
def team_list(request: Request, ctx: CtxDep, gate: AdminView, q: str = "") -> Response:
    if gate.denied:
        return gate.denied
    with ctx.db.read() as s:
        rows = admin_queries.team_rows(s, q)
    return page(request, "admin/teams.html", rows=rows, q=q)


def _team_page(
    request: Request,
    ctx: Context,
    team_id: int,
    status_code: int = 200,
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    with ctx.db.read() as s:
        team = s.get(t.Team, team_id)
        members = admin_queries.team_members(s, team_id)
    if team is None:
        return not_found(request)
    shown: dict[str, Any] = {"name": team.name}
    shown.update(values or {})
    return page(
        request,
        "admin/team.html",
        status_code=status_code,
        team=team,
        members=members,
        values=shown,
        errors=errors or {},
        name_max=MAX_NAME_LENGTH,
    )


@router.get("/admin/teams/{team_id}", response_class=HTMLResponse)
def team_page(request: Request, ctx: CtxDep, team_id: int, gate: AdminView) -> Response:
    if gate.denied:
        return gate.denied
    return _team_page(request, ctx, team_id)


@router.post("/admin/teams/{team_id}", response_class=HTMLResponse)
def rename_team(request: Request, ctx: CtxDep, team_id: int, gate: AdminPost) -> Response:
    if gate.denied:
        return gate.denied
    name = text(gate.form, "name").strip()
    try:
        teams.update_team(ctx, team_id, {"name": name}, gate.admin.user_id, actor_is_admin=True)
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            return not_found(request)
        return _team_page(request, ctx, team_id, 400, field_errors(exc, {"name": "name"}), {"name": name})
    return done(request, f"/admin/teams/{team_id}", "team_saved")


@router.post("/admin/teams/{team_id}/toggle", response_class=HTMLResponse)
def toggle_team(request: Request, ctx: CtxDep, team_id: int, gate: AdminPost) -> Response:
    """Hide a team from, or ban it from, the scoreboard (a banned team also cannot be joined)."""
    if gate.denied:
        return gate.denied
    change = _toggle(gate.form)
    if change is None:
        return _team_page(request, ctx, team_id, 400, invalid_form())
    try:
        teams.update_team(ctx, team_id, {change[0]: change[1]}, gate.admin.user_id, actor_is_admin=True)
    except DomainError:
        return not_found(request)
    return done(request, f"/admin/teams/{team_id}", "team_saved")


@router.get("/admin/teams/{team_id}/delete", response_class=HTMLResponse)
def confirm_delete_team(request: Request, ctx: CtxDep, team_id: int, gate: AdminView) -> Response:
    if gate.denied:
        return gate.denied
    with ctx.db.read() as s:
        team = s.get(t.Team, team_id)
    if team is None:
        return not_found(request)
    return page(
        request,
        "admin/confirm.html",
        title=gettext("Delete the team “%(name)s”?", name=team.name),
        consequence=gettext(
            "Its solves, awards and submissions are deleted with it and it leaves the scoreboard. "
            "Its members keep their accounts but are no longer in a team. This cannot be undone."
        ),
        action=f"/admin/teams/{team_id}/delete",
        button=gettext("Delete the team"),
        cancel=f"/admin/teams/{team_id}",
    )


@router.post("/admin/teams/{team_id}/delete", response_class=HTMLResponse)
def delete_team(request: Request, ctx: CtxDep, team_id: int, gate: AdminPost) -> Response:
    if gate.denied:
        return gate.denied
    try:
        teams.delete_team(ctx, team_id)
    except DomainError:
        return not_found(request)
    return done(request, "/admin/teams", "team_deleted")
