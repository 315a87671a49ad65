"""The second language's half of both-languages text, in an element with its own ``lang``.

In 日英併記 every interface string is written in the reader's language, then in the other one
("得点 / Score"). The page's ``<html lang>`` names the first; so that a screen reader reads the second
half in its own voice, that half is wrapped in ``<span lang="en">``. A translated string may end up
in an attribute (``aria-label``, ``placeholder``), in ``<title>`` or an ``<option>``, where an element
cannot go, so gettext cannot return markup. Instead, while a page is written, :mod:`kizuna.i18n`
marks the half with two private-use characters, and :func:`lang_spans` turns the marks into the
element where the text is the content of an ordinary element, and drops them everywhere else.
"""

from __future__ import annotations

import re

from markupsafe import escape

from kizuna.i18n import SECOND_CLOSE, SECOND_OPEN

# Scripts and styles whole, comments, and tags (our templates escape "<" and ">" in text and
# attribute values alike; a script's own "<" is inside the first alternative).
_TAG = re.compile(r"(<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->|<[^>]*>)", re.S | re.I)
_NAME = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)")
# Elements whose content is text only or not HTML: the marks are dropped inside them.
PLAIN = frozenset({"title", "option", "textarea", "svg", "template"})
_MARKS = str.maketrans("", "", SECOND_OPEN + SECOND_CLOSE)


def lang_spans(html: str, second: str) -> str:
    """``html`` with every marked half wrapped in ``<span lang="{second}">``, or unmarked where no
    element may go. A page without marks is returned as it is."""
    if SECOND_OPEN not in html:
        return html
    opening = f'<span lang="{escape(second)}">'
    out: list[str] = []
    plain: list[str] = []  # the PLAIN elements we are inside, innermost last
    for piece in _TAG.split(html):
        if not piece:
            continue
        if piece.startswith("<"):
            out.append(piece.translate(_MARKS))
            match = _NAME.match(piece)
            name = match.group(1).lower() if match else ""
            if name in ("script", "style"):
                continue  # the whole element, content included, was one piece
            if piece.startswith("</"):
                if plain and plain[-1] == name:
                    plain.pop()
            elif name in PLAIN and not piece.endswith("/>"):
                plain.append(name)
        elif plain:
            out.append(piece.translate(_MARKS))
        else:
            out.append(piece.replace(SECOND_OPEN, opening).replace(SECOND_CLOSE, "</span>"))
    return "".join(out)
