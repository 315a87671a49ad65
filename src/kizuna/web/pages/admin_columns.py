"""Organiser text edited one column per language, with the item's original language chosen.

Used by the challenge details and hint forms. The columns are the interface languages (``LOCALES``)
plus any other language the item already has text in. A control is named ``<field>_<language>``
(``name_ja``, as in ``admin_texts``); on a page with several such forms its key carries a prefix
(``hint-3-title_ja``). Saving puts the original column's text in the item's plain fields and the
other columns in ``translations``, where an empty text removes that language's translation.

Each column is headed by its language's name and a marker: "Complete", or the fields it lacks that
another language has ("Missing: name and description").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from babel.lists import format_list

from kizuna.domain.text import LocalizedText
from kizuna.i18n import LOCALES, current_locale, gettext, gettext_in, language_name, lazy, locale_name
from kizuna.web.pages.admin_common import Form, text

Texts = dict[str, dict[str, str]]

# Field names as the markers and the translation report list them.
FIELD_NAMES = {
    "name": lazy("name"),
    "description": lazy("description"),
    "title": lazy("title"),
    "content": lazy("content"),
    "category": lazy("category"),
}
SINGLE_LINE = ("name", "title", "category")
# A column control's label when an error names it: "Name (Japanese)".
LABEL_IN_LANGUAGE = lazy("%(field)s (%(language)s)")


def key(name: str, code: str, prefix: str = "") -> str:
    return f"{prefix}{name}_{code}"


def field_list(names: Iterable[str]) -> str:
    """Field names as a list in the reader's language ("name and description", 「名前、説明」)."""
    return format_list([gettext(FIELD_NAMES[n]) for n in names], locale=current_locale.get())


def ordered(codes: Iterable[str]) -> list[str]:
    """Languages in column order: those of ``LOCALES`` first, then the others alphabetically."""
    present = {code for code in codes if code}
    return [*(code for code in LOCALES if code in present), *sorted(present - set(LOCALES))]


def languages(*groups: Iterable[str]) -> list[str]:
    """The columns of an item: ``LOCALES`` and every language in ``groups``."""
    return ordered([*LOCALES, *(code for group in groups for code in group)])


@dataclass(frozen=True)
class Column:
    code: str
    source: bool  # the item's original language
    missing: tuple[str, ...]  # fields this language lacks that another language has
    written: bool  # whether the item has any text at all (an empty form gets no markers)

    @property
    def language(self) -> str:
        """The language's own name (English, 日本語), for headings."""
        return locale_name(self.code)

    @property
    def language_in_text(self) -> str:
        """The language's name in the reader's language (英語), for sentences and labels."""
        return language_name(self.code, current_locale.get())

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def status(self) -> str:
        if not self.written:
            return ""
        if self.complete:
            return gettext("Complete")
        return gettext("Missing: %(fields)s", fields=field_list(self.missing))


def columns(
    texts: Mapping[str, Mapping[str, str]],
    names: Sequence[str],
    source: str,
    also_missing: Mapping[str, Sequence[str]] | None = None,
) -> list[Column]:
    """The columns of ``texts`` (language → field → text), with their markers. ``also_missing``
    adds fields a language lacks for reasons of its own (a category's display name)."""
    filled = {code: {n: v for n, v in values.items() if v.strip()} for code, values in texts.items()}
    lacking = LocalizedText(source, filled).missing(names, texts)
    written = any(filled.values())
    out = []
    for code in texts:
        extra = [n for n in (also_missing or {}).get(code, ()) if n not in lacking.get(code, [])]
        out.append(Column(code, code == source, (*lacking.get(code, []), *extra), written))
    return out


def stored(row_text: LocalizedText, names: Sequence[str], codes: Sequence[str]) -> Texts:
    """An item's stored text in each of ``codes`` ("" where it has none)."""
    texts = row_text.as_dict()
    return {code: {n: texts.get(code, {}).get(n, "") for n in names} for code in codes}


def typed(form: Form, names: Sequence[str], codes: Iterable[str], prefix: str = "") -> Texts:
    """The columns as typed: each of ``codes`` and each language the form has a control for, so
    a language left out of the form is left as it is."""
    present = set(codes)
    for field in form:
        name, sep, code = field.removeprefix(prefix).partition("_")
        if field.startswith(prefix) and sep and name in names and code:
            present.add(code)
    out: Texts = {}
    for code in ordered(present):
        values = {n: text(form, key(n, code, prefix)) for n in names}
        out[code] = {n: v.strip() if n in SINGLE_LINE else v for n, v in values.items()}
    return out


def values(texts: Mapping[str, Mapping[str, str]], prefix: str = "") -> dict[str, str]:
    """The columns as the form's values, keyed like its controls."""
    return {key(n, code, prefix): v for code, fields in texts.items() for n, v in fields.items()}


def translations(texts: Mapping[str, Mapping[str, str]], source: str, keep_empty: bool = True) -> Texts:
    """The columns other than ``source``, for the service's ``translations``. With ``keep_empty``
    an empty text is sent (and removes a stored translation); without, it is left out."""
    out: Texts = {}
    for code, fields in texts.items():
        if code == source:
            continue
        kept = {n: v for n, v in fields.items() if keep_empty or v}
        if kept:
            out[code] = kept
    return out


def labels(fields: Mapping[str, str], codes: Iterable[str], prefix: str = "") -> dict[str, str]:
    """Each column control's label with its language ("Name (Japanese)", 「名前（日本語）」), for the
    errors that name their field (``admin_common.FieldLabels``); ``fields``: name → lazy label."""
    reader = current_locale.get()
    return {
        key(name, code, prefix): gettext_in(
            reader, LABEL_IN_LANGUAGE, field=gettext_in(reader, label), language=language_name(code, reader)
        )
        for code in codes
        for name, label in fields.items()
    }


def error_keys(names: Sequence[str], codes: Iterable[str], source: str, prefix: str = "") -> dict[str, str]:
    """Service field → form key: ``translations.ja.name`` → ``name_ja``, a plain ``name`` → the name
    in the original language. For ``admin_common.field_errors``."""
    out = {f"translations.{code}.{n}": key(n, code, prefix) for code in codes for n in names}
    out.update({n: key(n, source, prefix) for n in names})
    return out
