"""Admin pages for custom pages (rules, venue, FAQ): the list with each page's languages, the
create/edit form with every language side by side, and deleting a page after a confirmation step."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.policy import Action
from kizuna.i18n import gettext, lazy
from kizuna.services import pages
from kizuna.services.context import Context
from kizuna.services.event import get_event
from kizuna.services.translations import PAGE_TEXT
from kizuna.storage import tables as t
from kizuna.web.content import localized
from kizuna.web.deps import CtxDep
from kizuna.web.pages import admin_columns as columns
from kizuna.web.pages import admin_texts
from kizuna.web.pages.admin_common import (
    FieldLabels,
    Form,
    Gate,
    checked,
    done,
    field_errors,
    named,
    not_found,
    open_row,
    page,
    post_gate,
    text,
    view_gate,
)
from kizuna.web.pages.player_helpers import FormErrors

router = APIRouter()

URL = "/admin/pages"
OTHER_FIELDS = ("route", "format")
# The labels the form shows, for errors that name their field (admin_common.FieldLabels).
PAGE_LABELS = {"route": lazy("Address"), "format": lazy("Format")}
TEXT_LABELS = {"title": lazy("Title"), "content": lazy("Content")}
TITLE_ONE = lazy("%(field)s: give the page a title in at least one language.")


def _labels(codes: Iterable[str]) -> FieldLabels:
    return FieldLabels({**PAGE_LABELS, **columns.labels(TEXT_LABELS, codes)})


def _edit_url(page_id: int) -> str:
    return f"{URL}/{page_id}"


@router.get(URL, response_class=HTMLResponse)
def page_list(request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.PAGE_EDIT))) -> Response:
    if gate.denied:
        return gate.denied
    rows = [
        {"page": p, "text": localized(p, PAGE_TEXT), "cols": admin_texts.stored_columns(p, PAGE_TEXT)}
        for p in pages.all_pages(ctx)
    ]
    return page(request, "admin/pages.html", rows=rows)


# --- the page form --------------------------------------------------------------------------------


def _stored_values(p: t.Page) -> tuple[dict[str, Any], columns.Texts]:
    values = {name: getattr(p, name) for name in (*OTHER_FIELDS, *pages.FLAGS)}
    text_ = localized(p, PAGE_TEXT)
    return values, columns.stored(text_, PAGE_TEXT, columns.languages([p.locale], text_.texts))


def _typed(form: Form, p: t.Page | None) -> tuple[dict[str, Any], columns.Texts]:
    """The form as typed: its fields, then a column for each interface language, the page's own
    language and any other language the form has controls for."""
    values: dict[str, Any] = {name: text(form, name).strip() for name in OTHER_FIELDS}
    values.update({name: checked(form, name) for name in pages.FLAGS})
    return values, columns.typed(form, PAGE_TEXT, columns.languages([p.locale] if p else []))


def _form(
    request: Request,
    p: t.Page | None,
    values: dict[str, Any],
    texts: columns.Texts,
    status_code: int = 200,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    return page(
        request,
        "admin/page.html",
        status_code=status_code,
        item=p,
        values={**values, **columns.values(texts)},
        cols=columns.columns(texts, PAGE_TEXT, p.locale if p else ""),
        errors=errors or {},
        labels=_labels(texts),
        format_options=[("markdown", gettext("Markdown")), ("html", gettext("HTML (made safe when shown)"))],
    )


def _save(
    ctx: Context, p: t.Page | None, values: dict[str, Any], texts: columns.Texts
) -> tuple[t.Page | None, FormErrors]:
    """Create (``p`` None) or update the page from the typed form; the page, or the form's errors.
    Its own language stays as it is while that column has a title, else the first that has one."""
    preferred = ([p.locale] if p is not None else []) + [get_event(ctx).default_locale]
    source = admin_texts.own_language(texts, ("title",), preferred)
    if source is None:
        first = columns.key("title", next(iter(texts)))
        return None, {first: named(TITLE_ONE, _labels(texts).labels[first])}
    data = {**values, **admin_texts.payload(texts, source)}
    try:
        saved = pages.create_page(ctx, data) if p is None else pages.update_page(ctx, p.id, data)
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            raise
        keys = {**columns.error_keys(PAGE_TEXT, texts, source), **{f: f for f in OTHER_FIELDS}}
        return None, field_errors(exc, keys, labels=_labels(texts))
    return saved, {}


@router.get(URL + "/new", response_class=HTMLResponse)
def new_page(request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.PAGE_EDIT))) -> Response:
    if gate.denied:
        return gate.denied
    values = {"route": "", "format": "markdown", **{name: False for name in pages.FLAGS}}
    return _form(request, None, values, columns.typed({}, PAGE_TEXT, columns.languages()))


@router.post(URL + "/new", response_class=HTMLResponse)
def create(request: Request, ctx: CtxDep, gate: Gate = Depends(post_gate(Action.PAGE_EDIT))) -> Response:
    if gate.denied:
        return gate.denied
    values, texts = _typed(gate.form, None)
    saved, errors = _save(ctx, None, values, texts)
    if saved is None:
        return _form(request, None, values, texts, 400, errors)
    return done(request, _edit_url(saved.id), "page_created")


def _open(request: Request, ctx: Context, page_id: int, gate: Gate) -> t.Page | Response:
    """The page to work on, or what to answer instead: the admin gate's refusal, or 404."""
    return open_row(request, gate, lambda: pages.get_page(ctx, page_id))


@router.get(URL + "/{page_id}", response_class=HTMLResponse)
def edit_page(
    request: Request, ctx: CtxDep, page_id: int, gate: Gate = Depends(view_gate(Action.PAGE_EDIT))
) -> Response:
    p = _open(request, ctx, page_id, gate)
    if not isinstance(p, t.Page):
        return p
    return _form(request, p, *_stored_values(p))


@router.post(URL + "/{page_id}", response_class=HTMLResponse)
def save(
    request: Request, ctx: CtxDep, page_id: int, gate: Gate = Depends(post_gate(Action.PAGE_EDIT))
) -> Response:
    p = _open(request, ctx, page_id, gate)
    if not isinstance(p, t.Page):
        return p
    values, texts = _typed(gate.form, p)
    try:
        saved, errors = _save(ctx, p, values, texts)
    except DomainError:
        return not_found(request)
    if saved is None:
        return _form(request, p, values, texts, 400, errors)
    return done(request, _edit_url(page_id), "page_saved")


# --- delete ---------------------------------------------------------------------------------------


@router.get(URL + "/{page_id}/delete", response_class=HTMLResponse)
def confirm_delete(
    request: Request, ctx: CtxDep, page_id: int, gate: Gate = Depends(view_gate(Action.PAGE_EDIT))
) -> Response:
    p = _open(request, ctx, page_id, gate)
    if not isinstance(p, t.Page):
        return p
    name = admin_texts.reader_title(get_event(ctx), p, PAGE_TEXT) or p.route
    return page(
        request,
        "admin/confirm.html",
        title=gettext("Delete the page “%(title)s”?", title=name),
        consequence=gettext(
            "Its address /pages/%(route)s stops working and it leaves the navigation, in every "
            "language. This cannot be undone.",
            route=p.route,
        ),
        action=f"{_edit_url(page_id)}/delete",
        button=gettext("Delete the page"),
        cancel=_edit_url(page_id),
    )


@router.post(URL + "/{page_id}/delete", response_class=HTMLResponse)
def delete(
    request: Request, ctx: CtxDep, page_id: int, gate: Gate = Depends(post_gate(Action.PAGE_EDIT))
) -> Response:
    if gate.denied:
        return gate.denied
    try:
        pages.delete_page(ctx, page_id)
    except DomainError:
        return not_found(request)
    return done(request, URL, "page_deleted")
