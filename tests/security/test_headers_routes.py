"""Every answer of the application carries the hardening headers (kizuna.web.headers), and every page
it renders keeps to its Content-Security-Policy.

The routes are walked as tests/meta/test_policy_matrix.py walks them (``iter_route_contexts`` over the
app's routes, path parameters filled from one fixture database): each route as an anonymous visitor,
a player and an admin — pages, ``/api/v1``, downloads, the ``/events`` stream — plus static files,
a 404, a 405 and a 500. Each HTML page is parsed: every inline ``<script>`` and ``<style>`` carries
this response's nonce, no element has an inline event handler or a ``style`` attribute (the policy
refuses both), and no script is loaded from elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kizuna.web.policy_table import ROUTE_RULES
from tests.meta.test_policy_matrix import LAST, ROLES, World, _ask, _build, _caller, app_routes

WALKED_ROLES = ("anonymous", "player", "admin")
assert set(WALKED_ROLES) <= set(ROLES)

COMMON = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


def csp_of(response: Any) -> dict[str, list[str]]:
    """The Content-Security-Policy header as directive -> sources."""
    policy: dict[str, list[str]] = {}
    for part in response.headers.get("content-security-policy", "").split(";"):
        words = part.split()
        if words:
            policy[words[0]] = words[1:]
    return policy


def nonce_of(response: Any) -> str:
    sources = csp_of(response).get("script-src", [])
    nonces = [s[len("'nonce-") : -1] for s in sources if s.startswith("'nonce-")]
    assert len(nonces) == 1, sources
    return nonces[0]


def header_problems(response: Any, path: str) -> list[str]:
    """What is missing or wrong in one answer's headers ("" list when all is well)."""
    problems = [
        f"{name}: {response.headers.get(name)!r}"
        for name, value in COMMON.items()
        if response.headers.get(name) != value
    ]
    if "strict-transport-security" in response.headers:
        problems.append("HSTS over plain http")
    policy = csp_of(response)
    if not policy:
        return [*problems, "no Content-Security-Policy"]
    # A file itself — an upload, or one of our assets — carries the download policy.
    if path.startswith(("/files/", "/static/")) and response.status_code < 400:
        if policy.get("default-src") != ["'none'"] or "sandbox" not in policy:
            problems.append(f"download policy: {policy}")
        return problems
    if path in ("/api/docs", "/docs/oauth2-redirect"):
        return problems  # FastAPI's explorer: its own policy (test_headers_policy.py)
    script = policy.get("script-src", [])
    if script[:1] != ["'self'"] or len(script) != 2 or not script[1].startswith("'nonce-"):
        problems.append(f"script-src {script}")
    for directive, expected in (
        ("default-src", ["'self'"]),
        ("object-src", ["'none'"]),
        ("frame-ancestors", ["'none'"]),
        ("base-uri", ["'self'"]),
        ("form-action", ["'self'"]),
        ("connect-src", ["'self'"]),
        ("img-src", ["'self'", "data:"]),
    ):
        if policy.get(directive) != expected:
            problems.append(f"{directive} {policy.get(directive)}")
    if any("unsafe" in s for sources in policy.values() for s in sources):
        problems.append(f"unsafe source in {policy}")
    return problems


class PageScan(HTMLParser):
    """What in a page the policy would refuse, given its nonce."""

    def __init__(self, nonce: str) -> None:
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.problems: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for name, _ in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>: inline event handler")
            if name == "style":
                self.problems.append(f"<{tag} style=…>: inline style attribute")
        if tag == "script":
            src = named.get("src")
            if src is None:
                self.inline_scripts += 1
                if named.get("nonce") != self.nonce:
                    self.problems.append("<script> without this response's nonce")
            elif not src.startswith("/"):
                self.problems.append(f"<script src={src!r}> from another origin")
        if tag == "style" and named.get("nonce") != self.nonce:
            self.problems.append("<style> without this response's nonce")
        if tag == "a" and (named.get("href") or "").lower().startswith("javascript:"):
            self.problems.append("javascript: link")


def page_problems(html: str, nonce: str) -> list[str]:
    scan = PageScan(nonce)
    scan.feed(html)
    scan.close()
    return scan.problems


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[World]:
    w = _build(tmp_path_factory.mktemp("headers"), sqlite_template)
    yield w
    w.ctx.db.dispose()


@pytest.fixture(scope="module")
def live(world: World) -> Iterator[TestClient]:
    with TestClient(world.app) as client:
        yield client


# --- the tests --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", WALKED_ROLES)
def test_every_route_answers_with_the_headers_and_pages_keep_to_the_policy(
    world: World, live: TestClient, role: str
) -> None:
    routes = sorted(
        app_routes(world.app) & set(ROUTE_RULES),
        key=lambda r: (r in LAST, LAST.index(r) if r in LAST else 0, r),
    )
    assert ("GET", "/events") in routes and ("GET", "/files/{location:path}") in routes
    caller = _caller(world, role)
    problems: list[str] = []
    pages = 0
    for method, path in routes:
        response = _ask(caller, world, method, path, live)
        problems += [f"{method} {path} as {role}: {p}" for p in header_problems(response, path)]
        html = response.headers.get("content-type", "").startswith("text/html")
        if html and path not in ("/api/docs", "/docs/oauth2-redirect"):
            pages += 1
            problems += [
                f"{method} {path} as {role}: {p}" for p in page_problems(response.text, nonce_of(response))
            ]
    assert pages > 20  # the pages really were rendered and parsed
    assert not problems, "\n".join(problems)


def test_static_files_and_error_answers_carry_the_headers(world: World) -> None:
    client = TestClient(world.app, raise_server_exceptions=False)
    answers = {
        "/static/kizuna.css": client.get("/static/kizuna.css"),
        "/static/kizuna.js": client.get("/static/kizuna.js"),
        "/static/missing.js": client.get("/static/missing.js"),
        "/no-such-page": client.get("/no-such-page"),
        "/api/v1/no-such-route": client.get("/api/v1/no-such-route"),
        "/scoreboard (405)": client.delete("/scoreboard"),
    }
    assert answers["/static/kizuna.css"].status_code == 200
    assert answers["/no-such-page"].status_code == 404
    problems = [f"{name}: {p}" for name, r in answers.items() for p in header_problems(r, name)]
    assert not problems, "\n".join(problems)


def test_a_server_error_carries_the_headers(world: World) -> None:
    """The 500 answer comes from Starlette's outermost error handler: the headers wrap even that."""
    app = world.app

    @app.get("/__headers_boom", include_in_schema=False)
    def _boom() -> None:
        raise RuntimeError("boom")

    try:
        response = TestClient(app, raise_server_exceptions=False).get("/__headers_boom")
    finally:
        app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", "") != "/__headers_boom"]
    assert response.status_code == 500
    assert not header_problems(response, "/__headers_boom")


def test_the_nonce_differs_on_every_answer(world: World) -> None:
    client = TestClient(world.app)
    nonces = [nonce_of(client.get(path)) for path in ("/", "/", "/scoreboard", "/venue", "/login") * 4]
    assert len(set(nonces)) == len(nonces)
    assert all(len(n) >= 22 for n in nonces)  # 128 random bits, base64url
