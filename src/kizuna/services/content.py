"""Use cases for what hangs off a challenge: flags, hints, tags, topics and files.

Files are stored under ``<upload_dir>/<32 hex>/<name>`` (CTFd's location format, so ctfcli's sync
compares them by name and SHA-1); the random directory keeps names from colliding and from being
guessed. Names are reduced to a safe basename: no path can escape the upload directory.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from pathlib import Path
from typing import Any

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.domain.events import Audience
from kizuna.domain.flags import validate_flag
from kizuna.services.challenges import remove_stored_file
from kizuna.services.context import Context
from kizuna.services.translations import HINT_TEXT, apply_text, take_pending_hint
from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.storage.db import CHALLENGES, SCOREBOARD

MAX_FILE_BYTES = 256 * 1024 * 1024


def _challenge(s: Any, challenge_id: Any) -> t.Challenge:
    try:
        cid = int(challenge_id)
    except (TypeError, ValueError):
        raise DomainError(ErrorCode.VALUE_INVALID, field="challenge_id") from None
    ch = s.get(t.Challenge, cid)
    if ch is None:
        raise DomainError(ErrorCode.VALUE_INVALID, field="challenge_id")
    return ch


def _get(s: Any, table: Any, row_id: int) -> Any:
    row = s.get(table, row_id)
    if row is None:
        raise NotFound()
    return row


# --- flags ----------------------------------------------------------------------------------------


def create_flag(ctx: Context, challenge_id: Any, type_: str, content: str, data: str | None = "") -> t.Flag:
    spec = validate_flag(type_ or "static", content or "", data)
    with ctx.write() as uow:
        s = uow.session
        ch = _challenge(s, challenge_id)
        flag = t.Flag(challenge_id=ch.id, type=spec.type, content=spec.content, data=spec.data)
        s.add(flag)
        s.flush()
    return flag


def update_flag(ctx: Context, flag_id: int, changes: dict[str, Any]) -> t.Flag:
    with ctx.write() as uow:
        s = uow.session
        flag = _get(s, t.Flag, flag_id)
        spec = validate_flag(
            str(changes.get("type", flag.type)),
            str(changes.get("content", flag.content)),
            changes.get("data", flag.data),
        )
        flag.type, flag.content, flag.data = spec.type, spec.content, spec.data
    return flag


def delete_flag(ctx: Context, flag_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        s.delete(_get(s, t.Flag, flag_id))


# --- hints ----------------------------------------------------------------------------------------


def _hint_requirements(s: Any, raw: Any) -> dict[str, Any] | None:
    if raw in (None, "", {}):
        return None
    if isinstance(raw, list):
        raw = {"prerequisites": raw}
    if not isinstance(raw, dict):
        raise DomainError(ErrorCode.VALUE_INVALID, field="requirements")
    ids = []
    for item in raw.get("prerequisites") or []:
        try:
            hid = int(item)
        except (TypeError, ValueError):
            raise DomainError(ErrorCode.VALUE_INVALID, field="requirements") from None
        if s.get(t.Hint, hid) is None:
            raise DomainError(ErrorCode.VALUE_INVALID, field="requirements")
        ids.append(hid)
    return {"prerequisites": ids}


def _cost(raw: Any) -> int:
    try:
        cost = int(raw or 0)
    except (TypeError, ValueError):
        raise DomainError(ErrorCode.VALUE_INVALID, field="cost") from None
    if cost < 0:
        raise DomainError(ErrorCode.VALUE_INVALID, field="cost")
    return cost


def create_hint(
    ctx: Context,
    challenge_id: Any,
    content: str,
    cost: Any = 0,
    title: str = "",
    requirements: Any = None,
    text: dict[str, Any] | None = None,
) -> t.Hint:
    """A new hint. ``text`` may carry ``locale`` (default: the challenge's) and ``translations``;
    translations the challenge holds for the hint at this position fill the languages not given."""
    with ctx.write() as uow:
        s = uow.session
        ch = _challenge(s, challenge_id)
        hint = t.Hint(
            challenge_id=ch.id,
            type="standard",
            title=(title or "")[:200],
            content=content or "",
            cost=_cost(cost),
            requirements=_hint_requirements(s, requirements),
            locale=ch.locale or "en",
            translations=None,
        )
        index = s.query(t.Hint).filter(t.Hint.challenge_id == ch.id).count()
        pending = take_pending_hint(ch, index)
        given = dict(text or {})
        if pending:
            given["translations"] = {**pending, **(given.get("translations") or {})}
        apply_text(hint, given, HINT_TEXT)
        s.add(hint)
        s.flush()
        # Players hear of a new hint only on a challenge they can see.
        uow.emit(
            "hint_added",
            {"challenge_id": ch.id, "hint_id": hint.id},
            audience=Audience.PUBLIC if ch.state == "visible" else Audience.STAFF,
        )
    return hint


def update_hint(ctx: Context, hint_id: int, changes: dict[str, Any]) -> t.Hint:
    with ctx.write() as uow:
        s = uow.session
        hint = _get(s, t.Hint, hint_id)
        if "content" in changes:
            hint.content = str(changes["content"] or "")
        if "title" in changes:
            hint.title = str(changes["title"] or "")[:200]
        if "cost" in changes:
            hint.cost = _cost(changes["cost"])
        if "requirements" in changes:
            req = _hint_requirements(s, changes["requirements"])
            if req and hint.id in req["prerequisites"]:
                raise DomainError(ErrorCode.VALUE_INVALID, field="requirements")
            hint.requirements = req
        apply_text(hint, changes, HINT_TEXT)
    return hint


def delete_hint(ctx: Context, hint_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        s.delete(_get(s, t.Hint, hint_id))


# --- tags and topics -------------------------------------------------------------------------------


def create_tag(ctx: Context, challenge_id: Any, value: str) -> t.Tag:
    value = (value or "").strip()
    if not value:
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="value")
    with ctx.write() as uow:
        s = uow.session
        ch = _challenge(s, challenge_id)
        tag = t.Tag(challenge_id=ch.id, value=value[:100])
        s.add(tag)
        s.flush()
        uow.bump(CHALLENGES)
    return tag


def update_tag(ctx: Context, tag_id: int, value: str) -> t.Tag:
    value = (value or "").strip()
    if not value:
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="value")
    with ctx.write() as uow:
        s = uow.session
        tag = _get(s, t.Tag, tag_id)
        tag.value = value[:100]
        uow.bump(CHALLENGES)
    return tag


def delete_tag(ctx: Context, tag_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        s.delete(_get(s, t.Tag, tag_id))
        uow.bump(CHALLENGES)


def add_topic(ctx: Context, challenge_id: Any, value: str) -> t.ChallengeTopic:
    """Link a topic to a challenge, creating the topic when no topic has that value yet."""
    value = (value or "").strip()
    if not value:
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="value")
    with ctx.write() as uow:
        s = uow.session
        ch = _challenge(s, challenge_id)
        topic = s.query(t.Topic).filter(t.Topic.value == value[:200]).one_or_none()
        if topic is None:
            topic = t.Topic(value=value[:200])
            s.add(topic)
            s.flush()
        link = t.ChallengeTopic(challenge_id=ch.id, topic_id=topic.id)
        s.add(link)
        s.flush()
        link.topic = topic
    return link


def delete_topic_link(ctx: Context, link_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        s.delete(_get(s, t.ChallengeTopic, link_id))


def delete_topic(ctx: Context, topic_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        s.delete(_get(s, t.Topic, topic_id))


# --- files ----------------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^\w.\-+ ()\[\]]", re.UNICODE)


def safe_filename(name: str) -> str:
    base = unicodedata.normalize("NFC", os.path.basename((name or "").replace("\\", "/"))).strip()
    base = _UNSAFE.sub("_", base).lstrip(".")
    return base[:200] or "file"


def store_file(ctx: Context, filename: str, content: bytes, type_: str = "challenge") -> t.File:
    """Write ``content`` to a new location in the upload directory and return its ``File`` row, not
    yet in any session: the caller adds it, and removes the stored file if that does not commit."""
    if len(content) > MAX_FILE_BYTES:
        raise DomainError(ErrorCode.VALUE_INVALID, field="file")
    location = f"{secrets.token_hex(16)}/{safe_filename(filename)}"
    path = Path(ctx.upload_dir) / location
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return t.File(
        type=type_ or "challenge",
        location=location,
        sha1sum=hashlib.sha1(content, usedforsecurity=False).hexdigest(),
        size=len(content),
    )


def save_file(
    ctx: Context, challenge_id: Any, filename: str, content: bytes, type_: str = "challenge"
) -> t.File:
    row = store_file(ctx, filename, content, type_)
    try:
        with ctx.write() as uow:
            s = uow.session
            row.challenge_id = _challenge(s, challenge_id).id if challenge_id not in (None, "") else None
            s.add(row)
            s.flush()
    except BaseException:
        # Nothing in the database points at it: do not leave an orphan on disk.
        remove_stored_file(ctx, row.location)
        raise
    return row


def delete_file(ctx: Context, file_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        row = _get(s, t.File, file_id)
        location = row.location
        s.delete(row)
    remove_stored_file(ctx, location)


def file_path(ctx: Context, location: str) -> Path | None:
    """The stored file for a location, never a path outside the upload directory."""
    root = Path(ctx.upload_dir).resolve()
    candidate = (root / location).resolve()
    if root not in candidate.parents or not candidate.is_file():
        return None
    return candidate


def file_by_location(ctx: Context, location: str) -> t.File | None:
    with ctx.db.read() as s:
        return s.query(t.File).filter(t.File.location == location).one_or_none()


def recount(ctx: Context) -> None:
    """Mark every read view stale (after bulk imports)."""
    with ctx.write() as uow:
        s = uow.session
        repo.event(s)
        uow.bump(CHALLENGES, SCOREBOARD)


# --- solutions (write-ups) -------------------------------------------------------------------------

SOLUTION_STATES = ("hidden", "visible", "solved")


def _solution_state(raw: Any) -> str:
    state = str(raw or "hidden")
    if state not in SOLUTION_STATES:
        raise DomainError(ErrorCode.VALUE_INVALID, field="state")
    return state


def create_solution(
    ctx: Context, challenge_id: Any, content_text: str = "", state: Any = "hidden"
) -> t.Solution:
    with ctx.write() as uow:
        s = uow.session
        ch = _challenge(s, challenge_id)
        if s.query(t.Solution).filter(t.Solution.challenge_id == ch.id).one_or_none() is not None:
            raise DomainError(ErrorCode.VALUE_INVALID, field="challenge_id")
        row = t.Solution(challenge_id=ch.id, content=content_text or "", state=_solution_state(state))
        s.add(row)
        s.flush()
    return row


def update_solution(ctx: Context, solution_id: int, changes: dict[str, Any]) -> t.Solution:
    with ctx.write() as uow:
        s = uow.session
        row = _get(s, t.Solution, solution_id)
        if "content" in changes:
            row.content = str(changes["content"] or "")
        if "state" in changes:
            row.state = _solution_state(changes["state"])
    return row


def delete_solution(ctx: Context, solution_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        s.delete(_get(s, t.Solution, solution_id))
