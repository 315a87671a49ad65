"""Server-rendered pages: one Jinja environment with gettext bound to the request's locale."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from kizuna.domain.policy import Action
from kizuna.i18n import (
    BOTH,
    BOTH_SEPARATOR,
    LOCALES,
    current_display,
    current_locale,
    gettext,
    gettext_in,
    lazy,
    locale_name,
    mark_second,
    ngettext,
    pgettext,
    secondary_locale,
)
from kizuna.i18n.countries import country_name
from kizuna.markdown import render_markdown
from kizuna.services.translations import EVENT_TEXT
from kizuna.web import event_banner, live_labels, site_content
from kizuna.web.bilingual import lang_spans
from kizuna.web.content import content_order, localized, plain, show
from kizuna.web.zones import current_clock, format_in_zone, viewer_zone

TEMPLATES = Path(__file__).parent / "templates"
BOTH_NAME = lazy("Both languages")


@pass_context
def _format_dt(context: Context, value: datetime | None, fmt: str = "medium") -> str:
    """A stored (UTC) time in the reader's zone (``time_zone``, see ``zones.viewer_zone``), named."""
    if value is None:
        return ""
    return format_in_zone(value, context.get("time_zone") or "UTC", fmt)


def _format_number(value: float | int) -> str:
    return format_decimal(value, locale=current_locale.get())


def _markdown(text: str) -> Markup:
    # render_markdown's output is sanitised by nh3, so it is safe to mark as such.
    return Markup(render_markdown(text))  # noqa: S704


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def _gettext(message: str, **values: Any) -> str:
        return gettext(message, **values)

    def _ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
        return ngettext(singular, plural, n, **values)

    def _pgettext(context: str, message: str, **values: Any) -> str:
        return pgettext(context, message, **values)

    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext
    )
    env.filters["datetime"] = _format_dt
    env.filters["number"] = _format_number
    env.filters["markdown"] = _markdown
    env.globals["LOCALES"] = [(code, locale_name(code)) for code in LOCALES]
    # The both-languages switch is labelled in every language, like the language names.
    # The language switch's short labels on a phone: each language's own short name.
    env.globals["LOCALE_SHORT"] = {"en": "EN", "ja": "日本語"}
    env.globals["BOTH_LABEL"] = BOTH_SEPARATOR.join(gettext_in(code, BOTH_NAME) for code in LOCALES)
    # The same, each half in its own language for screen readers (not for attributes).
    env.globals["BOTH_LABEL_HTML"] = escape(BOTH_SEPARATOR).join(
        Markup('<span lang="{}">{}</span>').format(code, gettext_in(code, BOTH_NAME)) for code in LOCALES
    )
    env.globals["show"] = show
    # Templates ask the policy too: {% if user.can(Action.ACCOUNT_MANAGE) %}…
    env.globals["Action"] = Action
    env.globals["plain"] = plain
    env.globals["country_name"] = country_name  # "GB" -> "United Kingdom" / 「イギリス」
    site_content.install(env)
    event_banner.install(env)
    live_labels.install(env)
    return env


THEMES = ("light", "dark")


def theme_of(request: Request) -> str:
    """The theme this browser chose (the ``theme`` cookie), or "" to follow its system's setting."""
    chosen = request.cookies.get("theme", "")
    return chosen if chosen in THEMES else ""


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    from kizuna.web.deps import csrf_token, optional_principal

    env: Environment = request.app.state.templates
    ctx = request.app.state.ctx
    principal = optional_principal(request)
    from kizuna.services.event import get_event

    base: dict[str, Any] = {
        "request": request,
        "user": principal,
        "event": get_event(ctx),
        "csrf_token": csrf_token(request),
        "locale": current_locale.get(),
        "both": current_display.get() == BOTH,
        "path": request.url.path,
        "query": request.url.query,
        # This response's Content-Security-Policy nonce (kizuna.web.headers): every inline <script>
        # or <style> a template writes carries nonce="{{ csp_nonce }}", or the browser refuses it.
        "csp_nonce": getattr(request.state, "csp_nonce", ""),
        # The reader's theme, chosen at /theme/…: "light", "dark", or "" to follow the system.
        "theme": theme_of(request),
        # The reader's clock, chosen at /clock/…: "12", "24", or "" (the language's own, 24-hour).
        "clock": current_clock.get() or "24",
    }
    base["time_zone"] = viewer_zone(request, base["event"])
    base["order"] = content_order(base["event"])
    base["etext"] = localized(base["event"], EVENT_TEXT)
    base.update(context)
    if base["both"]:
        # 日英併記: the second language's half of every interface string gets its own lang.
        marking = mark_second.set(True)
        try:
            html = lang_spans(env.get_template(template).render(**base), secondary_locale())
        finally:
            mark_second.reset(marking)
    else:
        html = env.get_template(template).render(**base)
    return HTMLResponse(html, status_code=status_code)


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    from kizuna.domain.errors import DomainError, ErrorCode
    from kizuna.web.messages import message_for

    if status == 404 and message == message_for(DomainError(ErrorCode.NOT_FOUND)):
        # Whatever was not found (a hidden challenge too), the reader asked for a page.
        message = gettext("Page not found.")
    return render(request, "error.html", status_code=status, status=status, message=message)
