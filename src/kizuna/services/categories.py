"""Category display names: what players read for a category in each language.

Challenges store their category as one word (``web``); the ``categories`` table gives it a name per
language (``{"ja": {"name": "ウェブ"}}``). In the category's own language (``locale``) the display name
is the category itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.domain.events import Audience
from kizuna.domain.text import validate_locale
from kizuna.services.context import Context
from kizuna.services.translations import set_category_names
from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.storage.db import CHALLENGES

MAX_DISPLAY_NAME = 100


def rename_category_display(ctx: Context, category: str, names: Mapping[str, str]) -> t.Category:
    """Set the display names of a category used by challenges, per locale ("" removes one).

    A category without a row yet takes the language of its first challenge as its own. The challenge
    board is rebuilt, since it shows these names."""
    cleaned: dict[str, str] = {}
    for code, name in names.items():
        validate_locale(code, "translations")
        text = (name or "").strip()
        if len(text) > MAX_DISPLAY_NAME:
            raise DomainError(ErrorCode.VALUE_INVALID, field=f"translations.{code}.name")
        cleaned[code] = text
    with ctx.write() as uow:
        s = uow.session
        users = s.query(t.Challenge).filter(t.Challenge.category == category).order_by(t.Challenge.id).all()
        if not category or not users:
            raise NotFound()
        existing = s.get(t.Category, category)
        source = existing.locale if existing is not None else users[0].locale or repo.event(s).default_locale
        row = set_category_names(s, category, source or "en", cleaned)
        uow.bump(CHALLENGES)
        for ch in users:
            uow.emit("challenge_changed", {"challenge_id": ch.id}, audience=Audience.STAFF)
        uow.audit(None, "category.renamed", "category", category, after={"names": cleaned})
    return row
