"""The event's settings and clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kizuna.domain.clock import EventClock, Phase, utc
from kizuna.domain.email_domains import normalise_domains
from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.domain.event_state import iso_utc
from kizuna.domain.events import EventState
from kizuna.domain.scoring import first_blood_bonus
from kizuna.domain.text import MAX_LOCALES, validate_locale
from kizuna.domain.zones import validate_time_zones, zones_or_default
from kizuna.services import two_factor
from kizuna.services.context import Context
from kizuna.services.translations import EVENT_TEXT, apply_text
from kizuna.storage import repo
from kizuna.storage import tables as t
from kizuna.storage.db import CHALLENGES, SCOREBOARD

MODES = ("teams", "users")
EDITABLE = (
    "name",
    "description",
    "mode",
    "team_size_limit",
    "start_at",
    "end_at",
    "freeze_at",
    "paused",
    "registration_open",
    "email_required",
    "default_locale",
    "time_zones",
    "content_locales",
    "locale",
    "translations",
    "venue_rows",
    "venue_theme",
    "two_factor_roles",
    "email_verification",
    "email_domains",
    "first_blood_bonus",
)
TEXT_KEYS = ("locale", "translations")


def get_event(ctx: Context) -> t.Event:
    with ctx.db.read() as s:
        ev = s.get(t.Event, 1)
        return (
            ev
            if ev is not None
            else t.Event(
                id=1,
                name="Kizuna CTF",
                description="",
                mode="teams",
                team_size_limit=4,
                paused=False,
                registration_open=True,
                email_required=False,
                default_locale="en",
                locale="en",
            )
        )


def time_zones(ev: t.Event) -> list[str]:
    """The event's home zones, first one first (default: Europe/London and Asia/Tokyo)."""
    return zones_or_default(ev.time_zones)


def _content_locales(value: Any) -> list[str] | None:
    """The content fallback order: distinct locale codes; empty (or null) means the default order."""
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise DomainError(ErrorCode.VALUE_INVALID, field="content_locales")
    codes = list(dict.fromkeys(validate_locale(code, "content_locales") for code in value))
    if len(codes) > MAX_LOCALES:
        raise DomainError(ErrorCode.VALUE_INVALID, field="content_locales")
    return codes or None


# The venue screen never scrolls: at 1920×1080 up to 20 rows keep their text at 32 px or more.
VENUE_ROWS = (1, 20)
VENUE_ROWS_DEFAULT = 10


# The venue screen's colours: the site's light theme, or a high-contrast dark one for a projector
# in a dark hall (white on black, the teams in lighter colours: scoreboard.COLOURS_DARK).
VENUE_THEMES = ("light", "dark")
VENUE_THEME_DEFAULT = "light"


def venue_theme(ev: t.Event) -> str:
    """The venue screen's theme (the default when unset)."""
    return ev.venue_theme if ev.venue_theme in VENUE_THEMES else VENUE_THEME_DEFAULT


def _venue_rows(value: Any) -> int:
    """How many rows of the scoreboard the venue screen shows: a whole number within VENUE_ROWS."""
    if isinstance(value, bool):
        raise DomainError(ErrorCode.VALUE_INVALID, field="venue_rows")
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit()):  # int() would also take "٣" or "1_0"
            raise DomainError(ErrorCode.VALUE_INVALID, field="venue_rows")
    try:
        rows = int(value)
    except (TypeError, ValueError):
        raise DomainError(ErrorCode.VALUE_INVALID, field="venue_rows") from None
    if isinstance(value, float) and value != rows:
        raise DomainError(ErrorCode.VALUE_INVALID, field="venue_rows")
    low, high = VENUE_ROWS
    if not low <= rows <= high:
        raise DomainError(ErrorCode.VALUE_INVALID, field="venue_rows")
    return rows


def clock_of(ev: t.Event) -> EventClock:
    return EventClock(ev.start_at, ev.end_at, ev.freeze_at, bool(ev.paused))


def phase(ctx: Context) -> Phase:
    return clock_of(get_event(ctx)).phase(ctx.now())


def _naive_utc(value: Any, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise DomainError(ErrorCode.VALUE_INVALID, field=field) from None
    out = utc(dt)
    assert out is not None
    return out.replace(tzinfo=None)


def update_event(ctx: Context, changes: dict[str, Any], mail_ready: bool = True) -> t.Event:
    """Change event settings. Times are ISO 8601; without an offset they are taken as UTC.

    ``name`` and ``description`` are in the event's own ``locale``; ``locale`` and ``translations``
    (``{"ja": {"name": …, "description": …}}``) set the other languages, as for challenges.

    ``email_domains`` is normalised (lower case, IDNA; ``domain.email_domains``); turning
    ``email_verification`` on needs mail that can carry links (``mail_ready``, the web layer knows)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(ErrorCode.VALUE_INVALID, field=sorted(unknown)[0])
    with ctx.write() as uow:
        s = uow.session
        ev = repo.event(s)
        before = {key: getattr(ev, key) for key in EDITABLE if hasattr(ev, key)}
        for key, value in changes.items():
            if key in ("start_at", "end_at", "freeze_at"):
                setattr(ev, key, _naive_utc(value, key))
            elif key == "mode":
                if value not in MODES:
                    raise DomainError(ErrorCode.VALUE_INVALID, field="mode")
                ev.mode = value
            elif key == "team_size_limit":
                try:
                    size = int(value)
                except (TypeError, ValueError):
                    raise DomainError(ErrorCode.VALUE_INVALID, field=key) from None
                if size < 0:
                    raise DomainError(ErrorCode.VALUE_INVALID, field=key)
                ev.team_size_limit = size
            elif key == "venue_rows":
                ev.venue_rows = _venue_rows(value)
            elif key == "first_blood_bonus":
                # Points for the 1st, 2nd and 3rd solve of each challenge; None (or all 0): off.
                try:
                    bonus = first_blood_bonus(value)
                except ValueError:
                    raise DomainError(ErrorCode.VALUE_INVALID, field=key) from None
                ev.first_blood_bonus = list(bonus) if bonus is not None else None
            elif key == "venue_theme":
                if value not in VENUE_THEMES:
                    raise DomainError(ErrorCode.VALUE_INVALID, field="venue_theme")
                ev.venue_theme = value
            elif key == "two_factor_roles":
                # Which staff roles must use two-factor authentication; None: the default (admins).
                ev.two_factor_roles = None if value is None else two_factor.validate_roles(value)
            elif key in ("paused", "registration_open", "email_required"):
                setattr(ev, key, bool(value))
            elif key == "email_verification":
                if value and not ev.email_verification and not mail_ready:
                    raise DomainError(ErrorCode.MAIL_UNAVAILABLE, field="email_verification")
                ev.email_verification = bool(value)
            elif key == "email_domains":
                ev.email_domains = normalise_domains(value)
            elif key == "time_zones":
                ev.time_zones = None if value is None else validate_time_zones(value)
            elif key == "content_locales":
                ev.content_locales = _content_locales(value)
            elif key in TEXT_KEYS:
                continue  # after the plain fields, below
            elif key == "name":
                if not str(value).strip():
                    raise DomainError(ErrorCode.FIELD_REQUIRED, field="name")
                ev.name = str(value).strip()[:200]
            else:
                setattr(ev, key, str(value))
        if any(key in changes for key in TEXT_KEYS):
            apply_text(ev, changes, EVENT_TEXT, required=("name",))
        if ev.start_at and ev.end_at and ev.end_at <= ev.start_at:
            raise DomainError(ErrorCode.VALUE_INVALID, field="end_at")
        uow.bump(SCOREBOARD, CHALLENGES)
        uow.emit("event_changed", {})
        after = {key: getattr(ev, key) for key in before}
        changed = [key for key in before if before[key] != after[key]]
        # The settings form can pause, resume and move the end too: live pages hear of it as they
        # do from the event control page (a pause set here has no reason; resuming clears one).
        if "paused" in changed:
            if not ev.paused:
                ev.pause_reason = None
            state = EventState.PAUSED if ev.paused else EventState.RESUMED
            uow.emit("event_state", {"state": state.value, "reason": {}, "end_at": iso_utc(ev.end_at)})
        # A moved end (not a first one) is news for live countdowns.
        if "end_at" in changed and before["end_at"] is not None and ev.end_at is not None:
            uow.emit(
                "event_state",
                {"state": EventState.EXTENDED.value, "reason": {}, "end_at": iso_utc(ev.end_at)},
            )
        if changed:
            uow.audit(
                None,
                "event.settings_changed",
                "event",
                ev.id,
                before={k: before[k] for k in changed},
                after={k: after[k] for k in changed},
            )
    return ev
