"""Turning failures into answers: CTFd-shaped JSON for the API, a page for the browser."""

from __future__ import annotations

import html
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DataError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.i18n import current_display, current_locale, gettext
from kizuna.web.messages import message_for

log = logging.getLogger("kizuna.errors")

_STATUS_CODES = {
    400: ErrorCode.VALUE_INVALID,
    401: ErrorCode.AUTH_REQUIRED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
}
# Ids are 32-bit on PostgreSQL (64-bit on SQLite): a path id beyond that names nothing that can exist.
_ID_MAX = 2**31 - 1
_DIGITS = re.compile(r"-?\d+")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_json(status: int, message: str, field: str = "") -> JSONResponse:
    """400s list errors per field (CTFd's shape); other refusals also carry a plain ``message``."""
    body: dict[str, Any] = {"success": False, "errors": {field or "": [message]}}
    if status in (401, 403, 404, 405, 413, 429) or status >= 500:
        body["message"] = message
    return JSONResponse(body, status_code=status)


def domain_error_response(exc: DomainError) -> JSONResponse:
    """An API refusal, in the request's language (also used by kizuna.web.fastlane)."""
    response = error_json(exc.status, message_for(exc), exc.field)
    _retry_after(response, exc)
    return response


def _retry_after(response: Response, exc: DomainError) -> None:
    if exc.status == 429 and isinstance(exc.params.get("retry_after"), int):
        response.headers["Retry-After"] = str(exc.params["retry_after"])


# Every operation may answer these, all in one shape (``error_json``); /openapi.json says so.
ERROR_RESPONSES = {
    "400": "Malformed input, or a value a rule refuses (``errors`` names the field)",
    "401": "Authentication required, or the token is invalid",
    "403": "The caller's role may not do this",
    "404": "No such resource (also an id that cannot exist)",
    "409": "Not possible in the current state (the event has already started, say)",
    "413": "The request body is larger than the limit",
    "429": "Too many requests; see Retry-After",
    "503": "The database is unavailable for a moment; see Retry-After",
}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "message": {"type": "string"},
    },
    "required": ["success"],
}
_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


def document_errors(app: FastAPI) -> None:
    """/openapi.json lists the error answers every operation can give (FastAPI's default says 422
    with its own shape, which Kizuna never sends: validation errors are 400 in CTFd's shape)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = build()
        doc.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        for schema_name in ("HTTPValidationError", "ValidationError"):
            doc["components"]["schemas"].pop(schema_name, None)
        ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for ops in doc.get("paths", {}).values():
            for method, op in ops.items():
                if method not in _METHODS:
                    continue
                responses = op.setdefault("responses", {})
                responses.pop("422", None)
                if method == "head":  # a HEAD answer has headers only
                    for answer_ in responses.values():
                        answer_.pop("content", None)
                for code, text in ERROR_RESPONSES.items():
                    responses.setdefault(code, {"description": text, "content": ref})
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    document_errors(app)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if _is_api(request):
            return domain_error_response(exc)
        from kizuna.web.render import render_error

        response = render_error(request, exc.status, message_for(exc))
        _retry_after(response, exc)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        from kizuna.web.limits import BodyTooLarge

        if isinstance(exc, BodyTooLarge):
            return input_error_response(request, exc)
        # Never the framework's English detail: a sentence in the caller's language for the status.
        code = _STATUS_CODES.get(exc.status_code) or (
            ErrorCode.SERVER_ERROR if exc.status_code >= 500 else ErrorCode.VALUE_INVALID
        )
        response = answer(request, exc.status_code, message_for(DomainError(code)))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    @app.exception_handler(StatementError)
    async def _data(request: Request, exc: Exception) -> Response:
        """A value the database cannot hold or compare (an integer beyond 64 bits, a NUL character on
        PostgreSQL): the input was malformed, not the server. Other database errors go on up."""
        if isinstance(exc, StatementError) and not isinstance(exc, DataError):
            if not isinstance(exc.orig, OverflowError | UnicodeError | ValueError):
                raise exc
        if any(_impossible_id(v) for v in request.path_params.values()):
            return answer(request, 404, message_for(DomainError(ErrorCode.NOT_FOUND)))
        return answer(request, 400, message_for(DomainError(ErrorCode.VALUE_INVALID)))

    @app.exception_handler(Exception)
    async def _server_error(request: Request, exc: Exception) -> Response:
        """Starlette logs the exception and re-raises it after this answer (so tests still see it)."""
        return server_error_response(request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors: dict[str, list[str]] = {}
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
            field = ".".join(loc)
            kind = err.get("type", "")
            text = (
                gettext("This field is required.")
                if kind == "missing"
                else gettext("This value is not valid.")
            )
            errors.setdefault(field, []).append(text)
        if _is_api(request):
            return JSONResponse({"success": False, "errors": errors}, status_code=400)
        from kizuna.web.render import render_error

        return render_error(request, 400, gettext("This value is not valid."))


def _impossible_id(value: Any) -> bool:
    text = str(value)
    return bool(_DIGITS.fullmatch(text)) and (len(text) > 20 or abs(int(text)) > _ID_MAX)


def answer(request: Request, status: int, message: str, field: str = "") -> Response:
    """A refusal in the caller's language: CTFd-shaped JSON for the API, the error page otherwise."""
    if _is_api(request):
        return error_json(status, message, field)
    from kizuna.web.render import render_error

    return render_error(request, status, message)


def input_error_response(request: Request, exc: Any) -> Response:
    """413 for a body beyond its limit (``exc`` a ``BodyTooLarge``), else 400 for unusable JSON."""
    from kizuna.web.limits import MAX_JSON_DEPTH

    if exc is not None:
        limit = f"{exc.limit:,}"
        return answer(request, 413, message_for(DomainError(ErrorCode.BODY_TOO_LARGE, limit=limit)))
    error = DomainError(ErrorCode.INPUT_INVALID, depth=MAX_JSON_DEPTH)
    return answer(request, 400, message_for(error))


def server_error_response(request: Request) -> Response:
    """Starlette calls this outside the locale middleware (whose context is gone by then): the
    language it chose is read back from the request's state."""
    state = request.scope.get("state") or {}
    locale_token = current_locale.set(state.get("locale") or current_locale.get())
    display_token = current_display.set(state.get("display") or "")
    try:
        message = message_for(DomainError(ErrorCode.SERVER_ERROR))
        try:
            return answer(request, 500, message)
        except Exception:  # the page itself could not be drawn (database gone, say): a bare page
            log.exception("error page failed")
            return HTMLResponse(
                f'<!doctype html><html lang="{html.escape(current_locale.get())}"><meta charset="utf-8">'
                f"<title>500</title><h1>500</h1><p>{html.escape(message)}</p></html>",
                status_code=500,
            )
    finally:
        current_display.reset(display_token)
        current_locale.reset(locale_token)
