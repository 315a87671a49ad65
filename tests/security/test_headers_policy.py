"""The parts of the hardening headers that the route walk (test_headers_routes.py) does not show:
the nonce reaches the templates, the templates and our scripts need no inline code, downloads cannot
run on our origin, HSTS only over https, and the API explorer's own policy."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from jinja2 import ChoiceLoader, DictLoader

from kizuna.i18n import LOCALES
from kizuna.services import content
from kizuna.services.event import VENUE_ROWS
from kizuna.web import headers
from kizuna.web.app import create_app
from kizuna.web.pages.scoreboard import COLOURS, COLOURS_DARK, INKS, INKS_DARK
from kizuna.web.render import TEMPLATES, render
from tests.conftest import login, make_sqlite_ctx
from tests.security.test_headers_routes import csp_of, header_problems, nonce_of, page_problems

STATIC = Path(headers.__file__).parent / "static"
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTR = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
STYLE_TAG = re.compile(r"<style\b([^>]*)>", re.IGNORECASE)
NONCE_ATTR = 'nonce="{{ csp_nonce }}"'
JINJA_COMMENT = re.compile(r"{#.*?#}", re.DOTALL)


def _templates() -> list[Path]:
    found = sorted(TEMPLATES.rglob("*.html"))
    assert len(found) > 30
    return found


def test_templates_have_no_inline_handlers_or_style_attributes() -> None:
    problems = []
    for path in _templates():
        text = JINJA_COMMENT.sub("", path.read_text(encoding="utf-8"))
        name = path.relative_to(TEMPLATES)
        problems += [f"{name}: inline event handler {m.group(0)!r}" for m in HANDLER.finditer(text)]
        problems += [f"{name}: style attribute {m.group(0)[:60]!r}" for m in STYLE_ATTR.finditer(text)]
        for m in SCRIPT_TAG.finditer(text):
            if "src=" not in m.group(1) and NONCE_ATTR not in m.group(1):
                problems.append(f"{name}: inline <script> without {NONCE_ATTR}")
        for m in STYLE_TAG.finditer(text):
            if NONCE_ATTR not in m.group(1):
                problems.append(f"{name}: <style> without {NONCE_ATTR}")
    assert not problems, "\n".join(problems)


def test_pages_with_a_head_keep_htmx_within_the_policy() -> None:
    """htmx adds a <style> of its own, evaluates hx-on and runs swapped-in <script>s unless told not to."""
    heads = [p for p in _templates() if "<head>" in p.read_text(encoding="utf-8")]
    assert {p.name for p in heads} >= {"base.html", "venue.html"}
    for path in heads:
        text = path.read_text(encoding="utf-8")
        meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", text)
        assert meta is not None, path.name
        assert '"includeIndicatorStyles": false' in meta.group(1)
        assert '"allowEval": false' in meta.group(1)
        assert '"allowScriptTags": false' in meta.group(1)
        assert text.index('name="htmx-config"') < text.index("htmx.min.js")  # read when htmx loads


def test_our_scripts_need_neither_eval_nor_inline_styles() -> None:
    scripts = sorted(STATIC.glob("*.js"))
    assert scripts
    banned = re.compile(
        r"\beval\s*\(|new\s+Function\s*\(|setTimeout\s*\(\s*[\"']|setAttribute\s*\(\s*[\"']style"
    )
    problems = [f"{p.name}: {m.group(0)}" for p in scripts for m in banned.finditer(p.read_text("utf-8"))]
    assert not problems, problems


def test_the_team_colour_classes_cover_every_colour_in_both_themes() -> None:
    css = (STATIC / "kizuna.css").read_text(encoding="utf-8")
    for i, (colour, ink) in enumerate(zip(COLOURS, INKS, strict=True)):
        assert f"\n.team-c{i} {{ --team: {colour}; --team-ink: {ink}; }}" in css
    for i, (colour, ink) in enumerate(zip(COLOURS_DARK, INKS_DARK, strict=True)):
        dark = f"--team: {colour}; --team-ink: {ink}; }}"
        assert f':root[data-theme="dark"] .team-c{i} {{ {dark}' in css
        assert f'  :root:not([data-theme="light"]) .team-c{i} {{ {dark}' in css  # the system's dark


def test_the_venue_classes_that_replace_style_attributes_cover_every_value() -> None:
    css = (STATIC / "venue.css").read_text(encoding="utf-8")
    low, high = VENUE_ROWS
    for n in range(low, high + 1):
        assert f".venue-table.rows-{n} {{ --rows: {n}; }}" in css
    for n in range(1, len(LOCALES) + 1):
        assert f".venue-paused.reasons-{n} {{ --reasons: {n}; }}" in css


def test_render_hands_the_templates_this_answers_nonce(tmp_path: Path, sqlite_template: Path) -> None:
    settings, ctx = make_sqlite_ctx(tmp_path, sqlite_template)
    app = create_app(settings, ctx)
    env = app.state.templates
    env.loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "nonce_probe.html": '<script nonce="{{ csp_nonce }}">1</script>'
                    '<style nonce="{{ csp_nonce }}">p{}</style>'
                }
            ),
            env.loader,
        ]
    )

    @app.get("/__nonce_probe", include_in_schema=False)
    def _probe(request: Request) -> HTMLResponse:
        return render(request, "nonce_probe.html")

    client = TestClient(app)
    first, second = client.get("/__nonce_probe"), client.get("/__nonce_probe")
    for response in (first, second):
        nonce = nonce_of(response)
        assert response.text.count(f'nonce="{nonce}"') == 2
        assert page_problems(response.text, nonce) == []
        assert f"'nonce-{nonce}'" in csp_of(response)["style-src"]
    assert nonce_of(first) != nonce_of(second)
    # The scan refuses what the policy refuses: another answer's nonce, a handler, a style attribute.
    assert page_problems(first.text, nonce_of(second))
    assert page_problems('<p onclick="x()">', "n") and page_problems('<p style="color:red">', "n")
    ctx.db.dispose()


@pytest.mark.parametrize("name", ["page.html", "image.svg", "data.xml", "notes.txt"])
def test_challenge_files_download_as_attachments_that_cannot_run(
    client: TestClient, make, ctx, name: str
) -> None:
    admin = make.admin("file-keeper")
    ch = make.challenge()
    body = b"<html><script>alert(document.domain)</script></html>"
    if name.endswith(".svg"):
        body = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    stored = content.save_file(ctx, ch.id, name, body)
    login(client, admin.name)
    response = client.get(f"/files/{stored.location}")
    assert response.status_code == 200 and response.content == body
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert name in response.headers["content-disposition"]
    policy = csp_of(response)
    assert policy["default-src"] == ["'none'"] and "sandbox" in policy
    assert header_problems(response, "/files/") == []


def test_hsts_only_when_the_public_url_is_https(tmp_path: Path, sqlite_template: Path) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "secure").mkdir()
    plain_settings, plain_ctx = make_sqlite_ctx(tmp_path / "plain", sqlite_template)
    secure_settings, secure_ctx = make_sqlite_ctx(
        tmp_path / "secure", sqlite_template, public_url="https://ctf.example.org"
    )
    assert not plain_settings.https and secure_settings.https
    plain, secure = (
        TestClient(create_app(plain_settings, plain_ctx)),
        TestClient(create_app(secure_settings, secure_ctx)),
    )
    for path in ("/", "/api/v1/challenges", "/static/kizuna.css", "/no-such-page"):
        assert "strict-transport-security" not in plain.get(path).headers
        hsts = secure.get(path).headers.get("strict-transport-security", "")
        age = re.fullmatch(r"max-age=(\d+)(;.*)?", hsts)
        assert age is not None and int(age.group(1)) >= 365 * 24 * 3600, hsts
    plain_ctx.db.dispose()
    secure_ctx.db.dispose()


def test_the_api_explorer_allows_only_its_cdn_and_its_own_inline_script(client: TestClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    policy = csp_of(response)
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert policy["script-src"] == ["'self'", headers.SWAGGER_CDN, f"'sha256-{digest}'"]
    assert not any("unsafe" in s for sources in policy.values() for s in sources)
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert response.headers["x-content-type-options"] == "nosniff"
