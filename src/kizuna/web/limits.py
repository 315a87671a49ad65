"""Request bodies bounded before they are buffered, and JSON checked before any route reads it.

``BodyLimitMiddleware`` sits inside the locale middleware, so its answers are in the caller's language:

- A ``Content-Length`` above the route's limit is answered ``413`` at once; the body is never read.
- A body without a length (chunked) or one that lies about it is counted as it arrives; the read that
  crosses the limit raises ``BodyTooLarge`` (a 413), so the route stops and at most ``limit`` bytes
  plus one chunk were ever held.
- JSON bodies (bounded by then) are parsed once here and refused with ``400`` when a route could not
  store or compare what they hold: ``NaN``/``Infinity``, numbers beyond 64 bits, NUL characters,
  unpaired surrogates, or nesting deeper than ``MAX_JSON_DEPTH``. Malformed JSON is left to the route
  (which answers its own 400).

JSON and form routes get ``Settings.max_body_bytes``; the routes that take file uploads
(``UPLOAD_ROUTES``) get ``Settings.max_upload_bytes``; a multipart answer to a challenge (with a
file for a judge, ``ANSWER_ROUTES``) gets room for ``Settings.answer_file_bytes`` and its form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

MAX_JSON_DEPTH = 32
INT64_MAX = 2**63 - 1
# POST routes that take multipart file uploads (challenge attachments), with the larger limit.
UPLOAD_ROUTES = (
    re.compile(r"^/api/v1/files/?$"),
    re.compile(r"^/admin/challenges/[^/]+/files/?$"),
)
# Attempts that may carry a file for a judge (multipart only; JSON attempts keep the body limit).
ANSWER_ROUTES = (
    re.compile(r"^/api/v1/challenges/attempt/?$"),
    re.compile(r"^/challenges/[0-9]+/attempt/?$"),
)
ANSWER_FORM_ROOM = 64 * 1024  # the answer's text and the multipart framing beside the file
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


class BodyTooLarge(HTTPException):
    """The body is larger than ``limit`` bytes (answered 413 in the caller's language)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413)
        self.limit = limit


class BadInput(ValueError):
    """A JSON body a route cannot store or compare (answered 400)."""


def limit_for(
    method: str, path: str, max_body: int, max_upload: int, max_answer: int = 0, multipart: bool = False
) -> int:
    if method == "POST" and any(p.match(path) for p in UPLOAD_ROUTES):
        return max_upload
    if method == "POST" and multipart and any(p.match(path) for p in ANSWER_ROUTES):
        return max(max_body, max_answer + ANSWER_FORM_ROOM)
    return max_body


def _refuse_constant(name: str) -> Any:
    raise BadInput(name)


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):  # 1e400 overflows to infinity
        raise BadInput(text[:20])
    return value


def _parse_int(text: str) -> int:
    value = int(text)
    if not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise BadInput("integer beyond 64 bits")
    return value


def check_json(raw: bytes) -> None:
    """Raise ``BadInput`` when ``raw`` is JSON a route could not safely use; return when it is fine
    or not JSON at all (then the route answers its own 400)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput("not UTF-8") from None
    try:
        data = json.loads(
            text, parse_constant=_refuse_constant, parse_float=_parse_float, parse_int=_parse_int
        )
    except RecursionError:
        raise BadInput("nesting") from None
    except BadInput:
        raise
    except ValueError:
        return
    # Walk without recursion: (value, depth).
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _BAD_CHARS.search(value):
                raise BadInput("character")
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise BadInput("nesting")
            if isinstance(value, dict):
                for key, item in value.items():
                    if _BAD_CHARS.search(key):
                        raise BadInput("character")
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            ctype = value.split(b";", 1)[0].strip().lower()
            return ctype == b"application/json" or ctype.endswith(b"+json")
    return False


def _is_multipart(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == b"multipart/form-data"
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body: int, max_upload: int, max_answer: int = 0) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.max_answer = max_answer

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(
            scope.get("method", ""),
            scope.get("path", ""),
            self.max_body,
            self.max_upload,
            self.max_answer,
            _is_multipart(scope),
        )
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._answer(scope, send, BodyTooLarge(limit))
            return

        state = {"received": 0, "exceeded": False, "started": False}

        async def counted() -> Message:
            message: Message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["exceeded"] = True
                    raise BodyTooLarge(limit)
            return message

        app_receive: Any = counted
        if _is_json(scope) and declared != 0:
            chunks: list[bytes] = []
            try:
                while True:
                    message = await counted()
                    if message["type"] != "http.request":
                        break
                    chunks.append(message.get("body", b""))
                    if not message.get("more_body", False):
                        break
            except BodyTooLarge as exc:
                await self._answer(scope, send, exc)
                return
            raw = b"".join(chunks)
            try:
                check_json(raw)
            except BadInput:
                await self._answer(scope, send, None)
                return
            replayed = {"done": False}

            async def replay() -> Message:
                if not replayed["done"]:
                    replayed["done"] = True
                    return {"type": "http.request", "body": raw, "more_body": False}
                return await receive()  # type: ignore[no-any-return]

            app_receive = replay

        async def guarded_send(message: Message) -> None:
            if state["exceeded"] and not state["started"]:
                # The route turned the cut-off body into some other answer (a parse error, say):
                # the 413 below replaces it.
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, app_receive, guarded_send)
        except BodyTooLarge as exc:
            if not state["started"]:
                await self._answer(scope, send, exc)
            return
        if state["exceeded"] and not state["started"]:
            await self._answer(scope, send, BodyTooLarge(limit))

    async def _answer(self, scope: Scope, send: Any, exc: BodyTooLarge | None) -> None:
        from starlette.requests import Request

        from kizuna.web.errors import input_error_response

        request = Request(scope)
        response = input_error_response(request, exc)
        # The body was not read (or only in part): ask the client not to reuse the connection.
        response.headers["Connection"] = "close"
        await response(scope, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}
