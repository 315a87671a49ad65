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
    # The other chips: muted and hidden are --fg on --panel, neutral --fg on --bg, scheduled and
    # pending --fg on --highlight (correct and incorrect are the --ok and --bad pairs above).
    ("--fg", "--panel", 4.5),
    ("--fg", "--highlight", 4.5),
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


# --- the venue screen (venue.css), in both of its themes (event.venue_theme) ------------------------

VENUE_DARK = ':root[data-venue-theme="dark"]'


def venue_colours(theme: str) -> dict[str, str]:
    """The venue's colours: the site's light theme, or its own high-contrast dark block."""
    if theme == "light":
        return variables((STATIC / "kizuna.css").read_text())
    return variables((STATIC / "venue.css").read_text(), VENUE_DARK)


def team_palette(theme: str) -> list[tuple[str, str]]:
    from kizuna.web.pages.scoreboard import COLOURS, COLOURS_DARK, INKS, INKS_DARK

    pairs = zip(COLOURS, INKS, strict=True) if theme == "light" else zip(COLOURS_DARK, INKS_DARK, strict=True)
    return list(pairs)


def lab(colour: str) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB colour, for telling two team colours apart."""
    hex_ = colour.lstrip("#")
    rgb = [int(hex_[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    xyz = (
        (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
    )
    fx, fy, fz = (v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116 for v in xyz)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def difference(a: str, b: str) -> float:
    """CIE76 colour difference (about 2.3 is just noticeable; 20 and more are different colours)."""
    return sum((x - y) ** 2 for x, y in zip(lab(a), lab(b), strict=True)) ** 0.5


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize(("fg", "bg", "minimum"), [*PAIRS, ("--fg", "--bg", 7.0)])
def test_venue_text_colours_meet_wcag_aa(theme: str, fg: str, bg: str, minimum: float) -> None:
    colours = venue_colours(theme)
    ratio = contrast(colours[fg], colours[bg])
    assert ratio >= minimum, (
        f"venue {theme}: {fg} {colours[fg]} on {bg} {colours[bg]}: {ratio:.2f}:1 < {minimum}:1"
    )


def test_the_venue_dark_theme_sets_every_colour_of_the_site() -> None:
    assert set(venue_colours("dark")) >= set(venue_colours("light"))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_team_colours_carry_readable_labels_and_stay_apart(theme: str) -> None:
    palette = team_palette(theme)
    assert len(palette) == 10
    for colour, ink in palette:  # the rank chips and the graph's end labels: ink on the colour
        assert contrast(ink, colour) >= 4.5, f"{theme}: {ink} on {colour}: {contrast(ink, colour):.2f}:1"
    colours = [colour for colour, _ink in palette]
    closest = min((difference(a, b), a, b) for i, a in enumerate(colours) for b in colours[i + 1 :])
    assert closest[0] >= 20, f"{theme}: {closest[1]} and {closest[2]} are too alike ({closest[0]:.1f})"


def test_team_colours_meet_wcag_aa_on_the_dark_venue() -> None:
    # On the dark screen a team's colour is also the only mark of its row and line, so it must read
    # as text would: at least 4.5:1 on the black background.
    bg = venue_colours("dark")["--bg"]
    for colour, _ink in team_palette("dark"):
        assert contrast(colour, bg) >= 4.5, f"{colour} on {bg}: {contrast(colour, bg):.2f}:1"
