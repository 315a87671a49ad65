"""The recruiter view with consent (UK GDPR, Japan's APPI).

A player opts in on their account page; the consent is stored with the text's version, a digest of
the text as shown in both languages, the language it was read in and the time
(``recruiting_consents``); withdrawing sets the time it ended, with one button. Organisers
(``Action.RECRUITING_EXPORT``: admins) see the players with an open consent to the *current* version
and their skill profiles at ``/admin/recruiting`` and export them as CSV (page link, or
``GET /api/v1/recruiting/export``), each export recorded in the audit trail
(``recruiting.exported``, with how many players it held).

Who is in it: players (role ``player``) with an open consent of the current version who are neither
hidden nor banned, nor in a hidden or banned team. Nothing about anyone else is read into it: the
rows are chosen by the consent first, and every other read is limited to those users. What is in
it is exactly what the consent text names: name, country, affiliation, team, the skill profile per
category and, where the platform has them, the tracks completed and the badges earned (from the
event log) — never an e-mail address, an address, an answer or a write-up.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from kizuna.domain.consent import RECRUITING_CONSENT_VERSION as VERSION
from kizuna.domain.errors import Forbidden
from kizuna.domain.policy import Action
from kizuna.domain.skills import SkillAxis
from kizuna.domain.spreadsheet import csv_records
from kizuna.services import skills
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import recruiting_queries, repo
from kizuna.storage import tables as t

AUDIT_EXPORTED = "recruiting.exported"


@dataclass(frozen=True)
class Consent:
    version: str
    given_at: datetime
    locale: str


def current_consent(ctx: Context, user_id: int) -> Consent | None:
    """The user's open consent, or None (never given, withdrawn, or given to an older text)."""
    with ctx.db.read() as s:
        row = recruiting_queries.open_consent(s, user_id)
    if row is None or row.version != VERSION:
        return None
    return Consent(row.version, row.given_at, row.locale)


def give_consent(ctx: Context, who: Principal, version: str, text_digest: str, locale: str) -> None:
    """Record the player's consent to ``version`` of the text (whose digest is ``text_digest``);
    an open consent to another version is closed first, one to the same version kept."""
    if not who.can(Action.PLAY):
        raise Forbidden()
    with ctx.write() as uow:
        s = uow.session
        repo.lock_account(s, "users", who.user_id)
        row = recruiting_queries.open_consent(s, who.user_id)
        now = ctx.now().replace(microsecond=0)
        if row is not None and row.version == version and row.text_digest == text_digest:
            return
        if row is not None:
            row.withdrawn_at = now
        s.add(
            t.RecruitingConsent(
                user_id=who.user_id,
                version=version,
                text_digest=text_digest,
                locale=locale[:16],
                given_at=now,
            )
        )


def withdraw_consent(ctx: Context, who: Principal) -> bool:
    """End the player's open consent (True), or change nothing when there is none (False)."""
    with ctx.write() as uow:
        s = uow.session
        repo.lock_account(s, "users", who.user_id)
        row = recruiting_queries.open_consent(s, who.user_id)
        if row is None:
            return False
        row.withdrawn_at = ctx.now().replace(microsecond=0)
        return True


@dataclass(frozen=True)
class Candidate:
    user_id: int
    name: str
    country: str
    affiliation: str
    team: str
    consent_version: str
    consented_at: datetime
    axes: list[SkillAxis]
    tracks: list[str]
    badges: list[str]


@dataclass(frozen=True)
class RecruiterView:
    candidates: list[Candidate]
    categories: list[str]  # every category of any candidate's profile, in name order
    names: dict[str, dict[str, str]]  # category display names {category: {locale: name}}


def recruiter_view(ctx: Context) -> RecruiterView:
    """Everyone who may be shown (see the module's docstring), with their profiles: three grouped
    queries (consents, solves, the categories' weight) and one of the event log."""
    with ctx.db.read() as s:
        rows = recruiting_queries.consenting(s, VERSION)
        ids = [r.user_id for r in rows]
        achievements = recruiting_queries.achievements(s, ids)
    profiles, names = skills.profiles_of(ctx, ids)
    categories = sorted(
        {a.category for axes in profiles.values() for a in axes}, key=lambda n: (n.casefold(), n)
    )
    candidates = [
        Candidate(
            r.user_id,
            r.name,
            r.country,
            r.affiliation,
            r.team,
            r.version,
            r.given_at,
            profiles.get(r.user_id, []),
            achievements.get(r.user_id, ([], []))[0],
            achievements.get(r.user_id, ([], []))[1],
        )
        for r in rows
    ]
    return RecruiterView(candidates, categories, {c: names.get(c, {}) for c in categories})


HEADER_START = ("user_id", "name", "country", "affiliation", "team", "consent_version", "consented_at")
HEADER_END = ("tracks_completed", "badges")


def csv_rows(view: RecruiterView) -> tuple[list[str], Iterator[list[object]]]:
    """The export's header and records: per category three columns (solved, weighted score, share
    as a percentage)."""
    header = list(HEADER_START)
    for category in view.categories:
        header += [f"{category} solved", f"{category} score", f"{category} share %"]
    header += list(HEADER_END)

    def records() -> Iterator[list[object]]:
        for c in view.candidates:
            by = {a.category: a for a in c.axes}
            record: list[object] = [
                c.user_id,
                c.name,
                c.country,
                c.affiliation,
                c.team,
                c.consent_version,
                c.consented_at.isoformat() + "Z",
            ]
            for category in view.categories:
                axis = by.get(category)
                record += [axis.solved, axis.score, axis.percent] if axis else [0, 0, 0]
            record += [" ".join(c.tracks), " ".join(c.badges)]
            yield record

    return header, records()


def start_export(ctx: Context, actor: Principal | None, bom: bool = True) -> Iterator[bytes]:
    """The CSV of the recruiter view (``domain.spreadsheet.csv_records``: every cell escaped),
    recorded in the audit trail before a byte is sent."""
    if actor is not None and not actor.can(Action.RECRUITING_EXPORT):
        raise Forbidden()
    view = recruiter_view(ctx)
    with ctx.write() as uow:
        uow.audit(
            actor,
            AUDIT_EXPORTED,
            "export",
            "recruiting",
            after={"format": "csv", "players": len(view.candidates), "bom": bom},
        )
    header, records = csv_rows(view)
    return csv_records(header, records, bom=bom)
