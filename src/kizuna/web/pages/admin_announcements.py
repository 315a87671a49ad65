"""Admin page for announcements: write one in every language side by side, see which languages each
published announcement has, and delete one after a confirmation step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kizuna.domain.errors import DomainError
from kizuna.domain.policy import Action
from kizuna.domain.text import LocalizedText
from kizuna.i18n import LOCALES, gettext, lazy
from kizuna.services import notifications
from kizuna.services.context import Context
from kizuna.services.event import get_event
from kizuna.services.translations import NOTIFICATION_TEXT
from kizuna.web.content import localized
from kizuna.web.deps import CtxDep
from kizuna.web.pages import admin_columns as columns
from kizuna.web.pages import admin_texts
from kizuna.web.pages.admin_common import (
    FieldLabels,
    Gate,
    done,
    field_errors,
    named,
    not_found,
    page,
    post_gate,
    view_gate,
)
from kizuna.web.pages.player_helpers import FormErrors

router = APIRouter()

URL = "/admin/announcements"


@dataclass(frozen=True)
class Row:
    id: int
    date: datetime
    text: LocalizedText
    cols: list[columns.Column]


def _rows(ctx: Context) -> list[Row]:
    return [
        Row(n.id, n.date, localized(n, NOTIFICATION_TEXT), admin_texts.stored_columns(n, NOTIFICATION_TEXT))
        for n in notifications.latest(ctx)
    ]


TEXT_LABELS = {"title": lazy("Title"), "content": lazy("Content (Markdown)")}
WRITE_ONE = lazy("%(field)s: write the title and the content in at least one language.")


def _labels() -> FieldLabels:
    """Each column's title and content, named with their language, for errors naming the field."""
    return FieldLabels(columns.labels(TEXT_LABELS, LOCALES))


def _page(
    request: Request,
    ctx: Context,
    status_code: int = 200,
    errors: FormErrors | None = None,
    texts: columns.Texts | None = None,
) -> HTMLResponse:
    texts = texts or columns.typed({}, NOTIFICATION_TEXT, LOCALES)
    return page(
        request,
        "admin/announcements.html",
        status_code=status_code,
        rows=_rows(ctx),
        errors=errors or {},
        values=columns.values(texts),
        # A new announcement has no own language yet: it is chosen when it is published.
        cols=columns.columns(texts, NOTIFICATION_TEXT, ""),
        labels=_labels(),
    )


@router.get(URL, response_class=HTMLResponse)
def announcement_list(
    request: Request, ctx: CtxDep, gate: Gate = Depends(view_gate(Action.ANNOUNCEMENT_POST))
) -> Response:
    if gate.denied:
        return gate.denied
    return _page(request, ctx)


@router.post(URL, response_class=HTMLResponse)
def create(
    request: Request, ctx: CtxDep, gate: Gate = Depends(post_gate(Action.ANNOUNCEMENT_POST))
) -> Response:
    """Publish the announcement, its own language the event's if written, else the first written."""
    if gate.denied:
        return gate.denied
    texts = columns.typed(gate.form, NOTIFICATION_TEXT, LOCALES)
    labels = _labels()
    errors = admin_texts.half_written(texts, NOTIFICATION_TEXT, labels.labels)
    source = admin_texts.own_language(texts, NOTIFICATION_TEXT, [get_event(ctx).default_locale])
    if source is None and not errors:
        first = columns.key("title", LOCALES[0])
        errors = {first: named(WRITE_ONE, labels.labels[first])}
    if source is not None and not errors:
        try:
            notifications.announce(ctx, "", "", admin_texts.payload(texts, source))
        except DomainError as exc:
            keys = columns.error_keys(NOTIFICATION_TEXT, texts, source)
            errors = field_errors(exc, keys, labels=labels | FieldLabels(columns.labels(TEXT_LABELS, texts)))
        else:
            return done(request, URL, "announcement_created")
    return _page(request, ctx, 400, errors, texts)


@router.get(URL + "/{notification_id}/delete", response_class=HTMLResponse)
def confirm_delete(
    request: Request,
    ctx: CtxDep,
    notification_id: int,
    gate: Gate = Depends(view_gate(Action.ANNOUNCEMENT_EDIT)),
) -> Response:
    if gate.denied:
        return gate.denied
    try:
        row = notifications.get_notification(ctx, notification_id)
    except DomainError:
        return not_found(request)
    return page(
        request,
        "admin/confirm.html",
        title=gettext(
            "Delete the announcement “%(title)s”?",
            title=admin_texts.reader_title(get_event(ctx), row, NOTIFICATION_TEXT),
        ),
        consequence=gettext(
            "It disappears from the announcements page and the API in every language. This cannot be undone."
        ),
        action=f"{URL}/{notification_id}/delete",
        button=gettext("Delete the announcement"),
        cancel=URL,
    )


@router.post(URL + "/{notification_id}/delete", response_class=HTMLResponse)
def delete(
    request: Request,
    ctx: CtxDep,
    notification_id: int,
    gate: Gate = Depends(post_gate(Action.ANNOUNCEMENT_EDIT)),
) -> Response:
    if gate.denied:
        return gate.denied
    try:
        notifications.delete_notification(ctx, notification_id)
    except DomainError:
        return not_found(request)
    return done(request, URL, "announcement_deleted")
