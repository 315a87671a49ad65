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
from kizuna.services.challenges import audit_change, remove_stored_file
from kizuna.services.context import Context
from kizuna.services.translations import HINT_TEXT, apply_text, take_pending_hint
from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.storage.db import CHALLENGES, SCOREBOARD
from kizuna.storage.private import private_dir, write_private

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
        uow.audit(None, "flag.created", "flag", flag.id, after=_flag_values(flag))
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
        old_content = flag.content
        before = _flag_values(flag)
        flag.type, flag.content, flag.data = spec.type, spec.content, spec.data
        after = _flag_values(flag)
        changed = [key for key in after if before[key] != after[key]]
        if spec.content != old_content:
            changed.append("content_changed")
        if changed:
            before = {k: v for k, v in before.items() if k in changed}
            after = {k: v for k, v in after.items() if k in changed}
            if "content_changed" in changed:
                after["content_changed"] = True
            uow.audit(None, "flag.updated", "flag", flag.id, before=before, after=after)
    return flag


def delete_flag(ctx: Context, flag_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        flag = _get(s, t.Flag, flag_id)
        uow.audit(None, "flag.deleted", "flag", flag.id, before=_flag_values(flag))
        s.delete(flag)


def _flag_values(flag: t.Flag) -> dict[str, Any]:
    """What the audit trail records of a flag: never its content (the answer), only its kind."""
    return {"challenge_id": flag.challenge_id, "type": flag.type, "data": flag.data}


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
        uow.audit(None, "hint.created", "hint", hint.id, after=_hint_values(hint))
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
        before = _hint_values(hint)
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
        audit_change(uow, "hint.updated", "hint", hint.id, before, _hint_values(hint))
    return hint


def delete_hint(ctx: Context, hint_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        hint = _get(s, t.Hint, hint_id)
        uow.audit(None, "hint.deleted", "hint", hint.id, before=_hint_values(hint))
        s.delete(hint)


def _hint_values(hint: t.Hint) -> dict[str, Any]:
    return {
        "challenge_id": hint.challenge_id,
        "title": hint.title,
        "content": hint.content,
        "cost": hint.cost,
        "requirements": hint.requirements,
        "locale": hint.locale,
        "translations": hint.translations,
    }


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
        uow.audit(None, "tag.created", "tag", tag.id, after={"challenge_id": ch.id, "value": tag.value})
    return tag


def update_tag(ctx: Context, tag_id: int, value: str) -> t.Tag:
    value = (value or "").strip()
    if not value:
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="value")
    with ctx.write() as uow:
        s = uow.session
        tag = _get(s, t.Tag, tag_id)
        before = {"challenge_id": tag.challenge_id, "value": tag.value}
        tag.value = value[:100]
        uow.bump(CHALLENGES)
        audit_change(uow, "tag.updated", "tag", tag.id, before, {**before, "value": tag.value})
    return tag


def delete_tag(ctx: Context, tag_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        tag = _get(s, t.Tag, tag_id)
        uow.audit(
            None, "tag.deleted", "tag", tag.id, before={"challenge_id": tag.challenge_id, "value": tag.value}
        )
        s.delete(tag)
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
        uow.audit(
            None,
            "topic.linked",
            "challenge_topic",
            link.id,
            after={"challenge_id": ch.id, "topic_id": topic.id, "value": topic.value},
        )
    return link


def delete_topic_link(ctx: Context, link_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        link = _get(s, t.ChallengeTopic, link_id)
        topic = s.get(t.Topic, link.topic_id)
        uow.audit(
            None,
            "topic.unlinked",
            "challenge_topic",
            link.id,
            before={
                "challenge_id": link.challenge_id,
                "topic_id": link.topic_id,
                "value": topic.value if topic is not None else "",
            },
        )
        s.delete(link)


def delete_topic(ctx: Context, topic_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        topic = _get(s, t.Topic, topic_id)
        uow.audit(None, "topic.deleted", "topic", topic.id, before={"value": topic.value})
        s.delete(topic)


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
    private_dir(path.parent.parent)  # the upload directory, owner-only (0700) when created here
    private_dir(path.parent)
    write_private(path, content)
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
            uow.audit(None, "file.uploaded", "file", row.id, after=_file_values(row))
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
        uow.audit(None, "file.deleted", "file", row.id, before=_file_values(row))
        s.delete(row)
    remove_stored_file(ctx, location)


def _file_values(row: t.File) -> dict[str, Any]:
    """A file as the audit trail records it: its name and checksum, never its bytes."""
    return {
        "challenge_id": row.challenge_id,
        "type": row.type,
        "name": row.location.rsplit("/", 1)[-1],
        "sha1sum": row.sha1sum,
        "size": row.size,
    }


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
        uow.audit(None, "solution.created", "solution", row.id, after=_solution_values(row))
    return row


def update_solution(ctx: Context, solution_id: int, changes: dict[str, Any]) -> t.Solution:
    with ctx.write() as uow:
        s = uow.session
        row = _get(s, t.Solution, solution_id)
        before = _solution_values(row)
        if "content" in changes:
            row.content = str(changes["content"] or "")
        if "state" in changes:
            row.state = _solution_state(changes["state"])
        audit_change(uow, "solution.updated", "solution", row.id, before, _solution_values(row))
    return row


def delete_solution(ctx: Context, solution_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        row = _get(s, t.Solution, solution_id)
        uow.audit(None, "solution.deleted", "solution", row.id, before=_solution_values(row))
        s.delete(row)


def _solution_values(row: t.Solution) -> dict[str, Any]:
    return {"challenge_id": row.challenge_id, "state": row.state, "content": row.content}
