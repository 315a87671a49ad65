"""Use cases for challenges: create, update, delete, and who may see what.

A player sees a challenge when it is ``visible`` and its prerequisites (other challenges, by id) are
all solved by the player's account. An unmet prerequisite hides the challenge entirely, unless the
requirements say ``anonymize``, in which case it is listed as a locked "???" entry with no content.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kizuna.challenge_types import ChallengeScoring
from kizuna.domain import schedule
from kizuna.domain.clock import utc
from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.domain.event_state import MILESTONE_GRACE, iso_utc
from kizuna.domain.events import Audience
from kizuna.services.context import Context
from kizuna.services.translations import apply_challenge_text
from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.storage.db import CHALLENGES, SCOREBOARD
from kizuna.storage.uow import UnitOfWork

FIELDS = (
    "name",
    "category",
    "description",
    "attribution",
    "connection_info",
    "value",
    "type",
    "state",
    "max_attempts",
    "position",
    "logic",
    "function",
    "practice",
    "initial",
    "minimum",
    "decay",
    "next_id",
    "requirements",
    "release_at",
    "close_at",
    "scheduled_at",  # ctfcli's name (CTFd master) for the release time
)
STATES = ("visible", "hidden")
LOGICS = ("any", "all", "team")


def scoring_of(ch: t.Challenge) -> ChallengeScoring:
    return ChallengeScoring(ch.value, ch.function, ch.initial, ch.minimum, ch.decay)


def _as_int(value: Any, field: str, minimum: int = 0) -> int:
    try:
        out = int(value)
    except (TypeError, ValueError):
        raise DomainError(ErrorCode.VALUE_INVALID, field=field) from None
    if out < minimum:
        raise DomainError(ErrorCode.VALUE_INVALID, field=field)
    return out


def practice_flag(value: Any) -> bool:
    """``practice`` as sent: a JSON boolean (or absent/null: false); a form's "on"/"true"/"1"."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in (
        "",
        "0",
        "false",
        "off",
        "no",
        "1",
        "true",
        "on",
        "yes",
    ):
        return value.strip().lower() in ("1", "true", "on", "yes")
    raise DomainError(ErrorCode.VALUE_INVALID, field="practice")


def schedule_time(value: Any, field: str) -> datetime | None:
    """A release or close time as stored (naive UTC). Text is ISO 8601 and must carry its offset
    ("Z" or "+09:00"), as ctfcli's ``scheduled_at``: a naive time is refused rather than guessed.
    A ``datetime`` comes from our own forms (``web.zoned_inputs``), naive meaning UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str) and len(value) <= 64:
        try:
            dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise DomainError(ErrorCode.VALUE_INVALID, field=field) from None
        if dt.tzinfo is None:
            raise DomainError(ErrorCode.TIME_OFFSET_REQUIRED, field=field)
    else:
        raise DomainError(ErrorCode.VALUE_INVALID, field=field)
    out = utc(dt)
    assert out is not None
    if not 1970 <= out.year <= 9999:
        raise DomainError(ErrorCode.VALUE_INVALID, field=field)
    return out.replace(tzinfo=None)


def _apply_schedule(ch: t.Challenge, fields: dict[str, Any]) -> None:
    if "release_at" in fields:
        ch.release_at = schedule_time(fields["release_at"], "release_at")
    elif "scheduled_at" in fields:
        ch.release_at = schedule_time(fields["scheduled_at"], "scheduled_at")
    if "close_at" in fields:
        ch.close_at = schedule_time(fields["close_at"], "close_at")
    if ch.release_at is not None and ch.close_at is not None and ch.close_at <= ch.release_at:
        raise DomainError(ErrorCode.VALUE_INVALID, field="close_at")


def _normalise_requirements(s: Any, raw: Any, self_id: int | None) -> dict[str, Any] | None:
    if raw in (None, "", {}):
        return None
    if isinstance(raw, list):
        raw = {"prerequisites": raw}
    if not isinstance(raw, dict):
        raise DomainError(ErrorCode.VALUE_INVALID, field="requirements")
    prereqs = []
    for item in raw.get("prerequisites") or []:
        cid = _as_int(item, "requirements", minimum=1)
        if cid == self_id:
            continue  # a challenge cannot require itself
        if s.get(t.Challenge, cid) is None:
            raise DomainError(ErrorCode.VALUE_INVALID, field="requirements")
        prereqs.append(cid)
    return {"prerequisites": prereqs, "anonymize": bool(raw.get("anonymize", False))}


def apply_fields(ctx: Context, s: Any, ch: t.Challenge, data: dict[str, Any]) -> None:
    """Validate and apply create/update ``data`` (the API's field names) to ``ch``, inside the caller's
    write transaction (``s``); also used by the challenge-folder import."""
    fields = {k: v for k, v in data.items() if k in FIELDS}
    type_name = str(fields.get("type") or ch.type or "standard")
    ctype = ctx.types.get(type_name)
    merged: dict[str, Any] = {
        "value": ch.value,
        "function": ch.function,
        "initial": ch.initial,
        "minimum": ch.minimum,
        "decay": ch.decay,
    }
    scoring_keys = {"value", "function", "initial", "minimum", "decay"}
    if (
        "type" in fields
        and fields["type"] != ch.type
        and type_name == "dynamic"
        and not fields.get("function")
    ):
        merged["function"] = None
    merged.update({k: v for k, v in fields.items() if k in scoring_keys})
    if "function" in fields and fields["function"] == "static":
        merged.update(initial=None, minimum=None, decay=None)
    prepared = ctype.prepare(merged)
    ch.type = type_name
    ch.function = prepared["function"]
    if ch.function == "static":
        ch.initial = ch.minimum = ch.decay = None
        if prepared.get("value") is not None:
            ch.value = prepared["value"]
    else:
        ch.initial, ch.minimum, ch.decay = prepared["initial"], prepared["minimum"], prepared["decay"]
    for key in ("name", "category", "description", "attribution"):
        if key in fields:
            text = "" if fields[key] is None else str(fields[key])
            if key == "name" and not text.strip():
                raise DomainError(ErrorCode.FIELD_REQUIRED, field="name")
            setattr(ch, key, text.strip() if key in ("name", "category") else text)
    if "connection_info" in fields:
        ch.connection_info = fields["connection_info"] or None
    if "state" in fields:
        if fields["state"] not in STATES:
            raise DomainError(ErrorCode.VALUE_INVALID, field="state")
        ch.state = fields["state"]
    if "logic" in fields:
        if (fields["logic"] or "any") not in LOGICS:
            raise DomainError(ErrorCode.VALUE_INVALID, field="logic")
        ch.logic = fields["logic"] or "any"
    if "practice" in fields:
        ch.practice = practice_flag(fields["practice"])
    if "max_attempts" in fields:
        ch.max_attempts = _as_int(fields["max_attempts"] or 0, "max_attempts")
    if "position" in fields:
        ch.position = _as_int(fields["position"] or 0, "position")
    if "next_id" in fields:
        nid = fields["next_id"]
        ch.next_id = None if nid in (None, "", 0) else _as_int(nid, "next_id", minimum=1)
    if "requirements" in fields:
        ch.requirements = _normalise_requirements(s, fields["requirements"], ch.id)
    _apply_schedule(ch, fields)
    apply_challenge_text(s, ch, data)


def _default_locale(s: Any) -> str:
    ev = s.get(t.Event, 1)
    return (ev.default_locale if ev is not None else "") or "en"


def new_challenge(s: Any, locale: str = "") -> t.Challenge:
    """An empty challenge row with the defaults, in ``locale`` (default: the event's language); the
    caller fills it with ``apply_fields`` and adds it to the session."""
    return t.Challenge(
        name="",
        category="",
        description="",
        attribution="",
        value=0,
        type="standard",
        state="visible",
        max_attempts=0,
        position=0,
        logic="any",
        function="static",
        locale=locale or _default_locale(s),
    )


def create_challenge(ctx: Context, data: dict[str, Any]) -> t.Challenge:
    if not str(data.get("name") or "").strip():
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="name")
    with ctx.write() as uow:
        s = uow.session
        ch = new_challenge(s, str(data.get("locale") or ""))
        payload = dict(data)
        payload.setdefault("type", "standard")
        if payload.get("value") is None and payload.get("type") == "standard" and not payload.get("function"):
            payload["value"] = 0
        apply_fields(ctx, s, ch, payload)
        s.add(ch)
        s.flush()
        if ch.requirements and ch.id in ch.requirements.get("prerequisites", []):
            ch.requirements["prerequisites"].remove(ch.id)
        _recompute_value(ctx, s, ch)
        uow.bump(CHALLENGES, SCOREBOARD)
        uow.emit("challenge_changed", {"challenge_id": ch.id}, audience=Audience.STAFF)
        if schedule.player_visible(ch.state, ch.release_at, ctx.now()):
            uow.emit("challenge_released", {"challenge_id": ch.id})
        uow.audit(None, "challenge.created", "challenge", ch.id, after=audit_values(ch))
    return ch


def update_challenge(ctx: Context, challenge_id: int, data: dict[str, Any]) -> t.Challenge:
    with ctx.write() as uow:
        s = uow.session
        ch = s.get(t.Challenge, challenge_id)
        if ch is None:
            raise NotFound()
        before = audit_values(ch)
        now = ctx.now()
        was_out = schedule.player_visible(ch.state, ch.release_at, now)
        apply_fields(ctx, s, ch, data)
        _recompute_value(ctx, s, ch)
        uow.bump(CHALLENGES, SCOREBOARD)
        uow.emit("challenge_changed", {"challenge_id": challenge_id}, audience=Audience.STAFF)
        # Shown to players just now (made visible, or its release time taken back to the past);
        # a release time still to come is announced when it passes (jobs.event_clock).
        if not was_out and schedule.player_visible(ch.state, ch.release_at, now):
            uow.emit("challenge_released", {"challenge_id": ch.id})
        audit_change(uow, "challenge.updated", "challenge", ch.id, before, audit_values(ch))
    return ch


def audit_values(ch: t.Challenge) -> dict[str, Any]:
    """What the audit trail records of a challenge (the flags are rows of their own)."""
    return {
        "name": ch.name,
        "category": ch.category,
        "description": ch.description,
        "value": ch.value,
        "state": ch.state,
        "type": ch.type,
        "max_attempts": ch.max_attempts,
        "connection_info": ch.connection_info,
        "requirements": ch.requirements,
        "translations": ch.translations,
        "release_at": iso_utc(ch.release_at),
        "close_at": iso_utc(ch.close_at),
        "practice": bool(ch.practice),
    }


def audit_change(
    uow: UnitOfWork,
    action: str,
    target_type: str,
    target_id: int,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """Audit only the fields that changed (nothing when nothing did)."""
    changed = [key for key in after if before.get(key) != after[key]]
    if changed:
        uow.audit(
            None,
            action,
            target_type,
            target_id,
            before={k: before.get(k) for k in changed},
            after={k: after[k] for k in changed},
        )


def delete_challenge(ctx: Context, challenge_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        ch = s.get(t.Challenge, challenge_id)
        if ch is None:
            raise NotFound()
        locations = [f.location for f in s.query(t.File).filter(t.File.challenge_id == challenge_id)]
        uow.audit(None, "challenge.deleted", "challenge", ch.id, before=audit_values(ch))
        s.delete(ch)
        uow.bump(CHALLENGES, SCOREBOARD)
        uow.emit("challenge_changed", {"challenge_id": challenge_id}, audience=Audience.STAFF)
    # The rows went with the challenge (ON DELETE CASCADE); the stored files go once that committed.
    for location in locations:
        remove_stored_file(ctx, location)


def remove_stored_file(ctx: Context, location: str) -> None:
    """Delete an uploaded file and its random directory; never anything outside the upload directory."""
    root = Path(ctx.upload_dir).resolve()
    path = (root / location).resolve()
    if root not in path.parents or not path.is_file():
        return
    path.unlink()
    with contextlib.suppress(OSError):
        path.parent.rmdir()


def _recompute_value(ctx: Context, s: Any, ch: t.Challenge, solves: int | None = None) -> None:
    """Decaying challenges store their current value; recomputed after every solve and edit.
    ``solves``: the count of solves that decay it (``repo.solve_count``) when the caller has it."""
    if ch.function != "static":
        count = repo.solve_count(s, ch.id) if solves is None else solves
        ch.value = ctx.types.get(ch.type).current_value(scoring_of(ch), count)


def recompute_value(ctx: Context, s: Any, challenge_id: int, solves: int | None = None) -> None:
    ch = s.get(t.Challenge, challenge_id)
    if ch is not None:
        _recompute_value(ctx, s, ch, solves)


@dataclass(frozen=True)
class Access:
    visible: bool  # may see and attempt it
    listed: bool  # appears in the list (possibly anonymised)


def access(ch: t.Challenge, solved: set[int], view_all: bool, *, now: datetime) -> Access:
    """How a challenge shows to an account that solved ``solved``; ``view_all``: the reader's role
    may view every challenge (``Action.CHALLENGE_VIEW_ALL``), hidden and locked ones included.
    Before its release time (``now``) a visible challenge is, for players, as if hidden."""
    if view_all:
        return Access(True, True)
    if not schedule.player_visible(ch.state, ch.release_at, now):
        return Access(False, False)
    prereqs = set((ch.requirements or {}).get("prerequisites") or [])
    if prereqs <= solved:
        return Access(True, True)
    return Access(False, bool((ch.requirements or {}).get("anonymize")))


def get_for_player(ctx: Context, challenge_id: int, account_id: int | None, view_all: bool) -> t.Challenge:
    """The challenge if this account may see it; otherwise NotFound (never reveal that it exists)."""
    with ctx.db.read() as s:
        ch = s.get(t.Challenge, challenge_id)
        solved = repo.solved_ids(s, account_id) if account_id is not None else set()
    if ch is None or not access(ch, solved, view_all, now=ctx.now()).visible:
        raise NotFound()
    return ch


# --- scheduled releases ---------------------------------------------------------------------------

# A release is announced only if its time passed at most this long ago (as the event clock's
# milestones: a process started long after does not announce stale news).
RELEASE_GRACE = MILESTONE_GRACE


@dataclass(frozen=True)
class Release:
    challenge_id: int
    at: datetime  # naive UTC

    @property
    def key(self) -> str:
        """The event log's unique key of this release's announcement: however many processes
        notice it, it is stored (and so sent) once. A release time moved later is a new release."""
        return f"challenge_released:{self.challenge_id}:{iso_utc(self.at)}"


def due_releases(ctx: Context, now: datetime | None = None) -> list[Release]:
    """The visible challenges whose release time passed in the last ``RELEASE_GRACE`` (a read).
    A release at or before the event's start is not news: the challenge is there from the start."""
    now = now or ctx.now()
    with ctx.db.read() as s:
        ev = repo.event(s)
        found = repo.releases_between(s, now - RELEASE_GRACE, now)
    start = ev.start_at
    return [Release(cid, at) for cid, at in found if start is None or at > start]


def record_releases(ctx: Context, wanted: list[Release]) -> list[Release]:
    """Announce each release of ``wanted`` still due (the challenge still visible with that release
    time), under its key: another process that got there first makes it a no-op. Returns the ones
    this call appended."""
    appended: list[Release] = []
    if not wanted:
        return appended
    with ctx.write() as uow:
        s = uow.session
        now = ctx.now()
        for release in wanted:
            ch = s.get(t.Challenge, release.challenge_id)
            if (
                ch is None
                or ch.release_at != release.at
                or not schedule.player_visible(ch.state, ch.release_at, now)
            ):
                continue  # changed since it was read
            if ch.id in repo.announced_since(s, release.at):
                continue  # announced since its release time: made visible by hand after it passed
            row = uow.emit("challenge_released", {"challenge_id": ch.id}, key=release.key)
            if row is not None:
                appended.append(release)
        if appended:
            # The snapshots' keys follow release times by themselves; the bump tells every cache.
            uow.bump(CHALLENGES, SCOREBOARD)
    return appended
