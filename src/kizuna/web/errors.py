"""Turning failures into answers: CTFd-shaped JSON for the API, a page for the browser."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.i18n import gettext
from kizuna.web.messages import message_for

_STATUS_CODES = {
    401: ErrorCode.AUTH_REQUIRED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_json(status: int, message: str, field: str = "") -> JSONResponse:
    """400s list errors per field (CTFd's shape); 401/403/404 also carry a plain ``message``."""
    body: dict[str, Any] = {"success": False, "errors": {field or "": [message]}}
    if status in (401, 403, 404, 429):
        body["message"] = message
    return JSONResponse(body, status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        message = message_for(exc)
        if _is_api(request):
            return error_json(exc.status, message, exc.field)
        from kizuna.web.render import render_error

        return render_error(request, exc.status, message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _STATUS_CODES.get(exc.status_code)
        message = message_for(DomainError(code)) if code else str(exc.detail)
        if _is_api(request):
            return error_json(exc.status_code, message)
        from kizuna.web.render import render_error

        return render_error(request, exc.status_code, message)

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
