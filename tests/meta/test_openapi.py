"""The OpenAPI document loads and every ``/api/v1`` operation says what it does."""

from __future__ import annotations

from typing import Any

METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


def test_openapi_document(client: Any) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "Kizuna"
    api = {path: ops for path, ops in doc["paths"].items() if path.startswith("/api/v1/")}
    assert "/api/v1/challenges/attempt" in api
    assert "/api/v1/scoreboard" in api
    missing = [
        f"{method.upper()} {path}"
        for path, ops in api.items()
        for method, op in ops.items()
        if method in METHODS and not str(op.get("summary", "")).strip()
    ]
    assert not missing, f"routes without a summary: {missing}"


def test_operation_ids_are_unique(client: Any) -> None:
    doc = client.get("/openapi.json").json()
    ids = [op["operationId"] for ops in doc["paths"].values() for m, op in ops.items() if m in METHODS]
    assert len(ids) == len(set(ids))
