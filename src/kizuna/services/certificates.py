"""Certificates (修了証): issuing one to a player who earned it, verifying a code, revoking.

Who earns what:

* a **track** certificate (``kind`` "track", ``subject`` the track's key): the event log holds a
  ``track_completed`` event for that user and key (appended by the learning tracks when the last
  required module completes). The track's titles ({locale: text}) are given by the caller — the
  tracks' own table — and kept on the certificate as issued;
* the **event** certificate (``subject`` "event"): once the event has ended, when the player's
  account (the team in team mode) solved at least one challenge or scored on the final scoreboard;
  the account's place on the final (live, unfrozen) board is kept with the number of accounts that
  scored, and in team mode the team's name. The event's name in each language is its title.

Asking again for the same subject gives back the same certificate (one per user and subject), so
the request is safe to repeat (names typed the second time change nothing: the certificate is
returned as it was issued). The player chooses the name printed, in one script or two ("Taro
Yamada" and 山田太郎, ``domain.certificates.printed_names``); by default the account's name alone.
A name with characters the certificate's fonts cannot draw is refused (``printable``), the
account's name too when it is the one printed, rather than printed with letters missing.
Names, titles and rank are snapshots: a later rename or a change of
the board changes no certificate. An admin may revoke one (``Action.CERTIFICATE_MANAGE``, audited as
``certificate.revoked``); a revoked certificate, or one of a hidden or banned player, verifies as
"not valid" exactly as a code never issued.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from kizuna.domain.certificates import (
    EVENT_SUBJECT,
    CertificateKind,
    clean_printed_name,
    new_code,
    printed_names,
    read_code,
    valid_subject,
)
from kizuna.domain.clock import Phase
from kizuna.domain.errors import DomainError, ErrorCode, Forbidden, NotFound
from kizuna.domain.policy import Action
from kizuna.domain.text import LocalizedText, validate_locale
from kizuna.fonts import uncovered
from kizuna.services import scoreboard
from kizuna.services.accounts import Principal, account_id
from kizuna.services.context import Context
from kizuna.services.event import clock_of
from kizuna.storage import certificate_queries, repo
from kizuna.storage import tables as t

AUDIT_REVOKED = "certificate.revoked"
MAX_TITLE = 200


@dataclass(frozen=True)
class CertificateView:
    code: str
    user_id: int
    kind: str
    subject: str
    titles: dict[str, str]
    name: str
    name_other: str  # the name in a second script the player chose ("" for none)
    team_name: str
    rank: int | None
    ranked: int | None
    issued_at: datetime
    revoked: bool
    time_zone: str  # the player's chosen zone ("" = none chosen): the PDF's date is in it

    @classmethod
    def of(cls, row: t.Certificate, user: t.User | None) -> CertificateView:
        return cls(
            row.code,
            row.user_id,
            row.kind,
            row.subject,
            dict(row.titles or {}),
            row.name,
            row.name_other or "",
            row.team_name,
            row.rank,
            row.ranked,
            row.issued_at,
            row.revoked_at is not None,
            user.time_zone if user is not None else "",
        )

    @property
    def title(self) -> LocalizedText:
        source = next(iter(self.titles), "en")
        return LocalizedText.of(
            source, {"title": self.titles.get(source, "")}, {c: {"title": v} for c, v in self.titles.items()}
        )


def clean_titles(titles: Mapping[str, str] | None) -> dict[str, str]:
    """A track's titles as the caller gives them: {locale: text}, at least one, each 1-200 characters."""
    out: dict[str, str] = {}
    for code, text in (titles or {}).items():
        validate_locale(code, "titles")
        value = (text or "").strip() if isinstance(text, str) else ""
        if not value or len(value) > MAX_TITLE:
            raise DomainError(ErrorCode.VALUE_INVALID, field=f"titles.{code}")
        out[code] = value
    if not out:
        raise DomainError(ErrorCode.VALUE_INVALID, field="titles")
    return out


def event_titles(ev: t.Event) -> dict[str, str]:
    """The event's name in each language it has one."""
    text = LocalizedText.of(ev.locale or "en", {"name": ev.name}, ev.translations)
    return {code: values["name"] for code, values in text.as_dict().items() if values.get("name")}


def _listed(user: t.User | None) -> bool:
    if user is None or user.hidden or user.banned:
        return False
    return user.team is None or not (user.team.hidden or user.team.banned)


@dataclass(frozen=True)
class EventPlace:
    team_name: str
    rank: int | None
    ranked: int | None


def event_place(ctx: Context, user_id: int) -> EventPlace | None:
    """The player's event certificate facts, or None when they have not earned it (the event not
    over, or their account neither solved nor scored, or they are hidden, banned or staff)."""
    with ctx.db.read() as s:
        ev = repo.event(s)
        user = s.get(t.User, user_id)
        if user is None or user.role != "player" or not _listed(user):
            return None
        if clock_of(ev).phase(ctx.now()) is not Phase.ENDED:
            return None
        acct = account_id(ev.mode, user.id, user.team_id)
        if acct is None:
            return None
        solved = certificate_queries.has_solve(s, acct)
        team_name = user.team.name if ev.mode == "teams" and user.team is not None else ""
    rows = [row for row in scoreboard.standings(ctx, None).rows if row.score > 0]
    mine = next((row for row in rows if row.account_id == acct), None)
    if mine is None and not solved:
        return None
    return EventPlace(team_name, mine.pos if mine else None, len(rows) if mine else None)


def completed_tracks(ctx: Context, user_id: int) -> list[str]:
    """The keys of the tracks the user completed, from the event log (first completion first)."""
    with ctx.db.read() as s:
        return certificate_queries.completed_tracks(s, user_id)


def printable(name: str, field: str) -> None:
    """Refuse a name the certificate's fonts cannot draw (it would be printed with letters missing)."""
    missing = uncovered(name)
    if missing:
        shown = " ".join(f"{ch} (U+{ord(ch):04X})" for ch in missing[:5])
        raise DomainError(ErrorCode.CERTIFICATE_NAME_UNPRINTABLE, field=field, chars=shown)


def issue(
    ctx: Context,
    who: Principal,
    kind: str,
    subject: str,
    titles: Mapping[str, str] | None = None,
    name: object = None,
    name_other: object = None,
) -> CertificateView:
    """The player's certificate for ``kind``/``subject``, issued now or earlier (idempotent: an
    existing one is returned unchanged, whatever names are given).
    ``titles``: a track's titles ({locale: text}); the event's are its name's. ``name`` and
    ``name_other``: the name to print and the same name in another script, as typed (None or blank
    for none; no ``name``: the account's)."""
    if not who.can(Action.PLAY):
        raise Forbidden()
    if kind not in tuple(CertificateKind) or not valid_subject(kind, subject):
        raise DomainError(
            ErrorCode.VALUE_INVALID, field="subject" if kind in tuple(CertificateKind) else "kind"
        )
    place = EventPlace("", None, None)
    if kind == CertificateKind.TRACK:
        chosen = clean_titles(titles)
        if subject not in completed_tracks(ctx, who.user_id):
            raise DomainError(ErrorCode.CERTIFICATE_NOT_EARNED, status=403)
    else:
        earned = event_place(ctx, who.user_id)
        if earned is None:
            raise DomainError(ErrorCode.CERTIFICATE_NOT_EARNED, status=403)
        place = earned
    for typed, field in ((name, "name"), (name_other, "name_other")):
        printable(clean_printed_name(typed, field), field)  # refused before anything is written
    with ctx.write() as uow:
        s = uow.session
        repo.lock_account(s, "users", who.user_id)  # two requests at once: one certificate
        user = s.get(t.User, who.user_id)
        if user is None or not _listed(user):
            raise NotFound()
        existing = certificate_queries.of_user(s, who.user_id, kind, subject)
        if existing is not None:
            return CertificateView.of(existing, user)
        main, other = printed_names(name, name_other, user.name)
        printable(main, "name")  # the account's name, when no name was typed
        if kind == CertificateKind.EVENT:
            chosen = event_titles(repo.event(s))
        code = new_code()
        while certificate_queries.by_code(s, code) is not None:  # 60 random bits: practically never
            code = new_code()
        row = t.Certificate(
            code=code,
            user_id=user.id,
            kind=kind,
            subject=subject,
            titles=chosen,
            name=main,
            name_other=other,
            team_name=place.team_name,
            rank=place.rank,
            ranked=place.ranked,
            issued_at=ctx.now().replace(microsecond=0),
        )
        s.add(row)
        s.flush()
        return CertificateView.of(row, user)


def verify(ctx: Context, typed: str) -> CertificateView | None:
    """The certificate a typed code names, when it is valid: issued, not revoked, of a player who is
    neither hidden nor banned. None otherwise, whatever the reason (nothing is told apart)."""
    code = read_code(typed)
    if code is None:
        return None
    with ctx.db.read() as s:
        row = certificate_queries.by_code(s, code)
        if row is None or row.revoked_at is not None:
            return None
        user = s.get(t.User, row.user_id)
        if not _listed(user):
            return None
        return CertificateView.of(row, user)


def for_download(ctx: Context, who: Principal | None, typed: str) -> CertificateView:
    """The certificate for its PDF: its owner's (unless revoked) or, for ``CERTIFICATE_MANAGE``, any
    issued one; NotFound otherwise, as for a code never issued."""
    code = read_code(typed)
    if code is None or who is None:
        raise NotFound()
    with ctx.db.read() as s:
        row = certificate_queries.by_code(s, code)
        if row is None:
            raise NotFound()
        staff = who.can(Action.CERTIFICATE_MANAGE)
        if not staff and (row.user_id != who.user_id or row.revoked_at is not None):
            raise NotFound()
        return CertificateView.of(row, s.get(t.User, row.user_id))


def mine(ctx: Context, user_id: int) -> list[CertificateView]:
    with ctx.db.read() as s:
        user = s.get(t.User, user_id)
        return [CertificateView.of(row, user) for row in certificate_queries.of_owner(s, user_id)]


@dataclass(frozen=True)
class IssuedRow:
    certificate: CertificateView
    user_name: str  # the account's name now (the certificate keeps the one it was issued to)


def issued(ctx: Context, limit: int = 500) -> list[IssuedRow]:
    """The latest certificates issued, for admins."""
    with ctx.db.read() as s:
        return [
            IssuedRow(CertificateView.of(row, user), user.name if user else "")
            for row, user in certificate_queries.latest(s, limit)
        ]


def revoke(ctx: Context, who: Principal | None, typed: str) -> CertificateView:
    """Revoke a certificate (admins); revoking a revoked one changes nothing and is not recorded."""
    if who is not None and not who.can(Action.CERTIFICATE_MANAGE):
        raise Forbidden()
    code = read_code(typed)
    if code is None:
        raise NotFound()
    with ctx.write() as uow:
        row = certificate_queries.by_code(uow.session, code)
        if row is None:
            raise NotFound()
        if row.revoked_at is None:
            row.revoked_at = ctx.now().replace(microsecond=0)
            uow.audit(
                None,
                AUDIT_REVOKED,
                "certificate",
                row.code,
                before={"revoked": False},
                after={"revoked": True, "user_id": row.user_id, "kind": row.kind, "subject": row.subject},
            )
        return CertificateView.of(row, uow.session.get(t.User, row.user_id))


__all__ = ["EVENT_SUBJECT", "CertificateView", "issue", "revoke", "verify"]
