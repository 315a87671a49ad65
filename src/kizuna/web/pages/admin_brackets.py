"""Admin pages for the brackets (部門): the list with a form to add one, the edit form (name and
description one column per language, the type) and removing a bracket after a confirmation step.
The API (``/api/v1/brackets``) does the same in CTFd's shape."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.policy import Action
from kizuna.i18n import gettext, lazy
from kizuna.services import brackets
from kizuna.services.context import Context
from kizuna.services.event import get_event
from kizuna.storage import tables as t
from kizuna.web.content import content_order, localized, resolve
from kizuna.web.deps import CtxDep
from kizuna.web.messages import message_for
from kizuna.web.pages import admin_columns as columns
from kizuna.web.pages import admin_texts
from kizuna.web.pages.admin_common import (
    Form,
    Gate,
    done,
    not_found,
    open_row,
    page,
    post_gate,
    text,
    view_gate,
)
from kizuna.web.pages.player_helpers import FormErrors

router = APIRouter()

URL = "/admin/brackets"
NAMES = brackets.BRACKET_TEXT

TYPE_LABELS: dict[str, str] = {
    "teams": lazy("Teams"),
    "users": lazy("Players"),
}
FIELD_LABELS: dict[str, str] = {
    "name": lazy("Name"),
    "description": lazy("Description"),
    "type": lazy("Who it groups"),
}


def type_label(kind: str) -> str:
    return gettext(TYPE_LABELS[kind]) if kind in TYPE_LABELS else kind


def _type_options() -> list[tuple[str, str]]:
    return [(kind, type_label(kind)) for kind in ("teams", "users")]


def _list(
    request: Request, ctx: Context, values: dict[str, Any], texts: columns.Texts, **extra: Any
) -> Response:
    rows = [
        {
            "bracket": row,
            "type": type_label(row.type),
            "text": localized(row, NAMES),
            "cols": admin_texts.stored_columns(row, NAMES),
        }
        for row in brackets.all_brackets(ctx)
    ]
    return page(
        request,
        "admin/brackets.html",
        rows=rows,
        item=None,
        values={**values, **columns.values(texts)},
        cols=columns.columns(texts, NAMES, ""),
        type_options=_type_options(),
        mode=get_event(ctx).mode,
        **{"errors": {}, **extra},
    )


@router.get(URL, response_class=HTMLResponse)
def bracket_list(
    request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.EVENT_SETTINGS))
) -> Response:
    if gate.denied:
        return gate.denied
    mode = get_event(ctx).mode
    return _list(request, ctx, {"type": mode}, columns.typed({}, NAMES, columns.languages()))


def _typed(form: Form, row: t.Bracket | None) -> tuple[dict[str, Any], columns.Texts]:
    values = {"type": text(form, "type").strip()}
    return values, columns.typed(form, NAMES, columns.languages([row.locale] if row else []))


def _errors(exc: DomainError, texts: columns.Texts, source: str) -> FormErrors:
    keys = {**columns.error_keys(NAMES, texts, source), "type": "type"}
    key = keys.get(exc.field, "")
    name = exc.field.rsplit(".", 1)[-1]
    if name not in FIELD_LABELS:
        return {key: message_for(exc)}
    return {key: gettext("%(label)s: %(text)s", label=gettext(FIELD_LABELS[name]), text=message_for(exc))}


def _save(
    ctx: Context, row: t.Bracket | None, values: dict[str, Any], texts: columns.Texts
) -> tuple[t.Bracket | None, FormErrors]:
    preferred = ([row.locale] if row is not None else []) + [get_event(ctx).default_locale]
    source = admin_texts.own_language(texts, ("name",), preferred)
    if source is None:
        first = next(iter(texts))
        message = gettext("Give the name in at least one language.")
        label = gettext(FIELD_LABELS["name"])
        return None, {columns.key("name", first): gettext("%(label)s: %(text)s", label=label, text=message)}
    data = {"type": values["type"], **admin_texts.payload(texts, source)}
    try:
        if row is None:
            saved = brackets.create_bracket(ctx, data)
        else:
            saved = brackets.update_bracket(ctx, row.id, data)
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            raise
        return None, _errors(exc, texts, source)
    return saved, {}


@router.post(URL + "/new", response_class=HTMLResponse)
def create(request: Request, ctx: CtxDep, gate: Gate = Depends(post_gate(Action.EVENT_SETTINGS))) -> Response:
    if gate.denied:
        return gate.denied
    values, texts = _typed(gate.form, None)
    saved, errors = _save(ctx, None, values, texts)
    if saved is None:
        return _list(request, ctx, values, texts, errors=errors, status_code=400)
    return done(request, URL, "bracket_created")


def _form(
    request: Request,
    row: t.Bracket,
    values: dict[str, Any],
    texts: columns.Texts,
    status_code: int = 200,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    return page(
        request,
        "admin/bracket.html",
        status_code=status_code,
        item=row,
        values={**values, **columns.values(texts)},
        cols=columns.columns(texts, NAMES, row.locale),
        errors=errors or {},
        type_options=_type_options(),
    )


def _open(request: Request, ctx: Context, bracket_id: int, gate: Gate) -> t.Bracket | Response:
    return open_row(request, gate, lambda: brackets.get_bracket(ctx, bracket_id))


@router.get(URL + "/{bracket_id}", response_class=HTMLResponse)
def edit_bracket(
    request: Request, ctx: CtxDep, bracket_id: int, gate: Gate = Depends(view_gate(Action.EVENT_SETTINGS))
) -> Response:
    row = _open(request, ctx, bracket_id, gate)
    if not isinstance(row, t.Bracket):
        return row
    text_ = localized(row, NAMES)
    texts = columns.stored(text_, NAMES, columns.languages([row.locale], text_.texts))
    return _form(request, row, {"type": row.type}, texts)


@router.post(URL + "/{bracket_id}", response_class=HTMLResponse)
def save(
    request: Request, ctx: CtxDep, bracket_id: int, gate: Gate = Depends(post_gate(Action.EVENT_SETTINGS))
) -> Response:
    row = _open(request, ctx, bracket_id, gate)
    if not isinstance(row, t.Bracket):
        return row
    values, texts = _typed(gate.form, row)
    try:
        saved, errors = _save(ctx, row, values, texts)
    except DomainError:
        return not_found(request)
    if saved is None:
        return _form(request, row, values, texts, 400, errors)
    return done(request, URL, "bracket_saved")


@router.get(URL + "/{bracket_id}/delete", response_class=HTMLResponse)
def confirm_delete(
    request: Request, ctx: CtxDep, bracket_id: int, gate: Gate = Depends(view_gate(Action.EVENT_SETTINGS))
) -> Response:
    row = _open(request, ctx, bracket_id, gate)
    if not isinstance(row, t.Bracket):
        return row
    name = resolve(localized(row, NAMES), "name", content_order(get_event(ctx)))
    return page(
        request,
        "admin/confirm.html",
        title=gettext("Remove the bracket “%(name)s”?", name=name),
        consequence=gettext(
            "Its accounts stay, in no bracket, and its own scoreboard is gone. This cannot be undone."
        ),
        action=f"{URL}/{bracket_id}/delete",
        button=gettext("Remove"),
        cancel=f"{URL}/{bracket_id}",
    )


@router.post(URL + "/{bracket_id}/delete", response_class=HTMLResponse)
def delete(
    request: Request, ctx: CtxDep, bracket_id: int, gate: Gate = Depends(post_gate(Action.EVENT_SETTINGS))
) -> Response:
    if gate.denied:
        return gate.denied
    try:
        brackets.delete_bracket(ctx, bracket_id)
    except DomainError:
        return not_found(request)
    return done(request, URL, "bracket_deleted")
