"""Request bodies are bounded before they are buffered: 413 at once on a large ``Content-Length``, and
a streamed (chunked) body is cut off at the limit — the app stops reading — answered in the caller's
language (JSON for the API, a page for pages). Upload routes have their own, larger limit."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.services import accounts
from kizuna.web.app import create_app
from tests.conftest import auth, make_sqlite_ctx

LIMIT = 4_096
UPLOAD_LIMIT = 64_000


@pytest.fixture
def small(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[Any, str]]:
    settings, ctx = make_sqlite_ctx(
        tmp_path, sqlite_template, max_body_bytes=LIMIT, max_upload_bytes=UPLOAD_LIMIT
    )
    admin = accounts.register_user(ctx, "limits-admin", "correct-horse-battery", role="admin", by_admin=True)
    token = accounts.create_token(ctx, admin.id).value
    yield create_app(settings, ctx), token
    ctx.db.dispose()


def _call(app: Any, path: str, headers: dict[str, str], chunks: list[bytes]) -> tuple[int, bytes, int]:
    """Drive the ASGI app directly with a streamed body; returns (status, body, chunks consumed)."""
    consumed = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal consumed
        if consumed < len(chunks):
            consumed += 1
            return {"type": "http.request", "body": chunks[consumed - 1], "more_body": consumed < len(chunks)}
        await asyncio.sleep(0)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "app": app,
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, consumed


def test_content_length_above_the_limit_is_refused_before_reading(small: tuple[Any, str]) -> None:
    app, token = small
    headers = {**auth(token), "Accept-Language": "ja", "Content-Length": str(2 * 1024**3)}
    status, body, consumed = _call(app, "/api/v1/challenges", headers, [b"{" * 1024] * 50)
    assert status == 413
    assert consumed == 0  # not one byte of the body was read
    assert "バイトまでです" in body.decode()


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_streamed_body_is_cut_off_at_the_limit(small: tuple[Any, str], content_type: str) -> None:
    app, token = small
    headers = {**auth(token), "Content-Type": content_type, "Accept-Language": "ja"}
    chunks = [b"a" * 1024] * 1000  # 1 MB offered in 1 KB chunks, without a Content-Length
    status, body, consumed = _call(app, "/api/v1/challenges", headers, chunks)
    assert status == 413, body
    assert consumed <= LIMIT // 1024 + 1  # read up to the limit and one chunk more, never the rest
    assert '"success":false' in body.decode() and "4,096" in body.decode()


def test_json_within_the_limit_still_works(small: tuple[Any, str]) -> None:
    app, token = small
    with TestClient(app) as client:
        r = client.post(
            "/api/v1/challenges", headers=auth(token), json={"name": "ok", "category": "misc", "value": 1}
        )
        assert r.status_code == 200, r.text


def test_uploads_have_their_own_larger_limit(small: tuple[Any, str]) -> None:
    app, token = small
    headers = {"Authorization": f"Token {token}"}
    with TestClient(app) as client:
        ch = client.post(
            "/api/v1/challenges", headers=auth(token), json={"name": "up", "category": "misc", "value": 1}
        ).json()["data"]
        fits = client.post(
            "/api/v1/files",
            headers=headers,
            data={"challenge_id": str(ch["id"]), "type": "challenge"},
            files={"file": ("a.bin", b"x" * (LIMIT * 4))},
        )
        assert fits.status_code == 200, fits.text  # above the JSON limit, within the upload limit
        too_big = client.post(
            "/api/v1/files",
            headers={**headers, "Accept-Language": "ja"},
            data={"challenge_id": str(ch["id"]), "type": "challenge"},
            files={"file": ("b.bin", b"x" * (UPLOAD_LIMIT + 1))},
        )
        assert too_big.status_code == 413
        assert "64,000" in too_big.json()["message"]


def test_pages_answer_413_with_a_localised_page(small: tuple[Any, str]) -> None:
    app, _token = small
    with TestClient(app) as client:
        r = client.post(
            "/login",
            headers={"Accept-Language": "ja"},
            data={"name": "x" * (LIMIT * 2), "password": "y"},
        )
        assert r.status_code == 413
        assert r.headers["content-type"].startswith("text/html")
        assert "リクエストが大きすぎます" in r.text
