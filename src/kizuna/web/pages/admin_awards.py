"""Admin page for awards: grant points (or, with a negative value, a penalty) to a team or a user
with a reason, and delete an award."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.policy import Action
from kizuna.i18n import gettext, lazy
from kizuna.services import awards
from kizuna.services.context import Context
from kizuna.services.event import get_event
from kizuna.storage import admin_queries
from kizuna.web.deps import CtxDep
from kizuna.web.pages.admin_common import (
    FieldLabels,
    Gate,
    done,
    field_errors,
    named,
    not_found,
    page,
    post_gate,
    text,
    view_gate,
)
from kizuna.web.pages.player_helpers import FormErrors

router = APIRouter()

FIELDS = ("recipient", "name", "description", "value", "category")
AWARD_FIELDS = {
    "name": "name",
    "description": "description",
    "value": "value",
    "category": "category",
    "user_id": "recipient",
    "team_id": "recipient",
}


def _recipients(ctx: Context) -> list[tuple[str, list[tuple[str, str]]]]:
    """Who can receive an award, as groups for the select: teams and users in team mode (a user's
    award counts for their team), users in individual mode."""
    with ctx.db.read() as s:
        team_options = admin_queries.team_options(s)
        user_options = admin_queries.user_options(s)
    users = (gettext("Users"), [(f"user:{o.id}", o.name) for o in user_options])
    if get_event(ctx).mode != "teams":
        return [users]
    return [(gettext("Teams"), [(f"team:{o.id}", o.name) for o in team_options]), users]


# The labels the form shows, for errors that name their field (admin_common.FieldLabels).
AWARD_LABELS = FieldLabels(
    {
        "recipient": lazy("Recipient"),
        "name": lazy("Name"),
        "description": lazy("Reason"),
        "value": lazy("Points"),
        "category": lazy("Category"),
    },
    numbers=("value",),
)
CHOOSE_RECIPIENT = lazy("%(field)s: choose a team or user.")
POINTS = lazy("%(field)s: enter a whole number; a negative number is a penalty.")
NOT_IN_TEAM = lazy("%(field)s: this user is not in a team, so the award cannot count.")


def _awards_page(
    request: Request,
    ctx: Context,
    status_code: int = 200,
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    with ctx.db.read() as s:
        rows = admin_queries.award_rows(s)
    return page(
        request,
        "admin/awards.html",
        status_code=status_code,
        rows=rows,
        recipients=_recipients(ctx),
        errors=errors or {},
        values=values or {},
        labels=AWARD_LABELS,
    )


@router.get("/admin/awards", response_class=HTMLResponse)
def award_list(
    request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.AWARD_MANAGE))
) -> Response:
    if gate.denied:
        return gate.denied
    return _awards_page(request, ctx)


def _parse(typed: dict[str, str]) -> tuple[dict[str, Any], FormErrors]:
    """The service's arguments from the typed form, or the errors that stop it being sent."""
    errors: FormErrors = {}
    kind, _sep, raw_id = typed["recipient"].partition(":")
    if kind not in ("team", "user") or not raw_id.isascii() or not raw_id.isdigit():
        errors["recipient"] = named(CHOOSE_RECIPIENT, AWARD_LABELS.labels["recipient"])
    try:
        value = int(typed["value"])
    except ValueError:
        errors["value"] = named(POINTS, AWARD_LABELS.labels["value"])
        value = 0
    if errors:
        return {}, errors
    args: dict[str, Any] = {
        "name": typed["name"],
        "value": value,
        "description": typed["description"],
        "category": typed["category"],
        f"{kind}_id": int(raw_id),
    }
    return args, {}


@router.post("/admin/awards", response_class=HTMLResponse)
def grant(request: Request, ctx: CtxDep, gate: Gate = Depends(post_gate(Action.AWARD_MANAGE))) -> Response:
    if gate.denied:
        return gate.denied
    typed = {name: text(gate.form, name).strip() for name in FIELDS}
    args, errors = _parse(typed)
    if not errors:
        try:
            awards.grant_award(ctx, **args)
        except DomainError as exc:
            errors = field_errors(exc, AWARD_FIELDS, labels=AWARD_LABELS)
            if exc.code is ErrorCode.VALUE_INVALID and exc.field == "team_id" and "user_id" in args:
                errors = {"recipient": named(NOT_IN_TEAM, AWARD_LABELS.labels["recipient"])}
        else:
            return done(request, "/admin/awards", "award_granted")
    return _awards_page(request, ctx, 400, errors, typed)


@router.post("/admin/awards/{award_id}/delete", response_class=HTMLResponse)
def delete(
    request: Request, ctx: CtxDep, award_id: int, gate: Gate = Depends(post_gate(Action.AWARD_MANAGE))
) -> Response:
    if gate.denied:
        return gate.denied
    try:
        awards.delete_award(ctx, award_id)
    except DomainError:
        return not_found(request)
    return done(request, "/admin/awards", "award_deleted")
