"""Organiser-written text in several languages.

A content item (challenge, hint, category, announcement, page, the event itself) has a *source*
locale — the language its plain fields are written in — and any number of translations. Readers ask
for their own language; when a field has no text there, they get the first language of the event's
fallback order that has it, then the source, marked as a fallback so the page can say "English
original" / 「原文（英語）」. A field never resolves to nothing while any language has text for it.

Translations travel as ``{locale: {field: text}}``. In updates an empty text (or null) removes that
field's translation; a locale mapped to null removes the whole locale.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kizuna.domain.errors import DomainError, ErrorCode

# A BCP 47 language tag as organisers write them: "en", "ja", "pt-BR", "zh-Hant".
_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_LOCALES = 20

Texts = dict[str, dict[str, str]]


def validate_locale(code: object, field_name: str = "locale") -> str:
    if not isinstance(code, str) or not _LOCALE.match(code):
        raise DomainError(ErrorCode.LOCALE_INVALID, field=field_name, locale=str(code)[:20])
    return code


def fallback_chain(wanted: str, order: Iterable[str], source: str) -> list[str]:
    """The languages to try, best first: the reader's, the event's declared order, the source."""
    chain: list[str] = []
    for code in (wanted, *order, source):
        if code and code not in chain:
            chain.append(code)
    return chain


@dataclass(frozen=True)
class Resolved:
    text: str
    locale: str  # the language ``text`` is in
    fallback: bool  # True when that is not the language asked for


@dataclass(frozen=True)
class LocalizedText:
    """One item's text in every language it has, source included."""

    source: str
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, source: str, base: Mapping[str, str | None], translations: Any) -> LocalizedText:
        """From the item's plain fields (in ``source``) and its stored translations."""
        texts: Texts = {}
        own = {k: v for k, v in base.items() if v}
        if own:
            texts[source] = own
        for code, values in (translations or {}).items():
            if code == source or not isinstance(values, Mapping):
                continue
            kept = {k: v for k, v in values.items() if isinstance(v, str) and v}
            if kept:
                texts[code] = kept
        return cls(source, texts)

    def get(self, name: str, wanted: str, order: Sequence[str] = ()) -> Resolved:
        """``name`` in ``wanted``, else by the fallback chain, else in any language that has it."""
        chain = fallback_chain(wanted, order, self.source)
        for code in chain + sorted(set(self.texts) - set(chain)):
            text = self.texts.get(code, {}).get(name)
            if text:
                return Resolved(text, code, code != wanted)
        return Resolved("", wanted, False)

    def has(self, name: str, locale: str) -> bool:
        return bool(self.texts.get(locale, {}).get(name))

    def missing(self, names: Iterable[str], locales: Iterable[str]) -> dict[str, list[str]]:
        """For each locale, the fields that have text in some language but not in this one."""
        present = [n for n in names if any(n in values for values in self.texts.values())]
        out: dict[str, list[str]] = {}
        for code in locales:
            lacking = [n for n in present if not self.has(n, code)]
            if lacking:
                out[code] = lacking
        return out

    def as_dict(self) -> Texts:
        return {code: dict(values) for code, values in self.texts.items()}


def parse_translations(raw: Any, names: Sequence[str], field_name: str = "translations") -> dict[str, Any]:
    """Check a ``translations`` payload: ``{locale: {field: text | null} | null}``.

    Returns it cleaned (texts as strings, unknown fields refused) without applying it.
    """
    if not isinstance(raw, Mapping):
        raise DomainError(ErrorCode.VALUE_INVALID, field=field_name)
    if len(raw) > MAX_LOCALES:
        raise DomainError(ErrorCode.VALUE_INVALID, field=field_name)
    out: dict[str, Any] = {}
    for code, values in raw.items():
        validate_locale(code, field_name)
        if values is None:
            out[code] = None
            continue
        if not isinstance(values, Mapping):
            raise DomainError(ErrorCode.VALUE_INVALID, field=f"{field_name}.{code}")
        cleaned: dict[str, str | None] = {}
        for key, text in values.items():
            if key not in names:
                raise DomainError(ErrorCode.VALUE_INVALID, field=f"{field_name}.{code}.{key}")
            if text is not None and not isinstance(text, str):
                raise DomainError(ErrorCode.VALUE_INVALID, field=f"{field_name}.{code}.{key}")
            cleaned[key] = text
        out[code] = cleaned
    return out


def merge_translations(stored: Any, changes: Mapping[str, Any], source: str) -> Texts | None:
    """Stored translations (never the source locale) with ``changes`` applied; None when empty."""
    merged: Texts = {
        code: dict(values)
        for code, values in (stored or {}).items()
        if code != source and isinstance(values, Mapping)
    }
    for code, values in changes.items():
        if code == source:
            continue
        if values is None:
            merged.pop(code, None)
            continue
        target = merged.setdefault(code, {})
        for key, text in values.items():
            if text:
                target[key] = text
            else:
                target.pop(key, None)
        if not target:
            merged.pop(code)
    return merged or None
