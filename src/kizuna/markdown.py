"""Markdown (and HTML) written by organisers, rendered to HTML that is safe to show players.

markdown-it renders with raw HTML disabled; nh3 then removes anything a browser could execute
(script, event handlers, javascript: links), so a challenge description cannot attack its readers.

Rendering is bounded: markdown-it's nesting limit (``maxNesting``, 20 levels) keeps deep quotes and
lists flat, and text longer than ``RENDER_LIMIT`` characters — more than any field may be written with
(``kizuna.domain.limits``), so only older or imported rows — is not parsed at all: its first
``RENDER_LIMIT`` characters are shown escaped, as plain text, under a notice. Rendering time is then
roughly linear in the text and bounded (about a second for the largest table; measured in
``tests/security/test_input_markdown.py``). Results are cached, small texts many, large texts few, so
the cache cannot hold more than a few tens of megabytes.
"""

from __future__ import annotations

import html
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

from kizuna.i18n import gettext, lazy

RENDER_LIMIT = 131_072
_SMALL = 16_384
MAX_NESTING = 20
TOO_LONG_NOTICE = lazy(
    "This text is too long to show formatted (%(size)s characters); its first %(max)s characters are "
    "shown as plain text."
)

_md = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "maxNesting": MAX_NESTING})
    .enable("table")
    .enable("strikethrough")
)


def render_markdown(text: str) -> str:
    text = text or ""
    if len(text) > RENDER_LIMIT:
        return _too_long(text)
    if len(text) <= _SMALL:
        return _render_small(text)
    return _render_large(text)


def _render(text: str) -> str:
    return nh3.clean(_md.render(text), link_rel="noopener noreferrer nofollow")


@lru_cache(maxsize=2048)
def _render_small(text: str) -> str:
    return _render(text)


@lru_cache(maxsize=16)
def _render_large(text: str) -> str:
    return _render(text)


def _too_long(text: str) -> str:
    """Not parsed: the start of the text, escaped, under a notice in the reader's language."""
    notice = gettext(TOO_LONG_NOTICE, size=f"{len(text):,}", max=f"{RENDER_LIMIT:,}")
    return (
        f'<p class="kz-too-long" role="note">{html.escape(notice)}</p>'
        f'<pre class="kz-plain">{html.escape(text[:RENDER_LIMIT])}</pre>'
    )


def sanitize_html(html_text: str) -> str:
    """Organiser-written HTML (pages in ``html`` format) with anything executable removed."""
    html_text = html_text or ""
    if len(html_text) > RENDER_LIMIT:
        return _too_long(html_text)
    return nh3.clean(html_text, link_rel="noopener noreferrer nofollow")
