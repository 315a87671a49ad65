"""Brackets (部門): divisions of the event, each with its own ranks, in CTFd's shape.

A bracket has a name and a description (organiser text: its own ``locale`` and ``translations``,
resolved like every other) and a ``type``: ``teams`` groups teams, ``users`` groups users. In team
mode the board ranks teams, so a team's bracket decides its board; in individual mode a user's does
(a user's own bracket is still listed beside them among a team's members). An account may be in at
most one bracket (``bracket_id``, null for none), and only in one of its own kind
(``BRACKET_INVALID`` otherwise). Players (and captains) choose theirs once; changing it is the
organisers' (``check_own_choice``). Deleting a bracket leaves its accounts in none (``ON DELETE SET
NULL``). Every write bumps the scoreboard revision, because the board carries ``bracket_name``, and
is audited (``bracket.created`` / ``updated`` / ``deleted``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.services.challenges import audit_change
from kizuna.services.context import Context
from kizuna.services.translations import apply_text
from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.storage.db import SCOREBOARD

BRACKET_TEXT = ("name", "description")
TYPES = ("users", "teams")
MAX_NAME = 255
MAX_DESCRIPTION = 2000
FIELDS = ("name", "description", "type", "locale", "translations")


def validate_type(raw: Any) -> str:
    if not isinstance(raw, str) or raw.strip().lower() not in TYPES:
        raise DomainError(ErrorCode.VALUE_INVALID, field="type")
    return raw.strip().lower()


def _check_length(value: str, field: str, limit: int) -> None:
    if len(value) > limit:
        raise DomainError(ErrorCode.TEXT_TOO_LONG, field=field, name=field, max=limit, size=len(value))


def _apply(bracket: t.Bracket, data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - set(FIELDS) - {"id"})
    if unknown:
        raise DomainError(ErrorCode.VALUE_INVALID, field=unknown[0])
    if "type" in data:
        bracket.type = validate_type(data["type"])
    # A new ``locale`` first, so a plain ``name`` in the same payload is in that language.
    apply_text(bracket, {"locale": data.get("locale")}, BRACKET_TEXT)
    for key in ("name", "description"):
        if key in data:
            value = data[key]
            if value is not None and not isinstance(value, str):
                raise DomainError(ErrorCode.VALUE_INVALID, field=key)
            setattr(bracket, key, (value or "").strip() if key == "name" else (value or ""))
    apply_text(bracket, {"translations": data.get("translations")}, BRACKET_TEXT, required=("name",))
    if not bracket.name:
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="name")
    _check_length(bracket.name, "name", MAX_NAME)
    _check_length(bracket.description, "description", MAX_DESCRIPTION)
    for code, values in (bracket.translations or {}).items():
        if isinstance(values, dict):
            _check_length(str(values.get("name") or ""), f"translations.{code}.name", MAX_NAME)
            _check_length(
                str(values.get("description") or ""), f"translations.{code}.description", MAX_DESCRIPTION
            )


def _values(bracket: t.Bracket) -> dict[str, Any]:
    return {
        "name": bracket.name,
        "description": bracket.description,
        "type": bracket.type,
        "locale": bracket.locale,
        "translations": bracket.translations,
    }


def create_bracket(ctx: Context, data: Mapping[str, Any]) -> t.Bracket:
    """A new bracket: ``name`` (or a translation) required; ``type`` defaults to the event's mode."""
    with ctx.write() as uow:
        s = uow.session
        ev = repo.event(s)
        bracket = t.Bracket(
            name="",
            description="",
            type=ev.mode if ev.mode in TYPES else "teams",
            locale=str(data.get("locale") or "") or ev.default_locale or "en",
            translations=None,
        )
        _apply(bracket, data)
        s.add(bracket)
        s.flush()
        uow.audit(None, "bracket.created", "bracket", bracket.id, after=_values(bracket))
        uow.bump(SCOREBOARD)
    return bracket


def update_bracket(ctx: Context, bracket_id: int, data: Mapping[str, Any]) -> t.Bracket:
    """Change the fields present in ``data``; on any error nothing is changed. A new ``type`` takes
    the bracket away from the accounts of the other kind (they are then in no bracket)."""
    with ctx.write() as uow:
        s = uow.session
        bracket = s.get(t.Bracket, bracket_id)
        if bracket is None:
            raise NotFound()
        before = _values(bracket)
        _apply(bracket, data)
        after = _values(bracket)
        if after != before:
            if after["type"] != before["type"]:
                other: Any = t.User if after["type"] == "teams" else t.Team
                s.query(other).filter(other.bracket_id == bracket.id).update(
                    {other.bracket_id: None}, synchronize_session=False
                )
            audit_change(uow, "bracket.updated", "bracket", bracket.id, before, after)
            uow.bump(SCOREBOARD)
    return bracket


def delete_bracket(ctx: Context, bracket_id: int) -> None:
    """Remove a bracket; its accounts stay, in no bracket."""
    with ctx.write() as uow:
        s = uow.session
        bracket = s.get(t.Bracket, bracket_id)
        if bracket is None:
            raise NotFound()
        uow.audit(None, "bracket.deleted", "bracket", bracket_id, before=_values(bracket))
        # Said here too, not only by the foreign key: SQLite enforces it only with its pragma on.
        for table in (t.User, t.Team):
            s.query(table).filter(table.bracket_id == bracket_id).update(
                {table.bracket_id: None}, synchronize_session=False
            )
        s.delete(bracket)
        uow.bump(SCOREBOARD)


def get_bracket(ctx: Context, bracket_id: int) -> t.Bracket:
    with ctx.db.read() as s:
        row = s.get(t.Bracket, bracket_id)
    if row is None:
        raise NotFound()
    return row


def all_brackets(ctx: Context, kind: str | None = None) -> list[t.Bracket]:
    """Every bracket by id, or those of ``kind`` (``users`` or ``teams``) only."""
    with ctx.db.read() as s:
        query = s.query(t.Bracket).order_by(t.Bracket.id)
        if kind is not None:
            query = query.filter(t.Bracket.type == kind)
        return list(query)


def check_own_choice(current: int | None, chosen: int | None) -> None:
    """A player (or a team's captain) chooses their bracket once: while they have none, or the same
    one again. Changing it afterwards is the organisers' (``Action.ACCOUNT_MANAGE``), as on CTFd,
    where letting users move themselves was a reported vulnerability (CVE-2024-11716)."""
    if current is not None and chosen != current:
        raise DomainError(ErrorCode.BRACKET_LOCKED, field="bracket_id")


def check_bracket(s: Any, raw: Any, kind: str) -> int | None:
    """The bracket id an account of ``kind`` (``users`` or ``teams``) may be put in: None for none
    (null or ""), else an existing bracket of that type, or ``BRACKET_INVALID``."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise DomainError(ErrorCode.BRACKET_INVALID, field="bracket_id")
    try:
        bracket_id = int(str(raw).strip())
    except ValueError:
        raise DomainError(ErrorCode.BRACKET_INVALID, field="bracket_id") from None
    # FOR KEY SHARE (PostgreSQL): a bracket deleted at the same moment is either still there when this
    # account's write commits, or already gone here (BRACKET_INVALID), never a foreign-key error.
    in_range = -(2**31) <= bracket_id < 2**31
    bracket = s.get(t.Bracket, bracket_id, with_for_update={"key_share": True}) if in_range else None
    if bracket is None or bracket.type != kind:
        raise DomainError(ErrorCode.BRACKET_INVALID, field="bracket_id")
    return bracket.id
