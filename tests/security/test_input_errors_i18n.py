"""Every error answer is in the reader's language: pages (404, 405, 413, 500) and API JSON — here in
Japanese, never the framework's English ("Method Not Allowed", "Internal Server Error")."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

JA = {"Accept-Language": "ja"}
ENGLISH = ("Not Found", "Method Not Allowed", "Internal Server Error", "Request Entity Too Large")


@pytest.fixture
def ja_client(app: Any) -> Any:
    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/test-boom", boom, include_in_schema=False)
    app.add_api_route("/test-boom", boom, include_in_schema=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _page(r: Any, status: int, words: str) -> None:
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")
    assert '<html lang="ja"' in r.text
    assert words in r.text, r.text[:500]
    assert not any(e in r.text for e in ENGLISH)


def _api(r: Any, status: int, words: str) -> None:
    assert r.status_code == status
    body = r.json()
    assert body["success"] is False and words in body["message"], body
    assert not any(e in r.text for e in ENGLISH)


def test_pages_in_japanese(ja_client: TestClient) -> None:
    _page(ja_client.get("/no-such-page", headers=JA), 404, "ページが見つかりません")
    _page(ja_client.put("/scoreboard", headers=JA), 405, "メソッドを受け付けません")
    _page(
        ja_client.post("/login", headers={**JA, "Content-Length": str(10**9)}, content=b""),
        413,
        "リクエストが大きすぎます",
    )
    _page(ja_client.get("/test-boom", headers=JA), 500, "サーバー側で問題が発生しました")


def test_api_in_japanese(ja_client: TestClient) -> None:
    r = ja_client.get("/api/v1/no-such-thing", headers=JA)
    _api(r, 404, "見つかりません")
    assert "ページ" not in r.json()["message"]  # an API caller asked for a resource, not a page
    r = ja_client.put("/api/v1/scoreboard", headers=JA)
    _api(r, 405, "メソッドを受け付けません")
    assert "GET" in r.headers["allow"]
    _api(
        ja_client.post("/api/v1/challenges", headers={**JA, "Content-Length": str(10**9)}, content=b""),
        413,
        "リクエストが大きすぎます",
    )
    _api(ja_client.get("/api/v1/test-boom", headers=JA), 500, "サーバー側で問題が発生しました")


def test_the_language_follows_the_reader(ja_client: TestClient) -> None:
    r = ja_client.get("/api/v1/test-boom", headers={"Accept-Language": "en"})
    assert r.status_code == 500 and r.json()["message"].startswith("Something went wrong on our side")
