"""Templates contain no visible text outside gettext: every word a reader sees goes through ``_()``.
The product name is the one exception."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "kizuna" / "web" / "templates"
ALLOWED = {"Kizuna"}


def visible_text(html: str) -> list[str]:
    html = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", html, flags=re.S)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]*>", "\n", html, flags=re.S)
    # Macros that emit attribute fragments (aria-invalid="true") are markup, not text.
    html = re.sub(r"[\w-]+=\"[^\"]*\"", " ", html)
    words = []
    for line in html.splitlines():
        words += [w for w in re.findall(r"[A-Za-z]{2,}", line) if w not in ALLOWED]
    return words


def test_no_template_has_untranslated_text() -> None:
    pages = TEMPLATES.rglob("*.html")
    found = {p.relative_to(TEMPLATES).as_posix(): visible_text(p.read_text()) for p in pages}
    assert not {k: v for k, v in found.items() if v}


def test_the_check_sees_bare_text() -> None:
    assert visible_text("<p>Hello {{ _('World') }}</p>") == ["Hello"]
    assert visible_text("<p>{{ _('World') }}</p><!-- --><b>{{ name }}</b>") == []
    assert visible_text('{% if x %} aria-invalid="true"{% endif %} Oops') == ["Oops"]
