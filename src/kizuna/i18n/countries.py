"""Names of countries and regions (国・地域) in each language, from Babel's locale data (CLDR).

The codes themselves, and the rule for what may be stored, are the domain's
(``kizuna.domain.countries``); this module only names them: "United Kingdom" / 「イギリス」.
"""

from __future__ import annotations

from functools import cache

from babel import Locale

from kizuna.domain.countries import CODES
from kizuna.i18n import DEFAULT_LOCALE, current_locale


@cache
def _names(locale: str) -> dict[str, str]:
    territories = Locale.parse(locale).territories
    english = Locale.parse(DEFAULT_LOCALE).territories
    return {code: territories.get(code) or english.get(code) or code for code in CODES}


def country_name(code: str | None, locale: str | None = None) -> str:
    """The name of ``code`` in ``locale`` (default: the reader's); "" for no country, the code
    itself for one no longer assigned (stored before codes were checked)."""
    if not code:
        return ""
    return _names(locale or current_locale.get()).get(code, code)


@cache
def country_choices(locale: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of every country, ordered by name in ``locale``: the options of a select."""
    names = _names(locale)
    return tuple(sorted(names.items(), key=lambda item: (item[1].casefold(), item[0])))
