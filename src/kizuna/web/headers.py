"""Hardening headers on every response: pages, ``/api/v1``, static files, downloads, errors and the
``/events`` stream.

One ASGI middleware (installed outermost by ``install``, so even the server-error answer carries
them). It only adds headers to the ``http.response.start`` message and passes every body message
through as it comes: the stream keeps streaming.

- ``Content-Security-Policy``: only our own origin, and inline ``<script>``/``<style>`` only with the
  response's nonce (a fresh random value per response, in ``scope["state"]["csp_nonce"]``, which
  ``kizuna.web.render`` hands to the templates as ``csp_nonce``). No ``unsafe-inline``, no
  ``unsafe-eval``; inline ``style=""`` attributes are refused too (the templates use classes).
  Downloads (``/files/…``) get ``default-src 'none'; sandbox``: an uploaded .html or .svg opened in
  the browser can run nothing on our origin (and they are sent as attachments anyway).
  FastAPI's API explorer (``/api/docs``) loads Swagger UI from its CDN and has one inline script:
  that page alone allows the CDN and the hash of the inline script it actually sent (the page is
  fixed text, nothing from the request reaches that script).
- ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` (older browsers; CSP's
  ``frame-ancestors 'none'`` for the others), ``Cross-Origin-Opener-Policy: same-origin``,
  ``Cross-Origin-Resource-Policy: same-origin``, a ``Permissions-Policy`` turning off the devices a
  CTF never needs.
- ``Referrer-Policy: same-origin``: signed file links carry their token in the query string, and
  challenge descriptions link to other sites; other sites get no referrer at all, not even our origin.
- ``Strict-Transport-Security`` (one year) only when the public URL is https (``Settings.https``);
  never when served over plain http.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

HSTS = "max-age=31536000"
REFERRER_POLICY = "same-origin"
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)
# Challenge attachments: nothing in them may run, style, frame or load anything.
DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOWNLOAD_PREFIX = "/files/"
STATIC_PREFIX = "/static/"  # our own assets: a file itself gets the download policy too
SWAGGER_CDN = "https://cdn.jsdelivr.net"
SWAGGER_ICON = "https://fastapi.tiangolo.com"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def page_csp(nonce: str) -> str:
    """The policy of every answer but downloads and the API explorer."""
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def docs_csp(script_hashes: list[str]) -> str:
    """FastAPI's Swagger UI page: its CDN, and exactly the inline scripts this answer carries."""
    hashes = " ".join(f"'sha256-{h}'" for h in script_hashes)
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {SWAGGER_CDN} {hashes}".rstrip(),
            f"style-src 'self' {SWAGGER_CDN}",
            f"img-src 'self' data: {SWAGGER_ICON}",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def script_hashes(body: bytes) -> list[str]:
    return [
        base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode("ascii")
        for m in _INLINE_SCRIPT.finditer(body)
    ]


def new_nonce() -> str:
    """128 random bits, base64url: a valid CSP nonce."""
    return secrets.token_urlsafe(16)


def common_headers(https: bool) -> list[tuple[bytes, bytes]]:
    """The headers every answer carries besides its CSP (also sent by kizuna.web.fastlane)."""
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", REFERRER_POLICY.encode()),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"cross-origin-resource-policy", b"same-origin"),
        (b"permissions-policy", PERMISSIONS_POLICY.encode()),
    ]
    if https:
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, https: bool, docs_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.https = https
        self.docs_paths = frozenset(p for p in docs_paths if p)

    def _common(self) -> list[tuple[bytes, bytes]]:
        return common_headers(self.https)

    @staticmethod
    def _set(message: Message, extra: list[tuple[bytes, bytes]]) -> None:
        names = {name for name, _ in extra}
        kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
        message["headers"] = kept + extra

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = new_nonce()
        scope.setdefault("state", {})["csp_nonce"] = nonce
        path = str(scope.get("path", ""))
        if path in self.docs_paths:
            await self._docs(scope, receive, send)
            return
        common = self._common()
        download = path.startswith(DOWNLOAD_PREFIX) or path.startswith(STATIC_PREFIX)

        async def _send(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A file itself (an upload or one of our assets) gets the download policy: it is no page
                # of ours, and a policy on a stylesheet or script is ignored anyway. A refusal or error
                # there is one of our pages.
                file_body = download and message["status"] < 400
                csp = DOWNLOAD_CSP if file_body else page_csp(nonce)
                self._set(message, [*common, (b"content-security-policy", csp.encode())])
            await send(message)

        await self.app(scope, receive, _send)

    async def _docs(self, scope: Scope, receive: Any, send: Any) -> None:
        """The API explorer's small, fixed page: held back whole so its inline scripts can be hashed."""
        start: Message = {}
        chunks: list[bytes] = []

        async def _hold(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                csp = docs_csp(script_hashes(body))
                self._set(start, [*self._common(), (b"content-security-policy", csp.encode())])
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, _hold)


def install(app: FastAPI, *, https: bool) -> None:
    """Wrap the whole application, outside Starlette's server-error middleware, so that every
    answer — a 500 included — carries the headers."""
    build = app.build_middleware_stack
    docs = (app.docs_url or "", app.swagger_ui_oauth2_redirect_url or "")

    def build_with_headers() -> ASGIApp:
        return SecurityHeadersMiddleware(build(), https=https, docs_paths=docs)

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign,assignment]
