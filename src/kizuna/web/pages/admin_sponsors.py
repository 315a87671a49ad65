"""Admin pages for the organisers, hosts, sponsors and supporters on the home page: the list in the
home page's order, the create/edit form (the name one column per language, the link, the group and
the place in the group) and removing an entry after a confirmation step."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.policy import Action
from kizuna.i18n import gettext, lazy
from kizuna.services import sponsors
from kizuna.services.context import Context
from kizuna.services.event import get_event
from kizuna.storage import tables as t
from kizuna.web.api.v1.sponsors import logo_url
from kizuna.web.content import content_order, localized, resolve
from kizuna.web.deps import CtxDep
from kizuna.web.messages import message_for
from kizuna.web.pages import admin_columns as columns
from kizuna.web.pages import admin_texts
from kizuna.web.pages.admin_common import (
    Form,
    Gate,
    checked,
    done,
    not_found,
    open_row,
    page,
    post_gate,
    text,
    uploads,
    view_gate,
)
from kizuna.web.pages.player_helpers import FormErrors

router = APIRouter()

URL = "/admin/sponsors"
OTHER_FIELDS = ("url", "group", "position")
NAMES = sponsors.SPONSOR_TEXT

# The groups' headings, in the order the home page shows them.
GROUP_LABELS: dict[str, str] = {
    "organisers": lazy("Organisers"),
    "hosts": lazy("Hosts"),
    "sponsors": lazy("Sponsors"),
    "supporters": lazy("Supporters"),
}
FIELD_LABELS: dict[str, str] = {
    "name": lazy("Name"),
    "url": lazy("Link"),
    "group": lazy("Group"),
    "position": lazy("Order"),
    "logo": lazy("Logo"),
}


def group_label(group: str) -> str:
    return gettext(GROUP_LABELS[group]) if group in GROUP_LABELS else group


def _edit_url(sponsor_id: int) -> str:
    return f"{URL}/{sponsor_id}"


@router.get(URL, response_class=HTMLResponse)
def sponsor_list(
    request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.EVENT_SETTINGS))
) -> Response:
    if gate.denied:
        return gate.denied
    rows = [
        {
            "sponsor": row,
            "group": group_label(row.group),
            "text": localized(row, NAMES),
            "cols": admin_texts.stored_columns(row, NAMES),
        }
        for row in sponsors.all_sponsors(ctx)
    ]
    return page(request, "admin/sponsors.html", rows=rows)


# --- the form -------------------------------------------------------------------------------------


def _stored_values(row: t.Sponsor) -> tuple[dict[str, Any], columns.Texts]:
    values = {"url": row.url, "group": row.group, "position": str(row.position)}
    text_ = localized(row, NAMES)
    return values, columns.stored(text_, NAMES, columns.languages([row.locale], text_.texts))


def _typed(form: Form, row: t.Sponsor | None) -> tuple[dict[str, Any], columns.Texts]:
    values: dict[str, Any] = {name: text(form, name).strip() for name in OTHER_FIELDS}
    values["remove_logo"] = checked(form, "remove_logo")
    return values, columns.typed(form, NAMES, columns.languages([row.locale] if row else []))


def _logo_change(form: Form, values: dict[str, Any]) -> dict[str, Any]:
    """The service's ``logo`` key: an upload's bytes, removal (None), or nothing (keep it)."""
    chosen = uploads(form, "logo")
    if chosen:
        # Read at most one byte past the limit: the service refuses anything that long.
        return {"logo": chosen[0].file.read(sponsors.MAX_LOGO + 1) or None}
    return {"logo": None} if values.get("remove_logo") else {}


def _form(
    request: Request,
    row: t.Sponsor | None,
    values: dict[str, Any],
    texts: columns.Texts,
    status_code: int = 200,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    digest = sponsors.logo_digests(request.app.state.ctx).get(row.id) if row is not None else None
    return page(
        request,
        "admin/sponsor.html",
        status_code=status_code,
        item=row,
        values={**values, **columns.values(texts)},
        cols=columns.columns(texts, NAMES, row.locale if row else ""),
        errors=errors or {},
        group_options=[(g, group_label(g)) for g in sponsors.GROUPS],
        positions=sponsors.POSITIONS,
        logo_url=logo_url(row.id, digest) if row is not None else None,
        logo_max_kb=sponsors.MAX_LOGO // 1024,
    )


def _named(label: str, message: str) -> str:
    """An error that names its field, so the summary at the top reads on its own."""
    return gettext("%(label)s: %(text)s", label=label, text=message)


def _errors(exc: DomainError, texts: columns.Texts, source: str) -> FormErrors:
    keys = {**columns.error_keys(NAMES, texts, source), **{f: f for f in (*OTHER_FIELDS, "logo")}}
    key = keys.get(exc.field, "")
    if exc.field in FIELD_LABELS:
        label = gettext(FIELD_LABELS[exc.field])
    elif exc.field.startswith("translations."):
        label = gettext(FIELD_LABELS["name"])
    else:
        return {key: message_for(exc)}
    if exc.code is ErrorCode.VALUE_INVALID and exc.field == "position":
        low, high = sponsors.POSITIONS
        message = gettext("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
    else:
        message = message_for(exc)
    return {key: _named(label, message)}


def _save(
    ctx: Context, row: t.Sponsor | None, values: dict[str, Any], texts: columns.Texts, logo: dict[str, Any]
) -> tuple[t.Sponsor | None, FormErrors]:
    """Create (``row`` None) or update the entry from the typed form; the entry, or the form's
    errors. Its own language stays as it is while that column has a name, else the first that has one."""
    preferred = ([row.locale] if row is not None else []) + [get_event(ctx).default_locale]
    source = admin_texts.own_language(texts, NAMES, preferred)
    if source is None:
        first = next(iter(texts))
        message = gettext("Give the name in at least one language.")
        return None, {columns.key("name", first): _named(gettext(FIELD_LABELS["name"]), message)}
    fields = {name: values[name] for name in OTHER_FIELDS}
    data = {**fields, **logo, **admin_texts.payload(texts, source)}
    try:
        if row is None:
            saved = sponsors.create_sponsor(ctx, data)
        else:
            saved = sponsors.update_sponsor(ctx, row.id, data)
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            raise
        return None, _errors(exc, texts, source)
    return saved, {}


@router.get(URL + "/new", response_class=HTMLResponse)
def new_sponsor(
    request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.EVENT_SETTINGS))
) -> Response:
    if gate.denied:
        return gate.denied
    values = {"url": "", "group": "sponsors", "position": "0"}
    return _form(request, None, values, columns.typed({}, NAMES, columns.languages()))


@router.post(URL + "/new", response_class=HTMLResponse)
def create(request: Request, ctx: CtxDep, gate: Gate = Depends(post_gate(Action.EVENT_SETTINGS))) -> Response:
    if gate.denied:
        return gate.denied
    values, texts = _typed(gate.form, None)
    saved, errors = _save(ctx, None, values, texts, _logo_change(gate.form, values))
    if saved is None:
        return _form(request, None, values, texts, 400, errors)
    return done(request, URL, "sponsor_created")


def _open(request: Request, ctx: Context, sponsor_id: int, gate: Gate) -> t.Sponsor | Response:
    """The entry to work on, or what to answer instead: the admin gate's refusal, or 404."""
    return open_row(request, gate, lambda: sponsors.get_sponsor(ctx, sponsor_id))


@router.get(URL + "/{sponsor_id}", response_class=HTMLResponse)
def edit_sponsor(
    request: Request, ctx: CtxDep, sponsor_id: int, gate: Gate = Depends(view_gate(Action.EVENT_SETTINGS))
) -> Response:
    row = _open(request, ctx, sponsor_id, gate)
    if not isinstance(row, t.Sponsor):
        return row
    return _form(request, row, *_stored_values(row))


@router.post(URL + "/{sponsor_id}", response_class=HTMLResponse)
def save(
    request: Request, ctx: CtxDep, sponsor_id: int, gate: Gate = Depends(post_gate(Action.EVENT_SETTINGS))
) -> Response:
    row = _open(request, ctx, sponsor_id, gate)
    if not isinstance(row, t.Sponsor):
        return row
    values, texts = _typed(gate.form, row)
    try:
        saved, errors = _save(ctx, row, values, texts, _logo_change(gate.form, values))
    except DomainError:
        return not_found(request)
    if saved is None:
        return _form(request, row, values, texts, 400, errors)
    return done(request, URL, "sponsor_saved")


# --- delete ---------------------------------------------------------------------------------------


@router.get(URL + "/{sponsor_id}/delete", response_class=HTMLResponse)
def confirm_delete(
    request: Request, ctx: CtxDep, sponsor_id: int, gate: Gate = Depends(view_gate(Action.EVENT_SETTINGS))
) -> Response:
    row = _open(request, ctx, sponsor_id, gate)
    if not isinstance(row, t.Sponsor):
        return row
    name = resolve(localized(row, NAMES), "name", content_order(get_event(ctx)))
    return page(
        request,
        "admin/confirm.html",
        title=gettext("Remove “%(name)s” from the home page?", name=name),
        consequence=gettext("Its name, link and logo are removed in every language. This cannot be undone."),
        action=f"{_edit_url(sponsor_id)}/delete",
        button=gettext("Remove"),
        cancel=_edit_url(sponsor_id),
    )


@router.post(URL + "/{sponsor_id}/delete", response_class=HTMLResponse)
def delete(
    request: Request, ctx: CtxDep, sponsor_id: int, gate: Gate = Depends(post_gate(Action.EVENT_SETTINGS))
) -> Response:
    if gate.denied:
        return gate.denied
    try:
        sponsors.delete_sponsor(ctx, sponsor_id)
    except DomainError:
        return not_found(request)
    return done(request, URL, "sponsor_deleted")
