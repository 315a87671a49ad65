"""Where the fonts that certificates (PDF) embed are found at run time.

``make install`` copies Noto Sans JP's TrueType files (regular and bold, SIL Open Font Licence) from
the npm package ``@expo-google-fonts/noto-sans-jp`` into ``web/static/vendor/fonts/certificate``.
``kizuna doctor`` reports their absence, and a certificate's download answers 503 with a sentence
saying so."""

from __future__ import annotations

from pathlib import Path

CERTIFICATE_FONT_DIR = Path(__file__).parent / "web" / "static" / "vendor" / "fonts" / "certificate"
REGULAR = "NotoSansJP_400Regular.ttf"
BOLD = "NotoSansJP_700Bold.ttf"


def certificate_fonts(font_dir: Path = CERTIFICATE_FONT_DIR) -> tuple[Path, Path] | None:
    """The regular and bold font files, or None when either is missing."""
    regular, bold = font_dir / REGULAR, font_dir / BOLD
    return (regular, bold) if regular.is_file() and bold.is_file() else None
