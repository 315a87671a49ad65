"""Interface text in the reader's language.

Catalogs are the ``.po`` files under ``locale/``; they are compiled in memory at start-up (no build
step, no stale ``.mo`` files). The current locale is a context variable set per request, so the same
``gettext`` works in templates, API errors and the CLI.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("en", "ja")
DEFAULT_LOCALE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"

current_locale: ContextVar[str] = ContextVar("kizuna_locale", default=DEFAULT_LOCALE)
# "both" (日英併記): every interface string and content item is shown in the reader's language and in
# the event's other language, side by side. "" shows one language.
BOTH = "both"
current_display: ContextVar[str] = ContextVar("kizuna_display", default="")
BOTH_SEPARATOR = " / "
# While a page is written (kizuna.web.render), both-languages text marks its second language's half
# with these two private-use characters; the page's writer then wraps that half in an element with
# its own ``lang`` (so screen readers switch voice) or, inside attributes and elements that cannot
# hold markup, drops the marks (kizuna.web.bilingual). Nothing else ever sees them.
SECOND_OPEN, SECOND_CLOSE = "\ue000", "\ue001"
mark_second: ContextVar[bool] = ContextVar("kizuna_mark_second", default=False)


def secondary_locale(primary: str | None = None) -> str:
    """The second language of both-languages mode: the first of LOCALES that is not the reader's."""
    primary = primary or current_locale.get()
    return next((code for code in LOCALES if code != primary), primary)


def display_locales() -> list[str]:
    """The languages to show, reader's first: one, or two in both-languages mode."""
    primary = current_locale.get()
    if current_display.get() == BOTH:
        second = secondary_locale(primary)
        if second != primary:
            return [primary, second]
    return [primary]


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


def _joined(texts: list[str]) -> str:
    unique: list[str] = []
    for text in texts:
        if text not in unique:
            unique.append(text)
    if len(unique) > 1 and mark_second.get():
        unique[1:] = [f"{SECOND_OPEN}{text}{SECOND_CLOSE}" for text in unique[1:]]
    return BOTH_SEPARATOR.join(unique)


def joined(texts: list[str]) -> str:
    """Texts already written in each language shown (reader's first), joined as interface strings
    are in both-languages mode; one text when they agree."""
    return _joined(texts)


def _displayed(lookup: Callable[[NullTranslations], object], values: dict[str, object]) -> str:
    """``lookup`` in each language shown, placeholders filled, joined as :func:`_joined` does."""
    texts = []
    for code in display_locales():
        text = str(lookup(translations(code)))
        texts.append(text % values if values else text)
    return _joined(texts)


def gettext(message: str, **values: object) -> str:
    """Translate ``message`` into the current locale and fill its ``%(name)s`` placeholders.

    In both-languages mode the result carries both languages, reader's first ("得点 / Score")."""
    return _displayed(lambda t: t.gettext(message), values)


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    values.setdefault("num", n)
    return _joined([translations(code).ngettext(singular, plural, n) % values for code in display_locales()])


def pgettext(context: str, message: str, **values: object) -> str:
    """As :func:`gettext`, for a message whose translation depends on ``context`` (the same English
    word for two things: "Hidden" for a challenge is 非公開, for an account 非表示)."""
    return _displayed(lambda t: t.pgettext(context, message), values)


def gettext_in(locale: str, message: str, **values: object) -> str:
    """``message`` in one given language, whatever the reader's display mode."""
    text = translations(locale).gettext(message)
    return text % values if values else text


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
    return language_name(code, code)


@cache
def language_name(code: str, in_locale: str) -> str:
    """A language's name in another language ("en" in "ja": 英語); the code itself when unknown."""
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name(in_locale) or code
    except (ValueError, TypeError, UnknownLocaleError):
        return code
