"""The organisers, hosts, sponsors and supporters named on the home page.

Each has a name per language (``name`` in its own ``locale``, the others in ``translations``, resolved
like every other organiser text), an optional link, a group (``GROUPS``, shown in that order) and a
``position`` within its group (lowest first, then the oldest). A link must be an absolute ``http`` or
``https`` address with a host: it is shown to every visitor, so ``javascript:`` and the like are
refused rather than made safe later. A logo is optional: a PNG, JPEG or WebP image of at most
``MAX_LOGO`` bytes, its type read from its first bytes (never from what the sender claims); SVG and
everything else are refused, because an image that can carry script has no place on a public page.
Writes are audited (``sponsor.created`` / ``updated`` /
``deleted``) and append ``event_changed``, so live pages may refresh.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
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
FIELDS = ("name", "url", "group", "position", "locale", "translations", "logo")
MAX_LOGO = 256 * 1024


@dataclass(frozen=True)
class Logo:
    content_type: str
    data: bytes
    digest: str


def logo_type(data: bytes) -> str:
    """The image type of ``data`` from its signature, or LOGO_TYPE (SVG, GIF, anything else)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise DomainError(ErrorCode.LOGO_TYPE, field="logo")


def check_logo(raw: Any) -> Logo | None:
    """A logo from bytes (an upload) or base64 text (the API; a ``data:`` URL is accepted too);
    None or "" for no logo. LOGO_TOO_LARGE, LOGO_TYPE or VALUE_INVALID (not base64) otherwise."""
    if raw is None or raw == "" or raw == b"":
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("data:"):
            text = text.partition(",")[2]
        if len(text) > (MAX_LOGO * 4) // 3 + 4:
            raise DomainError(ErrorCode.LOGO_TOO_LARGE, field="logo", max=MAX_LOGO // 1024)
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise DomainError(ErrorCode.VALUE_INVALID, field="logo") from None
    if not isinstance(raw, bytes):
        raise DomainError(ErrorCode.VALUE_INVALID, field="logo")
    if len(raw) > MAX_LOGO:
        raise DomainError(ErrorCode.LOGO_TOO_LARGE, field="logo", max=MAX_LOGO // 1024)
    return Logo(logo_type(raw), raw, hashlib.sha256(raw).hexdigest())


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
        parts.port  # noqa: B018 - raises ValueError on a port out of range or not a number
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


def _apply(sponsor: t.Sponsor, data: Mapping[str, Any]) -> Logo | None:
    """Apply ``data`` to the row; the checked logo when ``data`` sets one (stored by the caller)."""
    unknown = sorted(set(data) - set(FIELDS) - {"id"})
    if unknown:
        raise DomainError(ErrorCode.VALUE_INVALID, field=unknown[0])
    logo = check_logo(data["logo"]) if "logo" in data else None
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
    return logo


def _store_logo(s: Any, sponsor_id: int, data: Mapping[str, Any], logo: Logo | None) -> str | None:
    """Put the logo (or its removal, ``logo`` null or "") in place; the digest stored now."""
    row = s.get(t.SponsorLogo, sponsor_id)
    if "logo" in data:
        if logo is None and row is not None:
            s.delete(row)
            row = None
        elif logo is not None and row is None:
            row = t.SponsorLogo(
                sponsor_id=sponsor_id, content_type=logo.content_type, data=logo.data, digest=logo.digest
            )
            s.add(row)
        elif logo is not None and row is not None:
            row.content_type, row.data, row.digest = logo.content_type, logo.data, logo.digest
    return row.digest if row is not None else None


def _audit_values(sponsor: t.Sponsor, logo: str | None) -> dict[str, Any]:
    """What the audit trail records of an entry; the logo by its SHA-256, never its bytes."""
    return {
        "logo": logo,
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
        logo = _apply(sponsor, data)
        s.add(sponsor)
        s.flush()
        digest = _store_logo(s, sponsor.id, data, logo)
        uow.audit(None, "sponsor.created", "sponsor", sponsor.id, after=_audit_values(sponsor, digest))
        uow.emit("event_changed", {})
    return sponsor


def update_sponsor(ctx: Context, sponsor_id: int, data: Mapping[str, Any]) -> t.Sponsor:
    """Change the fields present in ``data``; on any error nothing is changed."""
    with ctx.write() as uow:
        s = uow.session
        sponsor = s.get(t.Sponsor, sponsor_id)
        if sponsor is None:
            raise NotFound()
        old = s.get(t.SponsorLogo, sponsor_id)
        before = _audit_values(sponsor, old.digest if old is not None else None)
        logo = _apply(sponsor, data)
        after = _audit_values(sponsor, _store_logo(s, sponsor.id, data, logo))
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
        logo = s.get(t.SponsorLogo, sponsor_id)
        before = _audit_values(sponsor, logo.digest if logo is not None else None)
        uow.audit(None, "sponsor.deleted", "sponsor", sponsor_id, before=before)
        if logo is not None:
            s.delete(logo)
            s.flush()
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


def logo_digests(ctx: Context) -> dict[int, str]:
    """Each entry with a logo: its id and the logo's digest (no image is read)."""
    with ctx.db.read() as s:
        return dict(s.query(t.SponsorLogo.sponsor_id, t.SponsorLogo.digest).all())


def logo_of(ctx: Context, sponsor_id: int) -> Logo:
    """The entry's logo; NotFound when the entry or its logo is missing."""
    with ctx.db.read() as s:
        row = s.get(t.SponsorLogo, sponsor_id)
        if row is None:
            raise NotFound()
        return Logo(row.content_type, bytes(row.data), row.digest)
