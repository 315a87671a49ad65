"""Custom pages (rules, schedule, venue, FAQ) served at ``/pages/<route>``, in several languages.

A page's ``route`` is its address: lower-case letters, digits and hyphens in segments separated by
single slashes (``rules``, ``info/access``), never one of the app's own top-level paths, so a page
can never shadow or be mistaken for a real screen. ``draft`` pages are seen by admins only,
``hidden`` ones are not listed in the navigation (but open by their address), ``auth_required`` ones
need a login. Title and content are localised like every other organiser text
(``services.translations``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.services.challenges import audit_change
from kizuna.services.context import Context
from kizuna.services.rows import delete_row, get_row
from kizuna.services.translations import PAGE_TEXT, apply_text
from kizuna.storage import repo
from kizuna.storage import tables as t

ROUTE = re.compile(r"^[a-z0-9]+(?:-+[a-z0-9]+)*(?:/[a-z0-9]+(?:-+[a-z0-9]+)*)*$")
MAX_ROUTE = 128
MAX_TITLE = 200
FORMATS = ("markdown", "html")
FLAGS = ("draft", "hidden", "auth_required")
# First path segments the app (or CTFd's clients) use for something else.
RESERVED = frozenset(
    {
        "account",
        "admin",
        "announcements",
        "api",
        "badges",
        "certificates",  # /certificates/<code>.pdf
        "challenges",
        "docs",
        "email",
        "events",
        "favicon",  # /favicon.ico
        "theme",
        "clock",  # /clock/12|24|auto
        "files",
        "healthz",
        "learn",  # /learn/leaderboard
        "lang",
        "login",
        "logout",
        "notifications",
        "openapi",
        "pages",
        "password",
        "practice",
        "readyz",
        "register",
        "reset-password",
        "scoreboard",
        "settings",
        "sponsors",  # /sponsors/<id>/logo
        "static",
        "team",
        "teams",
        "themes",
        "tracks",  # learning tracks (/tracks/…)
        "user",
        "users",
        "venue",
        "verify",  # certificate verification
    }
)
_TRUE = ("1", "true", "yes", "on", "y")
_FALSE = ("", "0", "false", "no", "off", "n")


def validate_route(raw: Any) -> str:
    """The route as stored, or ROUTE_INVALID (FIELD_REQUIRED when empty)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="route")
    if not isinstance(raw, str):
        raise DomainError(ErrorCode.ROUTE_INVALID, field="route")
    route = raw.strip()
    if len(route) > MAX_ROUTE or not ROUTE.match(route) or route.split("/")[0] in RESERVED:
        raise DomainError(ErrorCode.ROUTE_INVALID, field="route")
    return route


def _flag(raw: Any, name: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if raw is None:
        return False
    if isinstance(raw, str) and raw.strip().lower() in _TRUE + _FALSE:
        return raw.strip().lower() in _TRUE
    raise DomainError(ErrorCode.VALUE_INVALID, field=name)


def _apply(s: Any, page: t.Page, data: Mapping[str, Any]) -> None:
    if "route" in data:
        route = validate_route(data["route"])
        other = s.query(t.Page.id).filter(t.Page.route == route, t.Page.id != page.id).first()
        if other is not None:
            raise DomainError(ErrorCode.ROUTE_TAKEN, field="route")
        page.route = route
    if "format" in data:
        fmt = data["format"] or "markdown"
        if fmt not in FORMATS:
            raise DomainError(ErrorCode.VALUE_INVALID, field="format")
        page.format = fmt
    for name in FLAGS:
        if name in data:
            setattr(page, name, _flag(data[name], name))
    # A new ``locale`` first, so plain ``title``/``content`` in the same payload are in that language.
    apply_text(page, {"locale": data.get("locale")}, PAGE_TEXT)
    for name in PAGE_TEXT:
        if name in data:
            value = data[name]
            if value is not None and not isinstance(value, str):
                raise DomainError(ErrorCode.VALUE_INVALID, field=name)
            setattr(page, name, (value or "").strip() if name == "title" else value or "")
    apply_text(page, {"translations": data.get("translations")}, PAGE_TEXT)
    page.title = page.title[:MAX_TITLE]


def _stored(s: Any, page: t.Page) -> t.Page:
    """Flush, turning a lost race for the route into ROUTE_TAKEN."""
    try:
        with s.begin_nested():
            s.add(page)
    except repo.IntegrityError:
        raise DomainError(ErrorCode.ROUTE_TAKEN, field="route") from None
    return page


def create_page(ctx: Context, data: Mapping[str, Any]) -> t.Page:
    """A new page from CTFd's fields (``route`` required) plus ``locale`` and ``translations``."""
    if "route" not in data:
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="route")
    with ctx.write() as uow:
        s = uow.session
        page = t.Page(
            route="",
            title="",
            content="",
            format="markdown",
            draft=False,
            hidden=False,
            auth_required=False,
            locale=str(data.get("locale") or "") or repo.event(s).default_locale or "en",
            translations=None,
        )
        _apply(s, page, data)
        _stored(s, page)
        s.flush()
        uow.audit(None, "page.created", "page", page.id, after=_audit_values(page))
    return page


def update_page(ctx: Context, page_id: int, data: Mapping[str, Any]) -> t.Page:
    """Change the fields present in ``data``; on any error nothing is changed."""
    with ctx.write() as uow:
        s = uow.session
        page = s.get(t.Page, page_id)
        if page is None:
            raise NotFound()
        before = _audit_values(page)
        _apply(s, page, data)
        _stored(s, page)
        audit_change(uow, "page.updated", "page", page.id, before, _audit_values(page))
    return page


def _audit_values(page: t.Page) -> dict[str, Any]:
    """What the audit trail records of a custom page."""
    return {
        "route": page.route,
        "title": page.title,
        "content": page.content,
        "format": page.format,
        "draft": page.draft,
        "hidden": page.hidden,
        "auth_required": page.auth_required,
        "locale": page.locale,
        "translations": page.translations,
    }


def delete_page(ctx: Context, page_id: int) -> None:
    delete_row(ctx, t.Page, page_id, "page")


def get_page(ctx: Context, page_id: int) -> t.Page:
    return get_row(ctx, t.Page, page_id)


def all_pages(ctx: Context) -> list[t.Page]:
    """Every page, by route (admin views)."""
    with ctx.db.read() as s:
        return list(s.query(t.Page).order_by(t.Page.route))


def listed_pages(ctx: Context) -> list[t.Page]:
    """The pages the navigation lists: published (not draft) and not hidden, by route."""
    with ctx.db.read() as s:
        q = s.query(t.Page).filter(t.Page.draft.is_(False), t.Page.hidden.is_(False))
        return list(q.order_by(t.Page.route))


def page_for_reader(ctx: Context, route: str, drafts: bool) -> t.Page:
    """The page at ``route``; NotFound when there is none or it is a draft and ``drafts`` is false
    (the reader's role may not edit pages: ``Action.PAGE_EDIT``).
    Whether the reader must log in first (``auth_required``) is the caller's to check."""
    with ctx.db.read() as s:
        page = s.query(t.Page).filter(t.Page.route == route).first()
    if page is None or (page.draft and not drafts):
        raise NotFound()
    return page
