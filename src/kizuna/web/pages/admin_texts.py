"""What the announcement and custom-page forms add to ``admin_columns`` (one column per language).

Those forms have no "original language" select: the item's own language (``locale``) is the first
language, in a preferred order, whose column has every required field; the other columns become its
``translations`` (an emptied one removes that language). A form with no such column is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kizuna.i18n import LOCALES, lazy
from kizuna.web.content import content_order, localized, resolve
from kizuna.web.pages import admin_columns as columns
from kizuna.web.pages.admin_common import named
from kizuna.web.pages.player_helpers import FormErrors

HALF_WRITTEN = lazy("%(field)s: fill in both the title and the content, or leave both empty.")


def half_written(texts: columns.Texts, names: Sequence[str], labels: Mapping[str, str]) -> FormErrors:
    """Errors for each interface language with some but not all of ``names`` filled in, each
    naming its field (``labels``: control key → label with its language)."""
    errors: FormErrors = {}
    for code in LOCALES:
        values = texts.get(code, {})
        empty = [name for name in names if not values.get(name, "").strip()]
        if not empty or len(empty) == len(names):
            continue
        for name in empty:
            key = columns.key(name, code)
            errors[key] = named(HALF_WRITTEN, labels[key])
    return errors


def own_language(texts: columns.Texts, required: Sequence[str], preferred: Sequence[str]) -> str | None:
    """The first language of ``preferred``, then of the columns, with every ``required`` field."""
    for code in (*preferred, *texts):
        if code in texts and all(texts[code].get(name, "").strip() for name in required):
            return code
    return None


def payload(texts: columns.Texts, source: str) -> dict[str, Any]:
    """``locale`` and ``translations`` for the service: the own language's entry writes the plain
    fields, an emptied language is removed."""
    return {"locale": source, "translations": {code: dict(values) for code, values in texts.items()}}


def reader_title(ev: Any, row: Any, names: Sequence[str]) -> str:
    """A stored item's title in the reader's language (or its fallback), for confirmations."""
    return resolve(localized(row, names), "title", content_order(ev))


def stored_columns(row: Any, names: Sequence[str]) -> list[columns.Column]:
    """A stored item's columns with their markers, for lists."""
    text = localized(row, names)
    codes = columns.languages([row.locale], text.texts)
    return columns.columns(columns.stored(text, names, codes), names, row.locale)
