"""The organisers, hosts, sponsors and supporters named on the home page.

Each has a name per language (``name`` in its own ``locale``, the others in ``translations``, resolved
like every other organiser text), an optional link, a group (``GROUPS``, shown in that order) and a
``position`` within its group (lowest first, then the oldest). A link must be an absolute ``http`` or
``https`` address with a host: it is shown to every visitor, so ``javascript:`` and the like are
refused rather than made safe later. Writes are audited (``sponsor.created`` / ``updated`` /
``deleted``) and append ``event_changed``, so live pages may refresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from kizuna.domain.errors import DomainError, ErrorCode, NotFound
from kizuna.services.challenges import audit_change
from kizuna.services.context import Context
from kizuna.services.rows import get_row
from kizuna.services.translations import apply_text
from kizuna.storage import repo
from kizuna.storage import tables as t

SPONSOR_TEXT = ("name",)
GROUPS = ("organisers", "hosts", "sponsors", "supporters")
MAX_NAME = 200
MAX_URL = 500
POSITIONS = (-9999, 9999)
FIELDS = ("name", "url", "group", "position", "locale", "translations")


def validate_url(raw: Any) -> str:
    """The link as stored ("" for none), or URL_INVALID."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise DomainError(ErrorCode.URL_INVALID, field="url")
    url = raw.strip()
    if not url:
        return ""
    if len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise DomainError(ErrorCode.URL_INVALID, field="url")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise DomainError(ErrorCode.URL_INVALID, field="url") from None
    if parts.scheme.lower() not in ("http", "https") or not host or "\\" in url:
        raise DomainError(ErrorCode.URL_INVALID, field="url")
    return url


def _group(raw: Any) -> str:
    if not isinstance(raw, str) or raw.strip().lower() not in GROUPS:
        raise DomainError(ErrorCode.VALUE_INVALID, field="group")
    return raw.strip().lower()


def _position(raw: Any) -> int:
    """A whole number within POSITIONS ("" or None: 0)."""
    if raw is None or raw == "":
        return 0
    if isinstance(raw, bool):
        raise DomainError(ErrorCode.VALUE_INVALID, field="position")
    if isinstance(raw, str):
        text = raw.strip()
        digits = text[1:] if text[:1] in ("-", "+") else text
        if not (digits.isascii() and digits.isdigit()):
            raise DomainError(ErrorCode.VALUE_INVALID, field="position")
        raw = int(text)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if not isinstance(raw, int):
        raise DomainError(ErrorCode.VALUE_INVALID, field="position")
    low, high = POSITIONS
    if not low <= raw <= high:
        raise DomainError(ErrorCode.VALUE_INVALID, field="position")
    return raw


def _check_name(value: str, field: str) -> None:
    if len(value) > MAX_NAME:
        raise DomainError(ErrorCode.TEXT_TOO_LONG, field=field, name=field, max=MAX_NAME, size=len(value))


def _apply(sponsor: t.Sponsor, data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - set(FIELDS) - {"id"})
    if unknown:
        raise DomainError(ErrorCode.VALUE_INVALID, field=unknown[0])
    if "url" in data:
        sponsor.url = validate_url(data["url"])
    if "group" in data:
        sponsor.group = _group(data["group"])
    if "position" in data:
        sponsor.position = _position(data["position"])
    # A new ``locale`` first, so a plain ``name`` in the same payload is in that language.
    apply_text(sponsor, {"locale": data.get("locale")}, SPONSOR_TEXT)
    if "name" in data:
        value = data["name"]
        if value is not None and not isinstance(value, str):
            raise DomainError(ErrorCode.VALUE_INVALID, field="name")
        sponsor.name = (value or "").strip()
    apply_text(sponsor, {"translations": data.get("translations")}, SPONSOR_TEXT, required=("name",))
    if not sponsor.name:
        raise DomainError(ErrorCode.FIELD_REQUIRED, field="name")
    _check_name(sponsor.name, "name")
    for code, values in (sponsor.translations or {}).items():
        if isinstance(values, dict) and isinstance(values.get("name"), str):
            _check_name(values["name"], f"translations.{code}.name")


def _audit_values(sponsor: t.Sponsor) -> dict[str, Any]:
    return {
        "name": sponsor.name,
        "url": sponsor.url,
        "group": sponsor.group,
        "position": sponsor.position,
        "locale": sponsor.locale,
        "translations": sponsor.translations,
    }


def create_sponsor(ctx: Context, data: Mapping[str, Any]) -> t.Sponsor:
    """A new entry: ``name`` (or a translation) required; ``group`` defaults to sponsors."""
    with ctx.write() as uow:
        s = uow.session
        sponsor = t.Sponsor(
            name="",
            url="",
            group="sponsors",
            position=0,
            locale=str(data.get("locale") or "") or repo.event(s).default_locale or "en",
            translations=None,
        )
        _apply(sponsor, data)
        s.add(sponsor)
        s.flush()
        uow.audit(None, "sponsor.created", "sponsor", sponsor.id, after=_audit_values(sponsor))
        uow.emit("event_changed", {})
    return sponsor


def update_sponsor(ctx: Context, sponsor_id: int, data: Mapping[str, Any]) -> t.Sponsor:
    """Change the fields present in ``data``; on any error nothing is changed."""
    with ctx.write() as uow:
        s = uow.session
        sponsor = s.get(t.Sponsor, sponsor_id)
        if sponsor is None:
            raise NotFound()
        before = _audit_values(sponsor)
        _apply(sponsor, data)
        after = _audit_values(sponsor)
        if after != before:
            audit_change(uow, "sponsor.updated", "sponsor", sponsor.id, before, after)
            uow.emit("event_changed", {})
    return sponsor


def delete_sponsor(ctx: Context, sponsor_id: int) -> None:
    with ctx.write() as uow:
        s = uow.session
        sponsor = s.get(t.Sponsor, sponsor_id)
        if sponsor is None:
            raise NotFound()
        uow.audit(None, "sponsor.deleted", "sponsor", sponsor_id, before=_audit_values(sponsor))
        s.delete(sponsor)
        uow.emit("event_changed", {})


def get_sponsor(ctx: Context, sponsor_id: int) -> t.Sponsor:
    return get_row(ctx, t.Sponsor, sponsor_id)


def all_sponsors(ctx: Context) -> list[t.Sponsor]:
    """Every entry in the order the home page shows them: by group (``GROUPS``), position, id."""
    with ctx.db.read() as s:
        rows = list(s.query(t.Sponsor))
    rank = {g: i for i, g in enumerate(GROUPS)}
    return sorted(rows, key=lambda r: (rank.get(r.group, len(GROUPS)), r.position, r.id))
