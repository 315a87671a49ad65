"""Markdown (and HTML) written by organisers, rendered to HTML that is safe to show players.

markdown-it renders with raw HTML disabled; nh3 then removes anything a browser could execute
(script, event handlers, javascript: links), so a challenge description cannot attack its readers.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


@lru_cache(maxsize=2048)
def render_markdown(text: str) -> str:
    html = _md.render(text or "")
    return nh3.clean(html, link_rel="noopener noreferrer nofollow")


def sanitize_html(html: str) -> str:
    """Organiser-written HTML (pages in ``html`` format) with anything executable removed."""
    return nh3.clean(html or "", link_rel="noopener noreferrer nofollow")
