"""Organiser texts are bounded when written (a 400 naming the field, in the caller's language, for
every way in) and when rendered (text above ``RENDER_LIMIT`` is shown escaped, never parsed)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna import markdown
from kizuna.domain.errors import DomainError
from kizuna.domain.limits import TEXT_LIMITS
from kizuna.services import challenges
from tests.conftest import auth

JA = {"Accept-Language": "ja"}
ROW = "| a | b | c |\n"


def _table(chars: int) -> str:
    return "| h | h | h |\n|---|---|---|\n" + ROW * (chars // len(ROW))


def test_a_10_mb_table_is_not_parsed_and_shown_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _table(10_000_000) + "<script>alert(1)</script>"

    def refuse(_text: str) -> str:
        raise AssertionError("markdown-it must not see text above the render limit")

    monkeypatch.setattr(markdown._md, "render", refuse)
    started = time.perf_counter()
    html = markdown.render_markdown(text)
    elapsed = time.perf_counter() - started
    assert "<table" not in html and "<script" not in html
    assert 'class="kz-too-long"' in html
    assert len(html) < markdown.RENDER_LIMIT * 2
    print(f"\n10 MB table rendered in {elapsed:.3f}s")
    assert markdown.sanitize_html(text).startswith('<p class="kz-too-long"')


def test_text_within_the_render_limit_is_rendered() -> None:
    html = markdown.render_markdown(_table(20_000))
    assert "<table>" in html


def test_render_limit_is_above_every_write_limit() -> None:
    assert max(TEXT_LIMITS.values()) <= markdown.RENDER_LIMIT


def test_nesting_is_bounded() -> None:
    html = markdown.render_markdown(">" * 50_000 + " deep")
    assert html.count("<blockquote>") <= markdown.MAX_NESTING


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/api/v1/challenges",
            {"name": "c", "category": "m", "value": 1, "description": "x" * 65_537},
            "description",
        ),
        (
            "/api/v1/challenges",
            {"name": "c", "category": "m", "value": 1, "translations": {"ja": {"description": "x" * 65_537}}},
            "translations.ja.description",
        ),
        ("/api/v1/challenges", {"name": "c" * 201, "category": "m", "value": 1}, "name"),
        ("/api/v1/notifications", {"title": "t", "content": "x" * 16_385}, "content"),
        ("/api/v1/pages", {"route": "big", "title": "t", "content": "x" * 131_073}, "content"),
    ],
)
def test_too_long_texts_are_refused_naming_the_field(
    backend: str, client: TestClient, make: Any, path: str, body: dict[str, Any], field: str
) -> None:
    token = make.token(make.admin())
    r = client.post(path, headers={**auth(token), **JA}, json=body)
    assert r.status_code == 400, r.text[:300]
    errors = r.json()["errors"]
    assert field in errors, errors
    assert "長すぎます" in errors[field][0]


def test_hint_and_solution_limits_hold_for_every_way_in(ctx: Any, make: Any, client: TestClient) -> None:
    ch = make.challenge()
    token = make.token(make.admin())
    h = {**auth(token), **JA}
    r = client.post(
        "/api/v1/hints", headers=h, json={"challenge_id": ch.id, "content": "x" * 16_385, "cost": 0}
    )
    assert r.status_code == 400 and "content" in r.json()["errors"]
    r = client.post("/api/v1/solutions", headers=h, json={"challenge_id": ch.id, "content": "x" * 65_537})
    assert r.status_code == 400 and "content" in r.json()["errors"]
    # Services (the CLI, challenge.yml import) meet the same check.
    with pytest.raises(DomainError) as raised:
        challenges.update_challenge(ctx, ch.id, {"description": "x" * 65_537})
    assert raised.value.field == "description"
    # At the limit is accepted.
    challenges.update_challenge(ctx, ch.id, {"description": "x" * 65_536})
