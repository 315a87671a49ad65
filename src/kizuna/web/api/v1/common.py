"""Helpers shared by the API modules: the success envelope, body parsing, shapes of common rows."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.storage import tables as t
from kizuna.web.snapshots import iso

_NO_DATA = object()


def ok(data: Any = _NO_DATA, status: int = 200, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"success": True}
    if data is not _NO_DATA:
        body["data"] = data
    body.update(extra)
    return JSONResponse(body, status_code=status)


def done() -> JSONResponse:
    """What CTFd's delete endpoints answer."""
    return JSONResponse({"success": True})


def cached(request: Request, body: bytes, etag: str) -> Response:
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type="application/json", headers={"ETag": etag, "Cache-Control": "no-cache"})


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


def challenge_admin_shape(ch: t.Challenge) -> dict[str, Any]:
    decaying = ch.function != "static"
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


def hint_shape(h: t.Hint, with_content: bool, html: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": h.id,
        "challenge_id": h.challenge_id,
        "challenge": h.challenge_id,
        "type": h.type,
        "title": h.title,
        "cost": h.cost,
        "requirements": h.requirements,
    }
    if with_content:
        out["content"] = h.content
        out["html"] = html if html is not None else ""
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
}
