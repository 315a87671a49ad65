"""Admin pages for challenges: the list, the create/edit form, and on the edit page the flags, hints,
tags and files of the challenge, and deleting it after a confirmation step."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.flags import CASE_INSENSITIVE, EXACT, FLAG_TYPES
from kizuna.i18n import gettext
from kizuna.services import challenges as service
from kizuna.services import content
from kizuna.services.context import Context
from kizuna.storage import admin_queries
from kizuna.storage import tables as t
from kizuna.web.deps import CtxDep
from kizuna.web.pages.admin_common import (
    AdminPost,
    AdminView,
    Form,
    checked,
    done,
    field_errors,
    many,
    not_found,
    page,
    text,
    uploads,
)
from kizuna.web.pages.player_helpers import FormErrors

router = APIRouter()

FUNCTIONS = ("static", "linear", "logarithmic")
# Service field -> form field. "requirements" is the prerequisites select on the form.
CHALLENGE_FIELDS = {
    **{
        name: name
        for name in (
            "name",
            "category",
            "description",
            "connection_info",
            "value",
            "type",
            "function",
            "initial",
            "minimum",
            "decay",
            "state",
            "max_attempts",
            "position",
        )
    },
    "requirements": "prerequisites",
}
TEXT_FIELDS = tuple(name for name in CHALLENGE_FIELDS if name not in ("requirements", "description"))
FLAG_FIELDS = {"type": "flag_type", "content": "flag_content", "data": "flag_case_insensitive"}
HINT_FIELDS = {"title": "hint_title", "content": "hint_content", "cost": "hint_cost"}


def _edit_url(challenge_id: int, section: str = "") -> str:
    return f"/admin/challenges/{challenge_id}" + (f"#{section}" if section else "")


# --- list -----------------------------------------------------------------------------------------


@router.get("/admin/challenges", response_class=HTMLResponse)
def challenge_list(request: Request, ctx: CtxDep, gate: AdminView) -> Response:
    if gate.denied:
        return gate.denied
    with ctx.db.read() as s:
        rows = admin_queries.challenge_rows(s)
    return page(request, "admin/challenges.html", rows=rows)


# --- the challenge form ---------------------------------------------------------------------------


def _values_of(ch: t.Challenge) -> dict[str, Any]:
    def num(value: int | None) -> str:
        return "" if value is None else str(value)

    requirements = ch.requirements or {}
    return {
        "name": ch.name,
        "category": ch.category,
        "description": ch.description,
        "connection_info": ch.connection_info or "",
        "value": num(ch.value),
        "type": ch.type,
        "function": ch.function,
        "initial": num(ch.initial),
        "minimum": num(ch.minimum),
        "decay": num(ch.decay),
        "state": ch.state,
        "max_attempts": num(ch.max_attempts),
        "position": num(ch.position),
        "prerequisites": [str(i) for i in requirements.get("prerequisites") or []],
        "anonymize": bool(requirements.get("anonymize")),
    }


NEW_VALUES: dict[str, Any] = {
    "type": "standard",
    "function": "static",
    # New challenges start hidden, so players never see one before its flags exist.
    "state": "hidden",
    "value": "100",
    "max_attempts": "0",
    "position": "0",
    "prerequisites": [],
    "anonymize": False,
}


def _typed(form: Form) -> dict[str, Any]:
    """The challenge form as typed, for showing it again."""
    values: dict[str, Any] = {name: text(form, name).strip() for name in TEXT_FIELDS}
    values["description"] = text(form, "description")
    values["prerequisites"] = many(form, "prerequisites")
    values["anonymize"] = checked(form, "anonymize")
    return values


def _changes(values: dict[str, Any]) -> dict[str, Any]:
    """The service's fields from the typed form."""
    data = {name: values[name] for name in TEXT_FIELDS if name != "value"}
    data["description"] = values["description"]
    # A decaying challenge's value is computed from its solves; an empty value box is then ignored.
    if values["value"] or values["function"] in ("", "static"):
        data["value"] = values["value"]
    prerequisites = values["prerequisites"]
    data["requirements"] = (
        {"prerequisites": prerequisites, "anonymize": values["anonymize"]} if prerequisites else None
    )
    return data


def _options(ctx: Context, exclude: int | None = None) -> list[tuple[int, str]]:
    """The other challenges, for the prerequisites select."""
    with ctx.db.read() as s:
        return [(o.id, o.name) for o in admin_queries.challenge_options(s) if o.id != exclude]


def _form_context(ctx: Context) -> dict[str, Any]:
    """The choices of the form's selects, labelled in the reader's language. Challenge types added
    by plugins have no translated label and show their name."""
    type_labels = {"standard": gettext("Standard (fixed value)"), "dynamic": gettext("Dynamic scoring")}
    function_labels = {
        "static": gettext("No decay (fixed value)"),
        "linear": gettext("Linear decay"),
        "logarithmic": gettext("Logarithmic decay"),
    }
    state_labels = {"visible": gettext("Visible"), "hidden": gettext("Hidden")}
    return {
        "type_options": [(name, type_labels.get(name, name)) for name in ctx.types.names()],
        "function_options": [(name, function_labels[name]) for name in FUNCTIONS],
        "state_options": [(name, state_labels.get(name, name)) for name in service.STATES],
    }


@router.get("/admin/challenges/new", response_class=HTMLResponse)
def new_page(request: Request, ctx: CtxDep, gate: AdminView) -> Response:
    if gate.denied:
        return gate.denied
    return page(
        request,
        "admin/challenge.html",
        parts=None,
        values=dict(NEW_VALUES),
        others=_options(ctx),
        **_form_context(ctx),
    )


@router.post("/admin/challenges/new", response_class=HTMLResponse)
def create(request: Request, ctx: CtxDep, gate: AdminPost) -> Response:
    if gate.denied:
        return gate.denied
    values = _typed(gate.form)
    try:
        ch = service.create_challenge(ctx, _changes(values))
    except DomainError as exc:
        return page(
            request,
            "admin/challenge.html",
            status_code=400,
            parts=None,
            values=values,
            errors=field_errors(exc, CHALLENGE_FIELDS),
            others=_options(ctx),
            **_form_context(ctx),
        )
    return done(request, _edit_url(ch.id), "challenge_created")


def _edit_page(
    request: Request,
    ctx: Context,
    challenge_id: int,
    status_code: int = 200,
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The edit page. ``values`` overrides what is shown in any of its forms (what was typed into
    the form that failed); ``errors`` are keyed by the page-wide unique field keys."""
    with ctx.db.read() as s:
        parts = admin_queries.challenge_parts(s, challenge_id)
    if parts is None:
        return not_found(request)
    shown = _values_of(parts.challenge)
    shown.update(values or {})
    return page(
        request,
        "admin/challenge.html",
        status_code=status_code,
        parts=parts,
        values=shown,
        errors=errors or {},
        others=_options(ctx, exclude=challenge_id),
        case_insensitive=CASE_INSENSITIVE,
        exact=EXACT,
        flag_types=FLAG_TYPES,
        max_file_mb=content.MAX_FILE_BYTES // (1024 * 1024),
        **_form_context(ctx),
    )


@router.get("/admin/challenges/{challenge_id}", response_class=HTMLResponse)
def edit_page(request: Request, ctx: CtxDep, challenge_id: int, gate: AdminView) -> Response:
    if gate.denied:
        return gate.denied
    return _edit_page(request, ctx, challenge_id)


@router.post("/admin/challenges/{challenge_id}", response_class=HTMLResponse)
def save(request: Request, ctx: CtxDep, challenge_id: int, gate: AdminPost) -> Response:
    if gate.denied:
        return gate.denied
    values = _typed(gate.form)
    try:
        service.update_challenge(ctx, challenge_id, _changes(values))
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            return not_found(request)
        return _edit_page(request, ctx, challenge_id, 400, field_errors(exc, CHALLENGE_FIELDS), values)
    return done(request, _edit_url(challenge_id), "challenge_saved")


# --- parts of a challenge -------------------------------------------------------------------------


def _owns(ctx: Context, table: Any, row_id: int, challenge_id: int) -> bool:
    with ctx.db.read() as s:
        return admin_queries.belongs(s, table, row_id, challenge_id)


@router.post("/admin/challenges/{challenge_id}/flags", response_class=HTMLResponse)
def add_flag(request: Request, ctx: CtxDep, challenge_id: int, gate: AdminPost) -> Response:
    if gate.denied:
        return gate.denied
    form = gate.form
    typed = {
        "flag_type": text(form, "flag_type"),
        "flag_content": text(form, "flag_content"),
        "flag_case_insensitive": checked(form, "flag_case_insensitive"),
    }
    # The kind select offers "exact" beside the flag types: a static flag compared byte for byte.
    type_, data = str(typed["flag_type"]), CASE_INSENSITIVE if typed["flag_case_insensitive"] else ""
    if type_ == EXACT:
        if data:
            message = gettext("A flag compared byte for byte cannot also be case-insensitive.")
            return _edit_page(request, ctx, challenge_id, 400, {"flag_case_insensitive": message}, typed)
        type_, data = "static", EXACT
    try:
        content.create_flag(ctx, challenge_id, type_, str(typed["flag_content"]), data)
    except DomainError as exc:
        if exc.field == "challenge_id":
            return not_found(request)
        return _edit_page(request, ctx, challenge_id, 400, field_errors(exc, FLAG_FIELDS), typed)
    return done(request, _edit_url(challenge_id, "flags"), "flag_added")


@router.post("/admin/challenges/{challenge_id}/flags/{flag_id}/delete", response_class=HTMLResponse)
def delete_flag(request: Request, ctx: CtxDep, challenge_id: int, flag_id: int, gate: AdminPost) -> Response:
    if gate.denied:
        return gate.denied
    if not _owns(ctx, t.Flag, flag_id, challenge_id):
        return not_found(request)
    content.delete_flag(ctx, flag_id)
    return done(request, _edit_url(challenge_id, "flags"), "flag_deleted")


@router.post("/admin/challenges/{challenge_id}/hints", response_class=HTMLResponse)
def add_hint(request: Request, ctx: CtxDep, challenge_id: int, gate: AdminPost) -> Response:
    if gate.denied:
        return gate.denied
    typed = {key: text(gate.form, key) for key in HINT_FIELDS.values()}
    try:
        content.create_hint(
            ctx, challenge_id, typed["hint_content"], typed["hint_cost"].strip(), typed["hint_title"].strip()
        )
    except DomainError as exc:
        if exc.field == "challenge_id":
            return not_found(request)
        return _edit_page(request, ctx, challenge_id, 400, field_errors(exc, HINT_FIELDS), dict(typed))
    return done(request, _edit_url(challenge_id, "hints"), "hint_added")


@router.post("/admin/challenges/{challenge_id}/hints/{hint_id}", response_class=HTMLResponse)
def save_hint(request: Request, ctx: CtxDep, challenge_id: int, hint_id: int, gate: AdminPost) -> Response:
    if gate.denied:
        return gate.denied
    if not _owns(ctx, t.Hint, hint_id, challenge_id):
        return not_found(request)
    changes = {name: text(gate.form, name) for name in HINT_FIELDS}
    changes["title"] = changes["title"].strip()
    changes["cost"] = changes["cost"].strip()
    try:
        content.update_hint(ctx, hint_id, dict(changes))
    except DomainError as exc:
        keys = {name: f"hint-{hint_id}-{name}" for name in HINT_FIELDS}
        typed = {keys[name]: value for name, value in changes.items()}
        return _edit_page(request, ctx, challenge_id, 400, field_errors(exc, keys), typed)
    return done(request, _edit_url(challenge_id, f"hint-{hint_id}"), "hint_saved")


@router.post("/admin/challenges/{challenge_id}/hints/{hint_id}/delete", response_class=HTMLResponse)
def delete_hint(request: Request, ctx: CtxDep, challenge_id: int, hint_id: int, gate: AdminPost) -> Response:
    if gate.denied:
        return gate.denied
    if not _owns(ctx, t.Hint, hint_id, challenge_id):
        return not_found(request)
    content.delete_hint(ctx, hint_id)
    return done(request, _edit_url(challenge_id, "hints"), "hint_deleted")


@router.post("/admin/challenges/{challenge_id}/tags", response_class=HTMLResponse)
def add_tag(request: Request, ctx: CtxDep, challenge_id: int, gate: AdminPost) -> Response:
    if gate.denied:
        return gate.denied
    value = text(gate.form, "tag_value")
    try:
        content.create_tag(ctx, challenge_id, value)
    except DomainError as exc:
        if exc.field == "challenge_id":
            return not_found(request)
        errors = field_errors(exc, {"value": "tag_value"})
        return _edit_page(request, ctx, challenge_id, 400, errors, {"tag_value": value})
    return done(request, _edit_url(challenge_id, "tags"), "tag_added")


@router.post("/admin/challenges/{challenge_id}/tags/{tag_id}/delete", response_class=HTMLResponse)
def delete_tag(request: Request, ctx: CtxDep, challenge_id: int, tag_id: int, gate: AdminPost) -> Response:
    if gate.denied:
        return gate.denied
    if not _owns(ctx, t.Tag, tag_id, challenge_id):
        return not_found(request)
    content.delete_tag(ctx, tag_id)
    return done(request, _edit_url(challenge_id, "tags"), "tag_deleted")


@router.post("/admin/challenges/{challenge_id}/files", response_class=HTMLResponse)
def upload_files(request: Request, ctx: CtxDep, challenge_id: int, gate: AdminPost) -> Response:
    """Store each chosen file. Files are read whole because the service hashes and writes them in
    one step; the size limit is checked there."""
    if gate.denied:
        return gate.denied
    chosen = uploads(gate.form, "file")
    errors: FormErrors = {}
    if not chosen:
        errors = field_errors(DomainError(ErrorCode.FILE_MISSING, field="file"), {"file": "file"})
    for upload in chosen:
        try:
            content.save_file(ctx, challenge_id, upload.filename or "", upload.file.read())
        except DomainError as exc:
            if exc.field == "challenge_id":
                return not_found(request)
            if exc.code is ErrorCode.VALUE_INVALID and exc.field == "file":
                mb = content.MAX_FILE_BYTES // (1024 * 1024)
                message = gettext("Files can be at most %(size)s MB.", size=mb)
                errors = {"file": message}
            else:
                errors = field_errors(exc, {"file": "file"})
            break
    if errors:
        return _edit_page(request, ctx, challenge_id, 400, errors)
    return done(request, _edit_url(challenge_id, "files"), "file_uploaded")


@router.post("/admin/challenges/{challenge_id}/files/{file_id}/delete", response_class=HTMLResponse)
def delete_file(request: Request, ctx: CtxDep, challenge_id: int, file_id: int, gate: AdminPost) -> Response:
    if gate.denied:
        return gate.denied
    if not _owns(ctx, t.File, file_id, challenge_id):
        return not_found(request)
    content.delete_file(ctx, file_id)
    return done(request, _edit_url(challenge_id, "files"), "file_deleted")


# --- delete the challenge -------------------------------------------------------------------------


@router.get("/admin/challenges/{challenge_id}/delete", response_class=HTMLResponse)
def confirm_delete(request: Request, ctx: CtxDep, challenge_id: int, gate: AdminView) -> Response:
    if gate.denied:
        return gate.denied
    with ctx.db.read() as s:
        ch = s.get(t.Challenge, challenge_id)
    if ch is None:
        return not_found(request)
    return page(
        request,
        "admin/confirm.html",
        title=gettext("Delete the challenge “%(name)s”?", name=ch.name),
        consequence=gettext(
            "Its flags, hints, tags, files, solves and submissions are deleted with it, and the points "
            "its solvers scored are taken off the scoreboard. This cannot be undone."
        ),
        action=f"/admin/challenges/{challenge_id}/delete",
        button=gettext("Delete the challenge"),
        cancel=_edit_url(challenge_id),
    )


@router.post("/admin/challenges/{challenge_id}/delete", response_class=HTMLResponse)
def delete(request: Request, ctx: CtxDep, challenge_id: int, gate: AdminPost) -> Response:
    if gate.denied:
        return gate.denied
    try:
        service.delete_challenge(ctx, challenge_id)
    except DomainError:
        return not_found(request)
    return done(request, "/admin/challenges", "challenge_deleted")
