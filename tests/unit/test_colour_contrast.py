"""The colours of text in our style sheets meet WCAG 2.x level AA: a contrast ratio of at least 4.5:1
for text (3:1 for focus outlines and other non-text marks), computed from the CSS custom properties
themselves, so a changed colour is checked the moment it changes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "src" / "kizuna" / "web" / "static"
# (foreground, background, minimum ratio): every pair our rules put text (or a mark) on.
PAIRS = [
    ("--fg", "--bg", 4.5),
    ("--fg", "--panel", 4.5),
    ("--muted", "--bg", 4.5),
    ("--muted", "--panel", 4.5),
    ("--accent", "--bg", 4.5),
    ("--accent", "--panel", 4.5),
    ("--accent-fg", "--accent", 4.5),
    ("--ok", "--ok-bg", 4.5),
    ("--ok", "--bg", 4.5),
    ("--bad", "--bad-bg", 4.5),
    ("--bad", "--bg", 4.5),
    ("--fg", "--highlight", 4.5),
    ("--accent", "--highlight", 4.5),  # a link in the reader's own row (tr.mine)
    ("--on-bad", "--bad", 4.5),
    ("--focus", "--bg", 3.0),
    ("--focus", "--panel", 3.0),
    ("--warn", "--highlight", 3.0),
    ("--input-border", "--bg", 3.0),
    # Chips (kizuna.css, "Board"): solved is --ok on --ok-bg, locked --muted on --panel, new
    # --accent-fg on --accent (pairs above); first blood is the page's own background on --blood.
    ("--bg", "--blood", 4.5),
    ("--blood", "--bg", 3.0),  # the first-blood edge of a card
]
DARK = ':root[data-theme="dark"]'
SYSTEM_DARK = ':root:not([data-theme="light"])'
THEMES = {"light": ":root", "dark": DARK}


def variables(css: str, block: str = ":root") -> dict[str, str]:
    """The custom properties declared in the first rule whose selector is ``block``."""
    match = re.search(re.escape(block) + r"\s*\{([^}]*)\}", css)
    assert match, block
    return dict(re.findall(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{3,6})\s*;", match.group(1)))


def luminance(colour: str) -> float:
    hex_ = colour.lstrip("#")
    if len(hex_) == 3:
        hex_ = "".join(c * 2 for c in hex_)
    channels = [int(hex_[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_the_formula_matches_known_ratios() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near miss


@pytest.mark.parametrize("theme", list(THEMES))
@pytest.mark.parametrize(("fg", "bg", "minimum"), PAIRS)
def test_text_colours_meet_wcag_aa(theme: str, fg: str, bg: str, minimum: float) -> None:
    colours = variables((STATIC / "kizuna.css").read_text(), THEMES[theme])
    ratio = contrast(colours[fg], colours[bg])
    assert ratio >= minimum, f"{theme}: {fg} {colours[fg]} on {bg} {colours[bg]}: {ratio:.2f}:1 < {minimum}:1"


def test_both_themes_set_every_colour_and_the_two_dark_blocks_agree() -> None:
    css = (STATIC / "kizuna.css").read_text()
    light, dark, system = variables(css), variables(css, DARK), variables(css, SYSTEM_DARK)
    assert set(dark) == set(light) and len(light) >= 15
    assert system == dark  # the system's dark and the chosen dark are the same theme
