"""Malformed input is answered 4xx in the caller's language, never 500, on SQLite and PostgreSQL:
ids beyond 64 bits (also without logging in), NaN/Infinity, huge numbers, lone surrogates, NUL
characters (PostgreSQL cannot store them), deep nesting, form and multipart bodies on JSON routes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import auth

JA = {"Accept-Language": "ja"}
HUGE = "9223372036854775808"  # 2**63


@pytest.fixture
def setup(backend: str, app: Any, make: Any) -> Any:
    admin = make.admin()
    player, _team = make.player_in_team()
    challenge = make.challenge(flag="flag{ok}")
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, make.token(admin), make.token(player), challenge


def _ja_json(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    assert body["success"] is False
    text = " ".join(m for msgs in body["errors"].values() for m in msgs)
    assert any("\u3040" <= ch <= "\u30ff" for ch in text), text  # Japanese (kana) in the message
    return body


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/users/{HUGE}",
        f"/api/v1/teams/{HUGE}",
        f"/api/v1/users/{HUGE}/solves",
        "/api/v1/users/99999999999999999999999999999999",
        "/api/v1/users/2147483648",
    ],
)
def test_ids_beyond_range_are_not_found_even_anonymously(setup: Any, path: str) -> None:
    client, *_ = setup
    _ja_json(client.get(path, headers=JA), 404)


def test_ids_beyond_range_on_pages_are_not_found(setup: Any) -> None:
    client, *_ = setup
    for path in (f"/users/{HUGE}", f"/teams/{HUGE}"):
        r = client.get(path, headers=JA)
        assert r.status_code == 404, (path, r.status_code)
        assert "見つかりません" in r.text


def test_huge_ids_in_query_and_body_are_refused(setup: Any) -> None:
    client, admin, _player, _challenge = setup
    h = {**auth(admin), **JA}
    _ja_json(client.get(f"/api/v1/challenges/{HUGE}", headers=h), 404)
    _ja_json(client.get(f"/api/v1/files?challenge_id={HUGE}", headers=h), 400)
    r = client.patch(f"/api/v1/flags/{HUGE}", headers=h, json={"content": "x"})
    assert r.status_code in (400, 404)
    r = client.post("/api/v1/awards", headers=h, json={"user_id": 2**40, "value": 1, "name": "x"})
    assert 400 <= r.status_code < 500
    body = f'{{"challenge_id": {2**70}, "submission": "x"}}'
    _ja_json(client.post("/api/v1/challenges/attempt", headers=h, content=body), 400)


@pytest.mark.parametrize(
    "body",
    [
        '{"challenge_id": 1, "submission": NaN}',
        '{"challenge_id": Infinity, "submission": "x"}',
        '{"challenge_id": -Infinity, "submission": "x"}',
        '{"challenge_id": 1e400, "submission": "x"}',
        '{"challenge_id": 1, "submission": "\\ud800"}',
        '{"challenge_id": 1, "\\udfff": "x"}',
        '{"challenge_id": 1, "submission": "flag{\\u0000}"}',
        '{"challenge_id": 1, "submission": ' + "[" * 100 + "]" * 100 + "}",
        "[" * 200_000,
    ],
)
def test_unusable_json_is_refused_with_400(setup: Any, body: str) -> None:
    client, _admin, player, challenge = setup
    body = body.replace('"challenge_id": 1,', f'"challenge_id": {challenge.id},')
    r = client.post("/api/v1/challenges/attempt", headers={**auth(player), **JA}, content=body)
    _ja_json(r, 400)


def test_nul_in_a_form_flag_guess_and_query_is_not_a_server_error(setup: Any) -> None:
    client, admin, player, challenge = setup
    r = client.post(
        "/api/v1/challenges/attempt",
        headers={"Authorization": f"Token {player}", **JA},
        data={"challenge_id": str(challenge.id), "submission": "flag{\x00}"},
    )
    # A 4xx refusal, or simply a wrong answer: never a server error.
    assert 400 <= r.status_code < 500 or r.json()["data"]["status"] == "incorrect", r.text[:200]
    for path in ("/api/v1/users?q=a%00", "/api/v1/pages/a%00", "/api/v1/challenges?category=%00"):
        assert client.get(path, headers={**auth(admin), **JA}).status_code < 500, path


def test_form_and_multipart_bodies_on_json_routes(setup: Any) -> None:
    client, admin, *_ = setup
    h = {"Authorization": f"Token {admin}", **JA}
    cases = [
        ("application/x-www-form-urlencoded", b"name=a&category=b&value=99999999999999999999999"),
        ("multipart/form-data; boundary=x", b"--x\r\nbroken"),
        ("multipart/form-data", b"no boundary"),
        ("text/plain", b"\xff\xfe"),
    ]
    for ctype, body in cases:
        r = client.post("/api/v1/challenges", headers={**h, "Content-Type": ctype}, content=body)
        assert 400 <= r.status_code < 500, (ctype, r.status_code, r.text[:200])
