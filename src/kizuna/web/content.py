"""Organiser-written content in the reader's language(s), for pages and the API.

``LocalizedText`` (``domain.text``) does the resolution; this module binds it to the request: the
reader's locale, the both-languages display mode and the event's fallback order, and gives each
shown text the "English original" / 「原文（英語）」 note when it is a fallback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kizuna.domain.text import LocalizedText
from kizuna.i18n import LOCALES, current_locale, display_locales, gettext_in, language_name, lazy

FALLBACK_NOTE = lazy("%(language)s original")


def content_order(ev: Any) -> list[str]:
    """The event's declared fallback order for content (default: its default language, then ours)."""
    declared = [c for c in (getattr(ev, "content_locales", None) or []) if isinstance(c, str)]
    return declared or list(dict.fromkeys([getattr(ev, "default_locale", "") or "en", *LOCALES]))


def localized(row: Any, names: Sequence[str]) -> LocalizedText:
    """A stored row's text: its plain ``names`` columns (in ``row.locale``) plus ``row.translations``."""
    return LocalizedText.of(row.locale or "en", {n: getattr(row, n) for n in names}, row.translations)


@dataclass(frozen=True)
class Shown:
    """One text as shown to a reader: the text, its language and, for a fallback, the note."""

    text: str
    locale: str
    note: str  # "" unless the text is not in the language asked for

    @property
    def fallback(self) -> bool:
        return bool(self.note)


def fallback_note(text_locale: str, reader_locale: str) -> str:
    """ "English original" in English, 「原文（英語）」 in Japanese: always in the reader's language."""
    return gettext_in(reader_locale, FALLBACK_NOTE, language=language_name(text_locale, reader_locale))


def show(text: LocalizedText, name: str, order: Sequence[str]) -> list[Shown]:
    """``name`` in each language the reader displays (two in both-languages mode, when they differ)."""
    out: list[Shown] = []
    for code in display_locales():
        r = text.get(name, code, order)
        if not r.text or any(s.text == r.text for s in out):
            continue
        # A source-less text (a category nobody translated) is the same word everywhere: no note.
        note = fallback_note(r.locale, code) if r.fallback and r.locale else ""
        out.append(Shown(r.text, r.locale or code, note))
    return out or [Shown("", current_locale.get(), "")]


def resolve(text: LocalizedText, name: str, order: Sequence[str]) -> str:
    """``name`` in the reader's language (or its fallback): the single value the API returns."""
    return text.get(name, current_locale.get(), order).text


def translations_out(text: LocalizedText) -> dict[str, dict[str, str]]:
    """Every language's text, for the API's ``translations`` field."""
    return text.as_dict()


def plain(shown: Sequence[Shown]) -> str:
    """Shown texts as one plain string (titles, attributes)."""
    return " / ".join(s.text for s in shown)


def category_texts(categories: Mapping[str, LocalizedText], name: str) -> LocalizedText:
    """A category's display names; a category nobody translated is its own name in every language."""
    return categories.get(name) or LocalizedText.of("", {"name": name}, None)


def with_category(translations: Mapping[str, Mapping[str, str]], category: LocalizedText) -> dict[str, Any]:
    """A challenge's ``translations`` plus its category's display name in each language that has
    one of its own (an untranslated category is the same word everywhere and adds nothing)."""
    out = {code: dict(values) for code, values in translations.items()}
    if category.source:
        for code, values in category.as_dict().items():
            out.setdefault(code, {})["category"] = values["name"]
    return out
