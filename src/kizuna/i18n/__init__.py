"""Interface text in the reader's language.

Catalogs are the ``.po`` files under ``locale/``; they are compiled in memory at start-up (no build
step, no stale ``.mo`` files). The current locale is a context variable set per request, so the same
``gettext`` works in templates, API errors and the CLI.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("en", "ja")
DEFAULT_LOCALE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"

current_locale: ContextVar[str] = ContextVar("kizuna_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> NullTranslations:
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def gettext(message: str, **values: object) -> str:
    """Translate ``message`` into the current locale and fill its ``%(name)s`` placeholders."""
    text = translations(current_locale.get()).gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    values.setdefault("num", n)
    return text % values


_ = gettext


def lazy(message: str) -> str:
    """Mark a string for extraction where it is defined; translate it later with ``gettext``."""
    return message


def negotiate(accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Pick the best of LOCALES for an ``Accept-Language`` header."""
    if not accept_language:
        return default
    prefs: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        piece = part.strip()
        if not piece:
            continue
        lang, _sep, params = piece.partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        prefs.append((q, lang.strip().lower()))
    for _q, lang in sorted(prefs, key=lambda p: -p[0]):
        base = lang.split("-")[0]
        if base in LOCALES:
            return base
    return default


def locale_name(code: str) -> str:
    """A language's own name for itself (English, 日本語)."""
    return Locale.parse(code).get_display_name(code) or code
