"""Staff pages for people: the account list with search, one account (name, email, role, hidden,
banned, a new password), the team list and one team (rename, hidden, banned, members, delete).

Marshals (``Action.ACCOUNT_HIDE``) open these pages to hide an account pending review, and see only
that control; everything else about an account is for admins (``Action.ACCOUNT_MANAGE``, roles
``Action.ROLE_CHANGE``). Hiding goes through ``services.moderation`` (audited, and shown on the live
activity feed); the toggle's ``back=rosters`` brings a marshal back to the rosters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode, Forbidden
from kizuna.domain.names import MAX_NAME_LENGTH, MIN_PASSWORD_LENGTH
from kizuna.domain.policy import ACCOUNT_ROLES, Action
from kizuna.i18n import gettext, lazy
from kizuna.services import accounts, moderation, teams, two_factor
from kizuna.services.context import Context
from kizuna.storage import admin_queries, integrity_queries
from kizuna.storage import tables as t
from kizuna.web import profile_fields
from kizuna.web.deps import CtxDep, login_session, optional_principal
from kizuna.web.messages import message_for
from kizuna.web.pages.admin_common import (
    FieldLabels,
    Gate,
    done,
    field_errors,
    invalid_form,
    not_found,
    page,
    page_number,
    post_gate,
    text,
    view_gate,
)
from kizuna.web.pages.player_helpers import FormErrors
from kizuna.web.render import render_error

router = APIRouter()

TOGGLES = ("hidden", "banned")
USER_FIELDS = {"name": "name", "email": "email", "type": "role", "role": "role"}
ROLE_LABELS = {
    "admin": lazy("Admin"),
    "judge": lazy("Judge"),
    "marshal": lazy("Marshal"),
    "author": lazy("Author"),
    "player": lazy("Player"),
}


def role_label(role: str) -> str:
    """A role's name in the reader's language (an unknown one as stored)."""
    return gettext(ROLE_LABELS[role]) if role in ROLE_LABELS else role


def _forbidden(request: Request) -> Response:
    return render_error(request, 403, message_for(Forbidden()))


def _back(form: dict[str, object], own: str) -> str:
    """Where a hide toggle returns: the rosters when it was used there, else the page it is on."""
    return "/admin/rosters" if text(form, "back") == "rosters" else own


HIDE_NOTICES = {True: "account_hidden", False: "account_shown"}


def _toggle(form: dict[str, object]) -> tuple[str, bool] | None:
    """The flag a toggle button sets and its new value, or None for a crafted form."""
    name = text(form, "field")
    if name not in TOGGLES or text(form, "value") not in ("0", "1"):
        return None
    return name, text(form, "value") == "1"


# --- accounts -------------------------------------------------------------------------------------


@router.get("/admin/accounts", response_class=HTMLResponse)
def account_list(
    request: Request,
    ctx: CtxDep,
    gate: Gate = Depends(view_gate(Action.ACCOUNT_HIDE)),
    q: str = "",
    number: str = Query("", alias="page"),
) -> Response:
    if gate.denied:
        return gate.denied
    with ctx.db.read() as s:
        result = admin_queries.users_page(s, q, page_number(number))
    labels = {role: role_label(role) for role in ACCOUNT_ROLES}
    return page(request, "admin/accounts.html", result=result, q=q, role_labels=labels)


# The labels the forms show, for errors that name their field (admin_common.FieldLabels).
ACCOUNT_LABELS = FieldLabels(
    {
        "name": lazy("Name"),
        "email": lazy("Email address"),
        "role": lazy("Role"),
        "password": lazy("New password"),
        "confirm": lazy("New password again"),
    }
)
TEAM_LABELS = FieldLabels({"name": lazy("Team name")})
# The affiliation, country and bracket form of both pages (organisers move accounts between brackets:
# players choose theirs only once).
PROFILE_LABELS = FieldLabels(
    {"affiliation": lazy("Affiliation"), "country": lazy("Country or region"), "bracket_id": lazy("Bracket")}
)
PROFILE_FIELDS = {"affiliation": "affiliation", "country": "country", "bracket_id": "bracket_id"}


def _profile_context(ctx: Context, kind: str, row: Any, values: dict[str, Any] | None) -> dict[str, Any]:
    shown = {
        "affiliation": row.affiliation,
        "country": row.country,
        "bracket_id": str(row.bracket_id) if row.bracket_id else "",
    }
    options = profile_fields.profile_options(ctx, kind)
    return {
        "profile": options,
        "profile_values": {**shown, **(values or {})},
    }


def _profile_form(form: Any) -> dict[str, str]:
    return profile_fields.typed(form, True)


def _account_page(
    request: Request,
    ctx: Context,
    user_id: int,
    status_code: int = 200,
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
    profile_errors: FormErrors | None = None,
    profile_values: dict[str, Any] | None = None,
) -> HTMLResponse:
    with ctx.db.read() as s:
        row = admin_queries.user_row(s, user_id)
        user = s.get(t.User, user_id)
        two_factor_on = user is not None and user.totp_secret is not None
        # Where the account registered and logged in from: for roles that see rosters only.
        who = optional_principal(request)
        addresses = (
            integrity_queries.addresses_of(s, user_id)
            if who is not None and who.can(Action.ROSTER_VIEW)
            else None
        )
    if row is None:
        return not_found(request)
    shown: dict[str, Any] = {"name": row.name, "email": row.email or "", "role": row.role}
    shown.update(values or {})
    profile = _profile_context(ctx, "users", user, profile_values) if user is not None else {}
    return page(
        request,
        "admin/account.html",
        status_code=status_code,
        account=row,
        values=shown,
        errors=errors or {},
        labels=ACCOUNT_LABELS,
        profile_errors=PROFILE_LABELS.name(profile_errors or {}),
        **profile,
        role_options=[(role, role_label(role)) for role in ACCOUNT_ROLES],
        role_name=role_label(row.role),
        name_max=MAX_NAME_LENGTH,
        password_min=MIN_PASSWORD_LENGTH,
        two_factor_on=two_factor_on,
        addresses=addresses,
        address_kinds={"register": gettext("Registration"), "login": gettext("Log-in")},
    )


@router.get("/admin/accounts/{user_id}", response_class=HTMLResponse)
def account_page(
    request: Request, ctx: CtxDep, user_id: int, gate: Gate = Depends(view_gate(Action.ACCOUNT_HIDE))
) -> Response:
    if gate.denied:
        return gate.denied
    return _account_page(request, ctx, user_id)


def _self_lockout() -> FormErrors:
    return {"": gettext("You cannot remove your own admin role or ban yourself.")}


@router.post("/admin/accounts/{user_id}", response_class=HTMLResponse)
def save_account(
    request: Request, ctx: CtxDep, user_id: int, gate: Gate = Depends(post_gate(Action.ACCOUNT_MANAGE))
) -> Response:
    """Save the name and email and, when it changed, the role (only admins may: ``ROLE_CHANGE``;
    audited). A form without a role keeps it. Nothing is saved when the role cannot change."""
    if gate.denied:
        return gate.denied
    who = gate.staff
    typed = {name: text(gate.form, name).strip() for name in ("name", "email", "role")}
    with ctx.db.read() as s:
        row = admin_queries.user_row(s, user_id)
    if row is None:
        return not_found(request)
    role = typed["role"] or row.role
    if role != row.role:
        if not who.can(Action.ROLE_CHANGE):
            return _forbidden(request)
        if user_id == who.user_id:
            return _account_page(request, ctx, user_id, 400, {"role": _self_lockout()[""]}, typed)
        if role not in ACCOUNT_ROLES:
            errors = {"role": message_for(DomainError(ErrorCode.VALUE_INVALID))}
            return _account_page(request, ctx, user_id, 400, errors, typed)
    try:
        accounts.update_user(ctx, user_id, {"name": typed["name"], "email": typed["email"] or None})
        if role != row.role:
            moderation.change_role(ctx, who, user_id, role)
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            return not_found(request)
        return _account_page(
            request, ctx, user_id, 400, field_errors(exc, USER_FIELDS, labels=ACCOUNT_LABELS), typed
        )
    return done(request, f"/admin/accounts/{user_id}", "user_saved")


@router.post("/admin/accounts/{user_id}/profile", response_class=HTMLResponse)
def save_account_profile(
    request: Request, ctx: CtxDep, user_id: int, gate: Gate = Depends(post_gate(Action.ACCOUNT_MANAGE))
) -> Response:
    """The account's affiliation, country and bracket (organisers may move it between brackets)."""
    if gate.denied:
        return gate.denied
    values = _profile_form(gate.form)
    try:
        accounts.update_user(ctx, user_id, values)
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            return not_found(request)
        errors = field_errors(exc, PROFILE_FIELDS, labels=PROFILE_LABELS)
        return _account_page(request, ctx, user_id, 400, profile_errors=errors, profile_values=values)
    return done(request, f"/admin/accounts/{user_id}", "user_saved")


@router.post("/admin/accounts/{user_id}/toggle", response_class=HTMLResponse)
def toggle_account(
    request: Request, ctx: CtxDep, user_id: int, gate: Gate = Depends(post_gate(Action.ACCOUNT_HIDE))
) -> Response:
    """Hide or show the account (marshals and admins), or ban it or lift the ban (admins only)."""
    if gate.denied:
        return gate.denied
    who = gate.staff
    change = _toggle(gate.form)
    if change is None:
        return _account_page(request, ctx, user_id, 400, invalid_form())
    name, value = change
    if name == "banned":
        if not who.can(Action.ACCOUNT_MANAGE):
            return _forbidden(request)
        if user_id == who.user_id and value:
            return _account_page(request, ctx, user_id, 400, _self_lockout())
        try:
            accounts.update_user(ctx, user_id, {"banned": value})
        except DomainError:
            return not_found(request)
        return done(request, f"/admin/accounts/{user_id}", "user_saved")
    try:
        moderation.hide_account(ctx, who, "user", user_id, value)
    except DomainError:
        return not_found(request)
    return done(request, _back(gate.form, f"/admin/accounts/{user_id}"), HIDE_NOTICES[value])


@router.post("/admin/accounts/{user_id}/password", response_class=HTMLResponse)
def set_password(
    request: Request, ctx: CtxDep, user_id: int, gate: Gate = Depends(post_gate(Action.ACCOUNT_MANAGE))
) -> Response:
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
        errors = field_errors(exc, {"password": "password"}, labels=ACCOUNT_LABELS)
        return _account_page(request, ctx, user_id, 400, errors)
    if user_id == gate.staff.user_id:
        login_session(request, user)
    return done(request, f"/admin/accounts/{user_id}", "password_set")


@router.post("/admin/accounts/{user_id}/two-factor/reset", response_class=HTMLResponse)
def reset_two_factor(
    request: Request, ctx: CtxDep, user_id: int, gate: Gate = Depends(post_gate(Action.ACCOUNT_MANAGE))
) -> Response:
    """Turn an account's two-factor authentication off (a lost device and no recovery code left),
    as ``kizuna admin reset-two-factor`` does: its sessions end, and it sets it up again at its next
    staff page if its role requires it. Audited."""
    if gate.denied:
        return gate.denied
    try:
        two_factor.reset(ctx, user_id, gate.staff)
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            return not_found(request)
        raise
    return done(request, f"/admin/accounts/{user_id}", "two_factor_reset")


# --- teams ----------------------------------------------------------------------------------------


@router.get("/admin/teams", response_class=HTMLResponse)
def team_list(
    request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.ACCOUNT_HIDE)), q: str = ""
) -> Response:
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
    profile_errors: FormErrors | None = None,
    profile_values: dict[str, Any] | None = None,
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
        labels=TEAM_LABELS,
        name_max=MAX_NAME_LENGTH,
        profile_errors=PROFILE_LABELS.name(profile_errors or {}),
        **_profile_context(ctx, "teams", team, profile_values),
    )


@router.get("/admin/teams/{team_id}", response_class=HTMLResponse)
def team_page(
    request: Request, ctx: CtxDep, team_id: int, gate: Gate = Depends(view_gate(Action.ACCOUNT_HIDE))
) -> Response:
    if gate.denied:
        return gate.denied
    return _team_page(request, ctx, team_id)


@router.post("/admin/teams/{team_id}", response_class=HTMLResponse)
def rename_team(
    request: Request, ctx: CtxDep, team_id: int, gate: Gate = Depends(post_gate(Action.ACCOUNT_MANAGE))
) -> Response:
    if gate.denied:
        return gate.denied
    name = text(gate.form, "name").strip()
    try:
        teams.update_team(ctx, team_id, {"name": name}, gate.staff.user_id, manage_any=True)
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            return not_found(request)
        return _team_page(request, ctx, team_id, 400, field_errors(exc, {"name": "name"}), {"name": name})
    return done(request, f"/admin/teams/{team_id}", "team_saved")


@router.post("/admin/teams/{team_id}/profile", response_class=HTMLResponse)
def save_team_profile(
    request: Request, ctx: CtxDep, team_id: int, gate: Gate = Depends(post_gate(Action.ACCOUNT_MANAGE))
) -> Response:
    """The team's affiliation, country and bracket (organisers may move a team between brackets)."""
    if gate.denied:
        return gate.denied
    values = _profile_form(gate.form)
    try:
        teams.update_team(ctx, team_id, dict(values), gate.staff.user_id, manage_any=True)
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            return not_found(request)
        errors = field_errors(exc, PROFILE_FIELDS, labels=PROFILE_LABELS)
        return _team_page(request, ctx, team_id, 400, profile_errors=errors, profile_values=values)
    return done(request, f"/admin/teams/{team_id}", "team_saved")


@router.post("/admin/teams/{team_id}/toggle", response_class=HTMLResponse)
def toggle_team(
    request: Request, ctx: CtxDep, team_id: int, gate: Gate = Depends(post_gate(Action.ACCOUNT_HIDE))
) -> Response:
    """Hide a team pending review (marshals and admins), or ban it from the scoreboard (admins; a
    banned team also cannot be joined)."""
    if gate.denied:
        return gate.denied
    who = gate.staff
    change = _toggle(gate.form)
    if change is None:
        return _team_page(request, ctx, team_id, 400, invalid_form())
    name, value = change
    try:
        if name == "banned":
            if not who.can(Action.ACCOUNT_MANAGE):
                return _forbidden(request)
            teams.update_team(ctx, team_id, {"banned": value}, who.user_id, manage_any=True)
            return done(request, f"/admin/teams/{team_id}", "team_saved")
        moderation.hide_account(ctx, who, "team", team_id, value)
    except DomainError:
        return not_found(request)
    return done(request, _back(gate.form, f"/admin/teams/{team_id}"), HIDE_NOTICES[value])


@router.get("/admin/teams/{team_id}/delete", response_class=HTMLResponse)
def confirm_delete_team(
    request: Request, ctx: CtxDep, team_id: int, gate: Gate = Depends(view_gate(Action.ACCOUNT_MANAGE))
) -> Response:
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
def delete_team(
    request: Request, ctx: CtxDep, team_id: int, gate: Gate = Depends(post_gate(Action.ACCOUNT_MANAGE))
) -> Response:
    if gate.denied:
        return gate.denied
    try:
        teams.delete_team(ctx, team_id)
    except DomainError:
        return not_found(request)
    return done(request, "/admin/teams", "team_deleted")
