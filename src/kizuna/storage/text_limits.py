"""Every row written is checked against the text limits before it reaches the database.

One check at flush time covers every way in — API, pages, ``challenge.yml`` import, the command
line: a text column longer than ``kizuna.domain.limits.TEXT_LIMITS`` allows, or a ``String(n)`` column
longer than ``n`` (which PostgreSQL would refuse with a bare error and SQLite would keep), and every
language's text in ``translations``, is refused with ``TEXT_TOO_LONG`` naming the field, and the
transaction is rolled back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, event
from sqlalchemy.orm import Session, sessionmaker

from kizuna.domain.limits import TEXT_LIMITS, check_text
from kizuna.storage.tables import Base

_cache: dict[str, dict[str, int]] = {}


def _limits(table: Any) -> dict[str, int]:
    """Column name → most characters, for one table (from TEXT_LIMITS and the String widths)."""
    found = _cache.get(table.name)
    if found is None:
        found = {}
        for column in table.columns:
            if isinstance(column.type, String) and column.type.length:
                found[column.key] = column.type.length
        for (name, field), limit in TEXT_LIMITS.items():
            if name == table.name:
                found[field] = limit
        _cache[table.name] = found
    return found


def _hint_limits() -> dict[str, int]:
    return _limits(Base.metadata.tables["hints"])


def check_row(row: Any) -> None:
    table = getattr(row, "__table__", None)
    if table is None:
        return
    limits = _limits(table)
    for key, limit in limits.items():
        check_text(key, getattr(row, key, None), limit)
    translations = getattr(row, "translations", None) if "translations" in table.columns else None
    if not isinstance(translations, dict):
        return
    for code, fields in translations.items():
        if not isinstance(fields, dict):
            continue
        for key, value in fields.items():
            where = f"translations.{code}.{key}"
            if key in limits:
                check_text(where, value, limits[key])
            elif key == "hints" and isinstance(value, list):
                # Hint texts waiting on a challenge by position (kizuna.services.translations).
                for i, item in enumerate(value):
                    if isinstance(item, dict):
                        for hint_key, limit in _hint_limits().items():
                            check_text(f"{where}.{i}.{hint_key}", item.get(hint_key), limit)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for row in list(session.new) + list(session.dirty):
        check_row(row)


def install(sessions: sessionmaker[Session]) -> None:
    event.listen(sessions, "before_flush", _before_flush)
