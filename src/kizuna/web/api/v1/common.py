"""Helpers shared by the API modules: the success envelope, body parsing, shapes of common rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.policy import Action, roles_with
from kizuna.domain.schedule import schedule_state
from kizuna.domain.text import LocalizedText
from kizuna.markdown import render_markdown
from kizuna.services.translations import CHALLENGE_TEXT, HINT_TEXT
from kizuna.storage import tables as t
from kizuna.web.content import localized, resolve
from kizuna.web.snapshots import iso

_NO_DATA = object()


class FastJSONResponse(JSONResponse):
    """The same compact UTF-8 JSON as Starlette's, by orjson (several times faster on big lists)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def ok(data: Any = _NO_DATA, status: int = 200, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"success": True}
    if data is not _NO_DATA:
        body["data"] = data
    body.update(extra)
    return FastJSONResponse(body, status_code=status)


def roles(action: Action) -> str:
    """The roles allowed ``action``, for a route's summary: "(admin, judge, author)"."""
    return "(" + ", ".join(roles_with(action)) + ")"


def done() -> JSONResponse:
    """What CTFd's delete endpoints answer."""
    return JSONResponse({"success": True})


def cached(request: Request, snap: Any) -> Response:
    """A snapshot's stored body (gzip-encoded when the client accepts it), or 304 for its ETag."""
    body, etag, gzipped = snap.representation(request.headers.get("accept-encoding"))
    vary = {"Vary": "Accept-Encoding"} if snap.gzipped else {}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag, **vary})
    headers = {"ETag": etag, "Cache-Control": "no-cache", **vary}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/json", headers=headers)


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; form bodies are accepted too (CTFd's admin forms send them)."""
    ctype = request.headers.get("content-type", "")
    raw = await request.body()
    if not raw:
        return {}
    if "application/json" in ctype or not ctype:
        try:
            data = json.loads(raw)
        except ValueError:
            raise DomainError(ErrorCode.VALUE_INVALID, field="") from None
        if not isinstance(data, dict):
            raise DomainError(ErrorCode.VALUE_INVALID, field="")
        return data
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def int_param(data: dict[str, Any], key: str, required: bool = True) -> int | None:
    raw = data.get(key)
    if raw in (None, ""):
        if required:
            raise DomainError(ErrorCode.FIELD_REQUIRED, field=key)
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise DomainError(ErrorCode.VALUE_INVALID, field=key) from None


def localized_fields(
    text: LocalizedText, names: Sequence[str], order: Sequence[str], keep: Sequence[str] | None = None
) -> dict[str, Any]:
    """The reader's-language value of each of ``names`` plus ``translations`` (every language's text
    of the fields in ``keep``, default all) and ``locale`` (the item's own language)."""
    kept = names if keep is None else keep
    out: dict[str, Any] = {name: resolve(text, name, order) for name in names}
    out["translations"] = {
        code: {k: v for k, v in values.items() if k in kept}
        for code, values in text.as_dict().items()
        if any(k in kept for k in values)
    }
    out["locale"] = text.source
    return out


def stored_translations(
    text: LocalizedText, extra: dict[str, dict[str, str]] | None = None
) -> dict[str, Any]:
    """``translations`` for admin views: every language's stored text, plus ``extra`` fields."""
    out = text.as_dict()
    for code, values in (extra or {}).items():
        out.setdefault(code, {}).update(values)
    return out


def challenge_admin_shape(
    ch: t.Challenge, category_names: dict[str, str] | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """A challenge as stored (name and description in its own language, ``locale``), with every
    language's text in ``translations`` (and the category's display names when given).

    Its schedule: ``scheduled_at`` (CTFd master's and ctfcli's name) and ``release_at`` are the
    release time, ``close_at`` the close time (ISO 8601, UTC), and ``schedule_state`` ("scheduled",
    "open" or "closed" at ``now``) says whether players see it yet, beside CTFd's ``state``."""
    decaying = ch.function != "static"
    released = iso(ch.release_at)
    extra = {code: {"category": name} for code, name in (category_names or {}).items()}
    return {
        "id": ch.id,
        "name": ch.name,
        "value": ch.value,
        "description": ch.description,
        "attribution": ch.attribution,
        "connection_info": ch.connection_info,
        "next_id": ch.next_id,
        "category": ch.category,
        "state": ch.state,
        "max_attempts": ch.max_attempts,
        "position": ch.position,
        "logic": ch.logic,
        "initial": ch.initial if decaying else None,
        "decay": ch.decay if decaying else None,
        "minimum": ch.minimum if decaying else None,
        "function": ch.function,
        "type": ch.type,
        "requirements": ch.requirements,
        "scheduled_at": released,
        "release_at": released,
        "close_at": iso(ch.close_at),
        "schedule_state": schedule_state(ch.release_at, ch.close_at, now or t.utcnow()),
        # Kizuna's own: a practice challenge is played for learning and never on the event's board.
        "practice": bool(ch.practice),
        "locale": ch.locale,
        "translations": stored_translations(localized(ch, CHALLENGE_TEXT), extra),
        "type_data": {
            "id": ch.type,
            "name": ch.type,
            "templates": {"create": "", "update": "", "view": ""},
            "scripts": {"create": "", "update": "", "view": ""},
        },
    }


def flag_shape(f: t.Flag) -> dict[str, Any]:
    return {
        "id": f.id,
        "challenge_id": f.challenge_id,
        "challenge": f.challenge_id,
        "type": f.type,
        "content": f.content,
        "data": f.data,
    }


def tag_shape(tag: t.Tag) -> dict[str, Any]:
    return {"id": tag.id, "challenge_id": tag.challenge_id, "challenge": tag.challenge_id, "value": tag.value}


def file_shape(f: t.File) -> dict[str, Any]:
    return {
        "id": f.id,
        "type": f.type,
        "location": f.location,
        "sha1sum": f.sha1sum,
        "challenge_id": f.challenge_id,
        "challenge": f.challenge_id,
    }


def hint_shape(h: t.Hint, with_content: bool, order: Sequence[str] | None = None) -> dict[str, Any]:
    """A hint. With ``order`` (a player's view) title and content are in the reader's language and
    ``translations`` holds only what the reader may see; without it, as stored (admin views)."""
    text = localized(h, HINT_TEXT)
    out: dict[str, Any] = {
        "id": h.id,
        "challenge_id": h.challenge_id,
        "challenge": h.challenge_id,
        "type": h.type,
        "title": h.title,
        "cost": h.cost,
        "requirements": h.requirements,
    }
    if order is None:
        out.update(content=h.content, locale=h.locale, translations=stored_translations(text))
    else:
        keep = HINT_TEXT if with_content else ("title",)
        out.update(localized_fields(text, keep, order, keep))
    if with_content:
        out["html"] = render_markdown(out["content"])
    else:
        out.pop("content", None)
    return out


def when(dt: Any) -> str | None:
    return iso(dt)


def json_request(properties: dict[str, str], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """``openapi_extra`` describing a JSON request body, for handlers that read the body themselves
    (to accept CTFd's loosely typed payloads). ``properties`` maps field names to JSON types."""
    schema = {
        "type": "object",
        "properties": {name: {"type": kind} for name, kind in properties.items()},
        "required": list(required),
        "additionalProperties": True,
    }
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


CHALLENGE_FIELDS = {
    "name": "string",
    "category": "string",
    "description": "string",
    "attribution": "string",
    "connection_info": "string",
    "value": "integer",
    "type": "string",
    "state": "string",
    "max_attempts": "integer",
    "position": "integer",
    "logic": "string",
    "function": "string",
    "initial": "integer",
    "minimum": "integer",
    "decay": "integer",
    "next_id": "integer",
    "requirements": "object",
    "scheduled_at": "string",
    "release_at": "string",
    "close_at": "string",
    "practice": "boolean",
    "locale": "string",
    "translations": "object",
}
