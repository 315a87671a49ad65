"""The interface catalogs are complete: every message in the code and templates is in the English and
Japanese catalogs, Japanese is fully translated with no fuzzy entries, and placeholders match."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from kizuna.i18n import LOCALE_DIR, LOCALES

SRC = Path(__file__).resolve().parents[2] / "src" / "kizuna"
KEYWORDS = {"_": None, "gettext": None, "lazy": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def extracted() -> set[tuple[str | None, str]]:
    """Every (context, message) in the code and templates."""
    found: set[tuple[str | None, str]] = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(SRC), METHOD_MAP, options_map=OPTIONS, keywords=KEYWORDS
    ):
        found.add((context, message[0] if isinstance(message, tuple) else message))
    return found


def entries(locale: str) -> set[tuple[str | None, str]]:
    return {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id) for m in catalog(locale) if m.id}


def catalog(locale: str):
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_in_the_catalog(locale: str) -> None:
    missing = sorted(extracted() - entries(locale), key=str)
    assert not missing, f"run `make catalogs` and translate: {missing[:20]}"


def test_japanese_is_complete_and_not_fuzzy() -> None:
    problems = []
    for m in catalog("ja"):
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.fuzzy or not all(strings):
            problems.append(m.id)
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        wanted = set(PLACEHOLDER.findall(ids[0])) | set(PLACEHOLDER.findall(ids[-1]))
        if any(set(PLACEHOLDER.findall(s)) - wanted for s in strings) or any(
            wanted - set(PLACEHOLDER.findall(s)) - {"num"} for s in strings
        ):
            problems.append(m.id)
    assert not problems, f"untranslated, fuzzy or placeholder mismatch: {problems[:20]}"


def test_catalogs_have_no_obsolete_entries() -> None:
    code = extracted()
    for locale in LOCALES:
        stale = sorted(entries(locale) - code, key=str)
        assert not stale, f"{locale}: entries no longer used: {stale[:20]}"
