"""One row by id, for use cases that only read or delete it: NotFound when it is not there."""

from __future__ import annotations

from typing import TypeVar

from kizuna.domain.errors import NotFound
from kizuna.services.context import Context

Row = TypeVar("Row")


def get_row(ctx: Context, table: type[Row], row_id: int) -> Row:
    with ctx.db.read() as s:
        row = s.get(table, row_id)
    if row is None:
        raise NotFound()
    return row


def delete_row(ctx: Context, table: type[object], row_id: int, kind: str) -> None:
    """Delete one row, audited as ``<kind>.deleted`` with ``kind`` as the target type."""
    with ctx.write() as uow:
        s = uow.session
        row = s.get(table, row_id)
        if row is None:
            raise NotFound()
        uow.audit(None, f"{kind}.deleted", kind, row_id)
        s.delete(row)
