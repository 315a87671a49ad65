"""Writing organiser content in several languages.

Every localised row keeps its text in its own language in the plain columns (``locale`` says which)
and the other languages in ``translations``. A create or update payload may carry ``locale`` and
``translations: {locale: {field: text}}``; an entry for the row's own locale writes the plain columns.
Changing ``locale`` swaps texts rather than losing any: the old plain text becomes that language's
translation and the new language's translation, if any, becomes the plain text.

Challenges may also carry hint translations by position (``translations.ja.hints: [...]``), because
ctfcli creates a challenge before its hints: the list is applied to the hints the challenge has now
and kept for hints created later, each entry used once by the hint created at that position.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.text import merge_translations, parse_translations, validate_locale
from kizuna.storage import tables as t

CHALLENGE_TEXT = ("name", "description")
HINT_TEXT = ("title", "content")
NOTIFICATION_TEXT = ("title", "content")
PAGE_TEXT = ("title", "content")
EVENT_TEXT = ("name", "description")
CATEGORY_TEXT = ("name",)
HINTS_KEY = "hints"


def apply_text(
    row: Any, data: Mapping[str, Any], names: Sequence[str], required: Sequence[str] = ()
) -> dict[str, Any]:
    """Apply ``locale`` and ``translations`` from ``data`` to ``row``; returns the parsed changes.

    Plain fields in ``data`` (``name``, ``description``…) are the caller's business; this only handles
    the localisation keys. ``required`` fields may not be emptied in the row's own language.
    """
    if "locale" in data and data["locale"] not in (None, ""):
        _relabel(row, validate_locale(data["locale"]), names)
    raw = data.get("translations")
    if raw is None:
        return {}
    changes = parse_translations(raw, names)
    own = changes.get(row.locale)
    if own:
        for key, text in own.items():
            value = (text or "").strip() if key in ("name", "title") else (text or "")
            if key in required and not value:
                raise DomainError(ErrorCode.FIELD_REQUIRED, field=f"translations.{row.locale}.{key}")
            setattr(row, key, value)
    row.translations = merge_translations(row.translations, changes, row.locale)
    return changes


def _relabel(row: Any, new: str, names: Sequence[str]) -> None:
    old = row.locale or "en"
    if new == old:
        return
    stored: dict[str, Any] = {k: dict(v) for k, v in (row.translations or {}).items() if isinstance(v, dict)}
    incoming = stored.pop(new, {})
    previous = {n: getattr(row, n) for n in names if getattr(row, n)}
    extra = {k: v for k, v in incoming.items() if k not in names}
    if previous:
        stored[old] = {**stored.get(old, {}), **previous}
    for n in names:
        if incoming.get(n):
            setattr(row, n, incoming[n])
    if extra:
        stored[new] = extra
    row.locale = new
    row.translations = stored or None


# --- challenges: name, description, category display names and hints by position ----------------


def split_challenge_translations(raw: Any) -> tuple[Any, dict[str, Any], dict[str, str]]:
    """(name/description translations, hint lists by locale, category names by locale)."""
    if not isinstance(raw, Mapping):
        return raw, {}, {}
    texts: dict[str, Any] = {}
    hints: dict[str, Any] = {}
    categories: dict[str, str] = {}
    for code, values in raw.items():
        if not isinstance(values, Mapping):
            texts[code] = values
            continue
        values = dict(values)
        if HINTS_KEY in values:
            hints[validate_locale(code, "translations")] = _hint_list(values.pop(HINTS_KEY), code)
        if "category" in values:
            category = values.pop("category")
            if category is not None and not isinstance(category, str):
                raise DomainError(ErrorCode.VALUE_INVALID, field=f"translations.{code}.category")
            categories[validate_locale(code, "translations")] = (category or "").strip()
        texts[code] = values
    return texts, hints, categories


def _hint_list(raw: Any, code: str) -> list[dict[str, str] | None]:
    if not isinstance(raw, list):
        raise DomainError(ErrorCode.VALUE_INVALID, field=f"translations.{code}.hints")
    out: list[dict[str, str] | None] = []
    for item in raw:
        if item is None:
            out.append(None)
        elif isinstance(item, str):
            out.append({"content": item})
        elif isinstance(item, Mapping) and all(
            k in HINT_TEXT and (v is None or isinstance(v, str)) for k, v in item.items()
        ):
            out.append({k: v for k, v in item.items() if v})
        else:
            raise DomainError(ErrorCode.VALUE_INVALID, field=f"translations.{code}.hints")
    return out


def apply_challenge_text(s: Any, ch: t.Challenge, data: Mapping[str, Any]) -> None:
    """``locale`` and ``translations`` of a challenge, with its hints and its category's names."""
    if "translations" not in data and "locale" not in data:
        return
    texts, hints, categories = split_challenge_translations(data.get("translations"))
    apply_text(ch, {**data, "translations": texts}, CHALLENGE_TEXT, required=("name",))
    if hints:
        pending = {k: dict(v) for k, v in (ch.translations or {}).items()}
        for code, items in hints.items():
            if code == ch.locale:
                continue
            pending.setdefault(code, {})[HINTS_KEY] = items
        ch.translations = pending or None
        rows = s.query(t.Hint).filter(t.Hint.challenge_id == ch.id).order_by(t.Hint.id).all()
        for index, hint in enumerate(rows):
            changes = {code: items[index] for code, items in hints.items() if index < len(items)}
            if changes:
                apply_text(hint, {"translations": changes}, HINT_TEXT)
    if categories and ch.category:
        set_category_names(s, ch.category, ch.locale, categories)


def take_pending_hint(ch: t.Challenge, index: int) -> dict[str, Any]:
    """Translations waiting on the challenge for its hint at ``index``; each is handed out once."""
    out: dict[str, Any] = {}
    stored = {k: dict(v) for k, v in (ch.translations or {}).items() if isinstance(v, dict)}
    for code, values in stored.items():
        items = values.get(HINTS_KEY)
        if isinstance(items, list) and index < len(items) and items[index]:
            out[code] = items[index]
            items = list(items)
            items[index] = None
            if any(items):
                values[HINTS_KEY] = items
            else:
                values.pop(HINTS_KEY)
    if out:
        ch.translations = {k: v for k, v in stored.items() if v} or None
    return out


def set_category_names(s: Any, category: str, source: str, names: Mapping[str, str]) -> t.Category:
    """Display names of ``category`` per locale ("" removes one)."""
    row = s.get(t.Category, category)
    if row is None:
        row = t.Category(name=category, locale=source, translations=None)
        s.add(row)
    changes = {code: {"name": text} for code, text in names.items() if code != row.locale}
    row.translations = merge_translations(row.translations, changes, row.locale)
    return row
