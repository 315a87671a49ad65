"""Results exports (エクスポート): the final standings, solves, submissions and awards, as CSV or
JSON, for the organisers (``Action.RESULTS_EXPORT``: admins and judges). The API, the staff page and
``kizuna export`` all call :func:`start_export` and write what :meth:`Export.chunks` yields.

- **Write-ups** (解説, ``services/writeups.py``) are one more export: CSV, JSON, or one Markdown
  document (``md``) with a section per write-up.
- **Final standings** are the live (unfrozen) board: ``scoreboard.standings(ctx, None)``. The rows
  come from :func:`standings_rows`, which takes a ``Board`` — any board: a filtered one (per bracket
  or country, with its own ranks) is one call away.
- **Times** are written as ISO 8601 in the chosen zone, with its offset (``domain.exports``).
- **Names** are exactly as stored. In CSV every text cell that a spreadsheet would read as a formula
  is prefixed with ``'`` (``domain.spreadsheet``); JSON keeps the exact text.
- **CSV** is UTF-8 with a byte order mark by default: Excel (Japanese Windows above all) reads a
  UTF-8 file without one as Shift_JIS and garbles every Japanese name. ``bom=False`` leaves it out
  for programs that do not expect it.
- **Bounded work**: solves, submissions and awards are read a batch at a time while the answer is
  written (``storage/export_queries.py``); nothing but the standings is held whole.
- **Audited**: each export appends ``results.exported`` to the audit trail (who, which export,
  format and zone, when, from where) before the first byte is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.exports import (
    COLUMNS,
    ExportFormat,
    ExportKind,
    file_name,
    parse_format,
    parse_kind,
    parse_zone,
    zoned_iso,
)
from kizuna.domain.spreadsheet import csv_records
from kizuna.services import scoreboard, writeups
from kizuna.services.context import Context
from kizuna.services.scoreboard import Board, BoardFilter
from kizuna.storage import export_queries as q
from kizuna.storage.uow import Actor

MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.JSON: "application/json",
    ExportFormat.MARKDOWN: "text/markdown; charset=utf-8",
}
AUDIT_ACTION = "results.exported"


def standings_rows(ctx: Context, board: Board) -> list[dict[str, Any]]:
    """One row per ranked account of ``board``, in its order: rank, name, score, members (team
    mode), affiliation and country as stored."""
    with ctx.db.read() as s:
        profiles = q.account_profiles(s, board.mode, [r.account_id for r in board.rows])
    return [
        {
            "rank": r.pos,
            "account_id": r.account_id,
            "name": r.name,
            "score": r.score,
            "members": [{"id": m.id, "name": m.name, "score": m.score} for m in r.members],
            "affiliation": profiles.get(r.account_id, ("", ""))[0],
            "country": profiles.get(r.account_id, ("", ""))[1],
            "bracket_id": r.bracket_id,
            "bracket": r.bracket_name or "",
            "last_scored_at": r.last_scored_at,
        }
        for r in board.rows
    ]


def final_standings(ctx: Context) -> list[dict[str, Any]]:
    """The final standings: the live board, whatever the freeze (exports are for staff)."""
    return standings_rows(ctx, scoreboard.standings(ctx, None))


def rows_of(ctx: Context, kind: ExportKind, board: Board | None = None) -> Iterator[dict[str, Any]]:
    """The rows of an export, read as they are written (the standings at once: ``board``, or the
    final standings when None)."""
    if kind is ExportKind.STANDINGS:
        yield from (standings_rows(ctx, board) if board is not None else final_standings(ctx))
        return
    if kind is ExportKind.WRITEUPS:
        yield from writeups.export_rows(ctx)
        return
    with ctx.db.read() as s:
        mode = q.mode(s)
    if kind is ExportKind.SOLVES:
        yield from q.iter_solves(ctx.db.read, mode)
    elif kind is ExportKind.SUBMISSIONS:
        yield from q.iter_submissions(ctx.db.read, mode)
    else:
        yield from q.iter_awards(ctx.db.read, mode)


@dataclass(frozen=True)
class Export:
    kind: ExportKind
    format: ExportFormat
    zone: str
    bom: bool
    started_at: datetime
    rows: Iterator[dict[str, Any]]

    @property
    def columns(self) -> tuple[str, ...]:
        return COLUMNS[self.kind]

    @property
    def file_name(self) -> str:
        return file_name(self.kind, self.format, self.started_at)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    def chunks(self) -> Iterator[bytes]:
        if self.format is ExportFormat.CSV:
            return csv_chunks(self.columns, self.rows, ZoneInfo(self.zone), bom=self.bom)
        if self.format is ExportFormat.MARKDOWN:
            return markdown_chunks(self.rows, ZoneInfo(self.zone))
        meta = {
            "kind": self.kind.value,
            "time_zone": self.zone,
            "generated_at": zoned_iso(self.started_at, ZoneInfo(self.zone)),
            "columns": list(self.columns),
        }
        return json_chunks(meta, self.columns, self.rows, ZoneInfo(self.zone))


def start_export(
    ctx: Context,
    kind: object,
    format: object = "",
    zone: object = "",
    *,
    bom: bool = True,
    actor: Actor | None = None,
    board: Board | None = None,
    filters: Mapping[str, str] | None = None,
    which: BoardFilter | None = None,
) -> Export:
    """Check what is asked (``DomainError`` for an unknown kind, format or zone), record it in the
    audit trail and return the export, whose rows are read as its chunks are taken. ``actor`` None:
    whoever the request acts as (the CLI: "system"). ``board``: the standings to export instead of
    the final ones (a filtered board, per bracket or country), with the ``filters`` that made it
    (recorded in the audit entry). ``which``: the standings of one bracket, country or affiliation,
    ranked within it (``scoreboard.board_of``); a filter on another kind of export is refused."""
    chosen_kind = parse_kind(kind)
    chosen_format = parse_format(format, chosen_kind)
    chosen_zone = parse_zone(zone)
    if which is not None and not which.empty:
        if chosen_kind is not ExportKind.STANDINGS:
            raise DomainError(ErrorCode.VALUE_INVALID, field=which.fields()[0])
        board = scoreboard.board_of(scoreboard.standings(ctx, None), which)
        filters = which.params()
    now = ctx.now().replace(microsecond=0)
    with ctx.write() as uow:
        uow.audit(
            actor,
            AUDIT_ACTION,
            "export",
            chosen_kind.value,
            after={
                "kind": chosen_kind.value,
                "format": chosen_format.value,
                "time_zone": chosen_zone,
                "bom": bom if chosen_format is ExportFormat.CSV else False,
                **({"filters": dict(filters)} if filters else {}),
            },
        )
    return Export(chosen_kind, chosen_format, chosen_zone, bom, now, rows_of(ctx, chosen_kind, board))


# --- writing ---------------------------------------------------------------------------------------


def _csv_value(value: Any, zone: ZoneInfo) -> object:
    if isinstance(value, datetime):
        return zoned_iso(value, zone)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):  # the members of a team: their names, one a line
        return "\n".join(str(m["name"]) for m in value)
    return value


def csv_chunks(
    columns: tuple[str, ...], rows: Iterator[dict[str, Any]], zone: ZoneInfo, *, bom: bool = True
) -> Iterator[bytes]:
    """The CSV, a record at a time: ``domain.spreadsheet.csv_records`` writes every cell with
    ``safe_cell`` (no cell is ever read as a formula), times in ``zone``."""
    records = ([_csv_value(row.get(c), zone) for c in columns] for row in rows)
    return csv_records(columns, records, bom=bom)


def json_row(columns: tuple[str, ...], row: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """One JSON object: texts exactly as stored, times in ``zone``."""
    out: dict[str, Any] = {}
    for c in columns:
        value = row.get(c)
        out[c] = zoned_iso(value, zone) if isinstance(value, datetime) else value
    return out


def json_chunks(
    meta: dict[str, Any], columns: tuple[str, ...], rows: Iterator[dict[str, Any]], zone: ZoneInfo
) -> Iterator[bytes]:
    """``{"success": true, "meta": {...}, "data": [...]}`` (the API's envelope), an object at a time."""
    yield b'{"success":true,"meta":' + _dumps(meta) + b',"data":['
    first = True
    for row in rows:
        yield (b"" if first else b",") + _dumps(json_row(columns, row, zone))
        first = False
    yield b"]}"


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def markdown_chunks(rows: Iterator[dict[str, Any]], zone: ZoneInfo) -> Iterator[bytes]:
    """The write-ups as one Markdown document: a section per write-up (challenge — account), its
    details as a list, then its text exactly as written, sections divided by rules."""
    yield b"# Write-ups\n"
    for row in rows:
        comment = " / ".join(x for x in (row["comment_en"], row["comment_ja"]) if x)
        details = [
            f"- id: {row['id']}",
            f"- user: {row['user']}",
            f"- locale: {row['locale']}",
            f"- updated: {zoned_iso(row['updated_at'], zone)}",
            f"- prize: {'yes' if row['prize'] else 'no'}" + (f" — {comment}" if comment else ""),
        ]
        section = f"\n---\n\n## {row['challenge']} — {row['account']}\n\n" + "\n".join(details)
        yield (section + "\n\n" + row["content"].rstrip("\n") + "\n").encode("utf-8")
