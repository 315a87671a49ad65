"""A certificate (修了証) as a PDF: one A4 landscape page in English and Japanese, with a real text
layer (search, copy, screen readers) in an embedded Noto Sans JP.

The PDF library is fpdf2: it embeds TrueType (glyf) fonts as a subset of the glyphs used (with
fontTools), so a page with a Japanese name and title weighs a few tens of kilobytes although the font
files are 5 MB each. The font files come with the install (``make install`` copies them from the npm
package ``@expo-google-fonts/noto-sans-jp`` into ``static/vendor/fonts/certificate``); without them
no certificate can be made, ``kizuna doctor`` says so, and the download answers 503 with that
sentence. The page says, in each language: what it certifies, the player's name as they chose it
(any script the font covers; large, and beneath it, smaller, the same name in a second script when
they gave one), the team in team mode, the track's or event's title in that language
(or the language it has), the rank where there is one, the date of issue in the player's time zone,
and where and with which code anyone can verify it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date

from kizuna.domain.certificates import CertificateKind, show_code
from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.fonts import CERTIFICATE_FONT_DIR, certificate_fonts
from kizuna.i18n import gettext_in, lazy
from kizuna.services.certificates import CertificateView

FONT_DIR = CERTIFICATE_FONT_DIR
FAMILY = "NotoSansJP"
PDF_LOCALES = ("en", "ja")
BABEL_LOCALES = {"en": "en_GB", "ja": "ja_JP"}

HEADINGS = {
    CertificateKind.TRACK: lazy("Certificate of Completion"),
    CertificateKind.EVENT: lazy("Certificate of Participation"),
}
CERTIFIES = lazy("This is to certify that")
STATEMENTS = {
    CertificateKind.TRACK: lazy("has completed the learning track “%(title)s”."),
    CertificateKind.EVENT: lazy("took part in “%(title)s”."),
}
TEAM_LINE = lazy("with the team %(team)s")
RANK_LINE = lazy("Final rank: %(rank)s of %(ranked)s")
ISSUED_LINE = lazy("Issued on %(date)s")
VERIFY_LINE = lazy("Verify this certificate at %(url)s")
CODE_LINE = lazy("Verification code: %(code)s")


def font_files(font_dir: Path = FONT_DIR) -> tuple[Path, Path] | None:
    """The regular and bold font files, or None when either is missing (``kizuna.fonts``)."""
    return certificate_fonts(font_dir)


@dataclass(frozen=True)
class Lines:
    """What a certificate says in one language."""

    heading: str
    certifies: str
    team: str
    statement: str
    rank: str
    issued: str
    verify: str
    code: str


def title_in(cert: CertificateView, locale: str) -> str:
    """The title in ``locale``, else English, else any language the certificate has."""
    for code in (locale, "en", *cert.titles):
        if cert.titles.get(code):
            return cert.titles[code]
    return cert.subject


def lines(cert: CertificateView, locale: str, zone: str, verify_url: str) -> Lines:
    kind = CertificateKind(cert.kind)
    issued = cert.issued_at.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
    day = format_date(issued.date(), format="long", locale=BABEL_LOCALES[locale])
    rank = ""
    if cert.rank is not None and cert.ranked is not None:
        rank = gettext_in(locale, RANK_LINE, rank=cert.rank, ranked=cert.ranked)
    return Lines(
        gettext_in(locale, HEADINGS[kind]),
        gettext_in(locale, CERTIFIES),
        gettext_in(locale, TEAM_LINE, team=cert.team_name) if cert.team_name else "",
        gettext_in(locale, STATEMENTS[kind], title=title_in(cert, locale)),
        rank,
        gettext_in(locale, ISSUED_LINE, date=day),
        gettext_in(locale, VERIFY_LINE, url=verify_url),
        gettext_in(locale, CODE_LINE, code=show_code(cert.code)),
    )


def name_size(name: str, largest: float) -> float:
    """The font size a name is printed in: ``largest`` for a name that fits one line at that size,
    smaller for longer ones (at most 128 characters: three lines at the smallest), so the page keeps
    room for the rest."""
    wide = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in name)
    if wide <= 40:
        return largest
    if wide <= 80:
        return largest * 0.7
    return largest * 0.5


def render_pdf(cert: CertificateView, zone: str, verify_url: str, font_dir: Path = FONT_DIR) -> bytes:
    """The certificate's PDF. ``zone``: the IANA zone its date is written in (the player's)."""
    from fpdf import FPDF  # imported when a certificate is made: start-up does not pay for it

    fonts = font_files(font_dir)
    if fonts is None:
        raise DomainError(ErrorCode.CERTIFICATE_FONT_MISSING, status=503)
    en, ja = (lines(cert, code, zone, verify_url) for code in PDF_LOCALES)
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_creation_date(cert.issued_at.replace(tzinfo=UTC))
    names = f"{cert.name} ({cert.name_other})" if cert.name_other else cert.name
    pdf.set_title(f"{en.heading} / {ja.heading}: {names}")
    pdf.set_author("Kizuna")
    pdf.set_lang("en")
    pdf.add_font(FAMILY, "", str(fonts[0]))
    pdf.add_font(FAMILY, "B", str(fonts[1]))
    pdf.set_auto_page_break(False)
    pdf.set_margins(24, 18, 24)
    pdf.add_page()
    # A double frame in the site's blue.
    pdf.set_draw_color(5, 80, 174)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, 281, 194)
    pdf.set_line_width(0.4)
    pdf.rect(11, 11, 275, 188)
    pdf.set_text_color(27, 31, 36)
    width = pdf.epw

    def centred(text: str, size: float, style: str = "", gap: float = 1.0) -> None:
        if not text:
            return
        pdf.set_font(FAMILY, style, size)
        pdf.multi_cell(width, size * 0.45, text, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    pdf.set_y(20)
    centred(en.heading, 26, "B", 0)
    centred(ja.heading, 22, "B", 5)
    centred(en.certifies, 12, "", 0)
    centred(ja.certifies, 12, "", 3)
    centred(cert.name, name_size(cert.name, 30), "B", 1 if cert.name_other else 2)
    centred(cert.name_other, name_size(cert.name_other, 20), "B", 2)
    if cert.team_name:
        centred(en.team, 12, "", 0)
        centred(ja.team, 12, "", 3)
    centred(en.statement, 15, "B", 0)
    centred(ja.statement, 15, "B", 4)
    if en.rank:
        centred(en.rank, 13, "", 0)
        centred(ja.rank, 13, "", 3)
    centred(en.issued, 11, "", 0)
    centred(ja.issued, 11, "", 3)
    pdf.set_y(166)
    centred(en.verify, 9, "", 0)
    centred(ja.verify, 9, "", 1)
    centred(f"{en.code} · {ja.code}", 10, "B", 0)
    return bytes(pdf.output())
