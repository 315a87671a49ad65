"""The site-wide banner while the event is paused: "The event is paused." and the organisers' reason
in the reader's language (both languages in both-languages mode), on every page.

It costs nothing per request: ``render`` already reads the event row for every page (``event`` in
the template context), and the banner is made from that row. The live script
(``static/kizuna-live.js``) fills or empties the same ``#kz-event-banner`` element when an
``event_state`` arrives, so an open page follows a pause or a resume without a reload.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context as TemplateContext

from kizuna.domain.clock import Phase
from kizuna.domain.text import LocalizedText
from kizuna.services.event import clock_of
from kizuna.web.content import Shown, content_order, show

REASON = "reason"


def reason_text(reason: Mapping[str, Any] | None) -> LocalizedText:
    """The pause reason (``{locale: text}``) as content: the first language written is its source,
    so a language with no text falls back along the event's order, marked as the original."""
    texts = {code: text for code, text in (reason or {}).items() if isinstance(text, str) and text}
    if not texts:
        return LocalizedText("")
    source = next(iter(texts))
    return LocalizedText.of(
        source, {REASON: texts[source]}, {code: {REASON: text} for code, text in texts.items()}
    )


def paused_now(ev: Any, now: Any) -> bool:
    """Paused and not over: after the end the pause no longer matters to anyone."""
    return bool(getattr(ev, "paused", False)) and clock_of(ev).phase(now) is not Phase.ENDED


@pass_context
def pause_banner(context: TemplateContext) -> list[Shown] | None:
    """None when no banner is due; else the reason as shown to this reader (maybe no reason)."""
    ev, request = context.get("event"), context.get("request")
    if ev is None or request is None or not paused_now(ev, request.app.state.ctx.now()):
        return None
    text = reason_text(ev.pause_reason)
    if not text.texts:
        return []
    order = context.get("order") or content_order(ev)
    return [s for s in show(text, REASON, order) if s.text]


def install(env: Environment) -> None:
    env.globals["pause_banner"] = pause_banner
