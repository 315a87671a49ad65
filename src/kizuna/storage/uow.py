"""The unit of work: one write transaction that also bumps snapshot revisions, appends typed events
to the stored event log and records audit entries — all committed together or not at all.

Services open it with ``ctx.write()`` (``kizuna.services.context``); after the commit the context
publishes the appended events on the bus, which only wakes streams up: the ``events`` table is the
source of truth, so a process that dies between commit and publication loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kizuna.domain.events import EVENT_TYPES, Audience
from kizuna.storage import tables as t
from kizuna.storage.db import SCOREBOARD, bump, revisions
from kizuna.storage.raw import Raw, on_sqlite


class Actor(Protocol):
    """Who acts, as the audit trail records it (``services.accounts.Principal`` is one)."""

    @property
    def user_id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def address(self) -> str: ...


@dataclass
class ActingAs:
    """Who the current request (or CLI command) acts as. The web layer puts a fresh box in
    :data:`acting` for each request and fills it when it knows the principal; a box (not the value
    itself) because FastAPI runs dependencies in copies of the context, which share the box."""

    actor: Actor | None = None


acting: ContextVar[ActingAs | None] = ContextVar("kizuna_acting", default=None)


def current_actor() -> Actor | None:
    box = acting.get()
    return box.actor if box is not None else None


# Built once: appending an event is on every attempt's path.
_EVENT_COLUMNS = ("type", "data", "audience", "account_id", "created_at")
_INSERT_EVENT = insert(t.Base.metadata.tables["events"]).values({c: bindparam(c) for c in _EVENT_COLUMNS})
_RAW_INSERT_EVENT = Raw(_INSERT_EVENT)  # the same statement on SQLite's driver cursor


def event_dict(row: t.EventLog) -> dict[str, Any]:
    """The plain form of a stored event: what the bus carries and streams read."""
    return {
        "id": row.id,
        "type": row.type,
        "data": dict(row.data or {}),
        "audience": row.audience,
        "account_id": row.account_id,
        "created_at": row.created_at.isoformat(),
    }


class UnitOfWork:
    def __init__(self, session: Session, now: Callable[[], datetime]) -> None:
        self.session = session
        self._now = now
        self._rows: list[t.EventLog] = []
        self._scoreboard_bumped = False

    def now(self) -> datetime:
        """The context's clock (naive UTC), for rows written in this unit of work."""
        return self._now()

    def bump(self, *names: str) -> None:
        """Mark read-heavy views as changed; a changed scoreboard also appends a ``scoreboard``
        event (once per unit of work) carrying the new revision."""
        bump(self.session, *names)
        if SCOREBOARD in names:
            self._scoreboard_bumped = True

    def emit(
        self,
        type: str,
        data: Mapping[str, Any],
        *,
        audience: Audience | str = Audience.PUBLIC,
        account_id: int | None = None,
        key: str | None = None,
    ) -> t.EventLog | None:
        """Append an event to the log in this transaction. With ``key``, an event already stored
        under the same key (another process got there first) makes this a no-op returning None."""
        if type not in EVENT_TYPES:
            raise ValueError(f"undeclared event type {type!r}")
        if set(data) != set(EVENT_TYPES[type]):
            raise ValueError(f"event {type!r} carries {sorted(data)}, declared {EVENT_TYPES[type]}")
        row = t.EventLog(
            type=type,
            data=dict(data),
            audience=str(Audience(audience)),
            account_id=account_id,
            key=key,
            created_at=self._now(),
        )
        if key is None:
            # Inserted now with one prebuilt Core statement: an ORM flush of the row costs several
            # times more, and every flag attempt appends an event.
            values = {c: getattr(row, c) for c in _EVENT_COLUMNS}
            if on_sqlite(self.session):
                row.id = _RAW_INSERT_EVENT.insert(self.session, values)  # kizuna.storage.raw
            else:
                inserted = self.session.connection().execute(_INSERT_EVENT, values).inserted_primary_key
                assert inserted is not None
                row.id = inserted[0]
        else:
            try:
                with self.session.begin_nested():
                    self.session.add(row)
            except IntegrityError:
                return None
        self._rows.append(row)
        return row

    def audit(
        self,
        actor: Actor | None,
        action: str,
        target_type: str = "",
        target_id: object = "",
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a privileged action. Values are stored as JSON; callers leave secrets out.
        ``actor`` None means whoever the current request acts as (:func:`current_actor`)."""
        if actor is None:
            actor = current_actor()
        self.session.add(
            t.AuditEntry(
                at=self._now(),
                actor_id=actor.user_id if actor is not None else None,
                actor_name=actor.name if actor is not None else "",
                actor_role=actor.role if actor is not None else "system",
                action=action,
                target_type=target_type,
                target_id="" if target_id is None else str(target_id),
                before=_jsonable(before),
                after=_jsonable(after),
                address=(actor.address if actor is not None else "")[:64],
            )
        )

    def finish(self) -> None:
        """Before the commit: append the scoreboard event and give every event its id."""
        if self._scoreboard_bumped:
            revision = revisions(self.session).get(SCOREBOARD, 0)
            self.emit("scoreboard", {"revision": revision})
            self._scoreboard_bumped = False
        self.session.flush()

    def published(self) -> list[dict[str, Any]]:
        return [event_dict(row) for row in self._rows]


def _jsonable(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif value is None or isinstance(value, str | int | float | bool | list | dict):
            out[key] = value
        else:
            out[key] = str(value)
    return out


__all__ = ["ActingAs", "Actor", "IntegrityError", "UnitOfWork", "acting", "current_actor", "event_dict"]
