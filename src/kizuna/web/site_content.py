"""Organiser content that appears around the site, not only on its own page: the custom pages listed
in the main navigation and the latest announcements on the home page.

``install`` puts the lookups into the Jinja environment, so ``base.html`` and included blocks can ask
for them on whatever page they render, without every page handler passing them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from kizuna.domain.text import LocalizedText
from kizuna.markdown import sanitize_html
from kizuna.services import notifications, pages
from kizuna.services.context import Context
from kizuna.services.translations import NOTIFICATION_TEXT, PAGE_TEXT
from kizuna.web.content import localized

HOME_ANNOUNCEMENTS = 3


@dataclass(frozen=True)
class Announcement:
    id: int
    date: datetime
    text: LocalizedText  # title and content, every language


@dataclass(frozen=True)
class NavPage:
    route: str
    text: LocalizedText  # title, every language


def announcements(ctx: Context, limit: int | None = None) -> list[Announcement]:
    """Announcements, newest first."""
    return [
        Announcement(n.id, n.date, localized(n, NOTIFICATION_TEXT))
        for n in notifications.latest(ctx, limit=limit)
    ]


def _ctx(request: Any) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def latest_announcements(request: Any, limit: int = HOME_ANNOUNCEMENTS) -> list[Announcement]:
    return announcements(_ctx(request), limit)


def nav_pages(request: Any) -> list[NavPage]:
    """The custom pages the main navigation lists (published, not hidden)."""
    return [NavPage(p.route, localized(p, PAGE_TEXT)) for p in pages.listed_pages(_ctx(request))]


def _page_html(text: str) -> Markup:
    # sanitize_html keeps only harmless markup (nh3), so it is safe to mark as such.
    return Markup(sanitize_html(text))  # noqa: S704


def install(env: Environment) -> None:
    env.globals["latest_announcements"] = latest_announcements
    env.globals["nav_pages"] = nav_pages
    env.filters["page_html"] = _page_html
