"""Teams and public account pages: your team, creating and joining one, the team and user lists
(searchable by name), and the public pages of teams and users."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.names import MAX_NAME_LENGTH
from kizuna.domain.policy import Action
from kizuna.security import show_invite
from kizuna.services import badges, board, teams
from kizuna.services.accounts import Principal
from kizuna.services.event import get_event
from kizuna.web import profile_fields
from kizuna.web.deps import CtxDep, optional_principal, verified_form
from kizuna.web.messages import message_for
from kizuna.web.pages import flash
from kizuna.web.pages.player_helpers import FormErrors, errors_of, login_redirect, see_other, text
from kizuna.web.pages.recognition import skills_context
from kizuna.web.pages.tracks import track_section
from kizuna.web.progress_view import progress_view
from kizuna.web.render import render

router = APIRouter()

Form = dict[str, object]


def _individual(request: Request) -> HTMLResponse:
    """Team pages in an individual event explain why there is nothing here."""
    return render(request, "individual.html", message=message_for(DomainError(ErrorCode.NOT_TEAM_MODE)))


def _team_mode(request: Request) -> bool:
    return get_event(request.app.state.ctx).mode == "teams"


def _standing(request: Request, who: Principal | None, account_id: int) -> dict[str, Any] | None:
    """The account's row on the scoreboard as this viewer sees it (frozen for the public)."""
    live = bool(who and who.can(Action.SCOREBOARD_LIVE))
    for row in request.app.state.snapshots.scoreboard(live=live).data:
        if row["account_id"] == account_id:
            found: dict[str, Any] = row
            return found
    return None


# --- your team -----------------------------------------------------------------------------------


def invite_context(request: Request, code: str) -> dict[str, Any]:
    """The code as shown (groups of four), the join link and its QR code. The code rides in the
    link's fragment (``#code=…``), which browsers never send: it stays out of every server's and
    proxy's logs, and the join page's script fills it in."""
    from kizuna.web.client import site_url
    from kizuna.web.pages.account_two_factor import qr_svg

    shown = show_invite(code)
    link = f"{site_url(request)}/teams/join#code={quote(shown, safe='')}"
    return {"invite_shown": shown, "join_link": link, "join_qr": qr_svg(link)}


def _my_team(request: Request, who: Principal, status_code: int = 200, **extra: Any) -> HTMLResponse:
    ctx = request.app.state.ctx
    mine = board.my_team(ctx, who)
    context: dict[str, Any] = {"mine": mine, "notice": "", "errors": {}, "profile_errors": {}}
    if mine is not None:
        context["standing"] = _standing(request, who, mine.team.id)
        context["is_captain"] = mine.team.captain_id == who.user_id
        context.update(invite_context(request, mine.team.invite_code))
        context["profile_values"] = {
            "affiliation": mine.team.affiliation,
            "country": mine.team.country,
            "bracket_id": str(mine.team.bracket_id) if mine.team.bracket_id else "",
        }
        context["profile"] = profile_fields.chosen_once(
            profile_fields.profile_options(ctx, "teams"), context["profile_values"]
        )
    context.update(extra)
    return render(request, "team.html", status_code=status_code, **context)


@router.get("/team", response_class=HTMLResponse)
def my_team(request: Request) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    if not _team_mode(request):
        return _individual(request)
    shown = flash.take(request)
    return _my_team(request, who, notice=shown.message if shown else "")


@router.post("/team/invite", response_class=HTMLResponse)
def new_invite(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    if who.team_id is None:
        return see_other("/team")
    try:
        teams.new_invite(ctx, who.team_id, who.user_id)
    except DomainError as exc:
        return _my_team(request, who, exc.status, errors=errors_of(exc))
    flash.notice(request, "/team", "invite_renewed")
    return see_other("/team")


@router.post("/team/profile", response_class=HTMLResponse)
def change_profile(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    """The captain saves the team's affiliation, country and bracket."""
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    if who.team_id is None:
        return see_other("/team")
    mine = board.my_team(ctx, who)
    has_bracket = mine is not None and mine.team.bracket_id is not None
    offered = bool(profile_fields.profile_options(ctx, "teams").brackets) and not has_bracket
    values = profile_fields.typed(form, offered)
    try:
        teams.update_team(ctx, who.team_id, dict(values), who.user_id, False)
    except DomainError as exc:
        return _my_team(request, who, exc.status, profile_errors=errors_of(exc), profile_values=values)
    flash.notice(request, "/team", "team_profile_saved")
    return see_other("/team")


@router.post("/team/leave", response_class=HTMLResponse)
def leave(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    try:
        teams.leave_team(ctx, who.user_id)
    except DomainError as exc:
        return _my_team(request, who, exc.status, errors=errors_of(exc))
    flash.notice(request, "/team", "team_left")
    return see_other("/team")


# --- create / join -------------------------------------------------------------------------------


def _form_page(
    request: Request, template: str, status_code: int = 200, errors: FormErrors | None = None, **values: str
) -> HTMLResponse:
    return render(
        request,
        template,
        status_code=status_code,
        errors=errors or {},
        values=values,
        name_max=MAX_NAME_LENGTH,
        profile=profile_fields.profile_options(request.app.state.ctx, "teams"),
    )


@router.get("/teams/new", response_class=HTMLResponse)
def create_page(request: Request) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    if not _team_mode(request):
        return _individual(request)
    return _form_page(request, "team_new.html")


@router.post("/teams/new", response_class=HTMLResponse)
def create(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    if not _team_mode(request):
        return _individual(request)
    name = text(form, "name")
    profile = profile_fields.typed(form, bool(profile_fields.profile_options(ctx, "teams").brackets))
    try:
        teams.create_team(ctx, name, who.user_id, **profile)
    except DomainError as exc:
        return _form_page(request, "team_new.html", exc.status, errors_of(exc), name=name, **profile)
    flash.notice(request, "/team", "team_created")
    return see_other("/team")


@router.get("/teams/join", response_class=HTMLResponse)
def join_page(request: Request, code: str = "") -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    if not _team_mode(request):
        return _individual(request)
    return _form_page(request, "team_join.html", code=code)


@router.post("/teams/join", response_class=HTMLResponse)
def join(request: Request, ctx: CtxDep, form: Form = Depends(verified_form)) -> Response:
    who = optional_principal(request)
    if who is None:
        return login_redirect(request)
    if not _team_mode(request):
        return _individual(request)
    code = text(form, "code")
    try:
        teams.join_team(ctx, who.user_id, code)
    except DomainError as exc:
        return _form_page(request, "team_join.html", exc.status, errors_of(exc, "code"), code=code)
    flash.notice(request, "/team", "team_joined")
    return see_other("/team")


# --- public pages --------------------------------------------------------------------------------


@router.get("/teams", response_class=HTMLResponse)
def team_list(request: Request, ctx: CtxDep, q: str = "") -> Response:
    """Ranked teams by name; ``q`` keeps those whose name contains it, in any width or kana."""
    if not _team_mode(request):
        return _individual(request)
    return render(request, "teams.html", teams=board.public_teams(ctx, q), q=q)


@router.get("/users", response_class=HTMLResponse)
def user_list(request: Request, ctx: CtxDep, q: str = "") -> Response:
    """Ranked users by name, searchable like the team list."""
    return render(request, "users.html", users=board.public_users(ctx, q), q=q)


def _cutoff(request: Request, who: Principal | None) -> Any:
    return None if who and who.can(Action.SCOREBOARD_LIVE) else request.app.state.snapshots.state().cutoff


@router.get("/teams/{team_id}", response_class=HTMLResponse)
def team_page(request: Request, ctx: CtxDep, team_id: int) -> Response:
    if not _team_mode(request):
        return _individual(request)
    who = optional_principal(request)
    page = board.team_page(ctx, who, team_id, _cutoff(request, who))
    return render(
        request,
        "team_public.html",
        page=page,
        standing=_standing(request, who, team_id),
        bracket=profile_fields.bracket_label(ctx, page.team.bracket_id),
    )


@router.get("/users/{user_id}", response_class=HTMLResponse)
def user_page(request: Request, ctx: CtxDep, user_id: int) -> Response:
    who = optional_principal(request)
    page = board.user_page(ctx, who, user_id, _cutoff(request, who))
    standing = None if _team_mode(request) else _standing(request, who, user_id)
    return render(
        request,
        "user_public.html",
        page=page,
        standing=standing,
        team_mode=_team_mode(request),
        bracket="" if _team_mode(request) else profile_fields.bracket_label(ctx, page.user.bracket_id),
        badges=badges.held_by(ctx, page.user.id),
        learning=progress_view(ctx, page.user),
        **track_section(ctx, who, page.user.id),  # learning tracks completed (web/pages/tracks.py)
        **skills_context(ctx, who, page.user, _cutoff(request, who)),
    )
