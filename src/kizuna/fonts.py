"""Where the fonts that certificates (PDF) embed are found at run time.

``make install`` copies Noto Sans JP's TrueType files (regular and bold, SIL Open Font Licence) from
the npm package ``@expo-google-fonts/noto-sans-jp`` into ``web/static/vendor/fonts/certificate``.
``kizuna doctor`` reports their absence, and a certificate's download answers 503 with a sentence
saying so. ``uncovered`` tells which characters of a text the fonts cannot draw (a name in Arabic,
Thai or with an emoji), so that a certificate is refused with a message rather than printed with
letters missing."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

CERTIFICATE_FONT_DIR = Path(__file__).parent / "web" / "static" / "vendor" / "fonts" / "certificate"
REGULAR = "NotoSansJP_400Regular.ttf"
BOLD = "NotoSansJP_700Bold.ttf"


def certificate_fonts(font_dir: Path = CERTIFICATE_FONT_DIR) -> tuple[Path, Path] | None:
    """The regular and bold font files, or None when either is missing."""
    regular, bold = font_dir / REGULAR, font_dir / BOLD
    return (regular, bold) if regular.is_file() and bold.is_file() else None


@lru_cache(maxsize=4)
def _drawn(regular: Path, bold: Path) -> frozenset[int]:
    """The code points both font files can draw (read once per process: about 17,000)."""
    from fontTools.ttLib import TTFont  # fpdf2's own dependency

    maps = []
    for path in (regular, bold):
        with TTFont(str(path), lazy=True) as font:
            maps.append(frozenset(font.getBestCmap() or {}))
    return maps[0] & maps[1]


def uncovered(text: str, font_dir: Path = CERTIFICATE_FONT_DIR) -> list[str]:
    """The characters of ``text`` the certificate fonts cannot draw, each once, in order ([] when
    the fonts are not installed: then no certificate can be made, and the download says so)."""
    files = certificate_fonts(font_dir)
    if files is None:
        return []
    drawn = _drawn(*files)
    missing: list[str] = []
    for ch in text:
        if ord(ch) not in drawn and not ch.isspace() and ch not in missing:
            missing.append(ch)
    return missing
