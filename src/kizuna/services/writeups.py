"""Write-ups (解説): players send one per challenge for their account; judges mark prizes.

- **Who writes**: players (``Action.PLAY``), for their account (the team in team mode, any member;
  the last to write it is its ``user_id``), once the account has solved the challenge — or, after
  the event has ended, for any challenge it can see if it took part (``domain.writeups.may_write``).
  Staff do not write them.
- **Who reads**: the account itself (its members) and staff allowed ``WRITEUP_REVIEW`` (judges,
  admins). Everyone else gets the same 404 as for a write-up that does not exist; a write-up of a
  challenge the reader can no longer see (hidden) is 404 for players too, like the challenge. They
  are not published: a later change could add an organiser's "publish" switch.
- **One per account and challenge** (unique key); sending again changes the text and language and
  keeps the prize mark. Two members sending at once: one inserts, the other updates.
- **Events**: ``writeup_submitted`` (staff) on every send; ``writeup_prize`` (the account) when a
  judge marks or unmarks a prize, also audited as ``writeup.prize_marked``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kizuna.domain.clock import Phase
from kizuna.domain.errors import DomainError, ErrorCode, Forbidden, NotFound
from kizuna.domain.events import Audience
from kizuna.domain.policy import Action
from kizuna.domain.writeups import clean_comment, clean_content, clean_locale, ensure_may_write, may_write
from kizuna.i18n import LOCALES
from kizuna.services import challenges as challenge_service
from kizuna.services.accounts import Principal, account_id, player_account
from kizuna.services.context import Context
from kizuna.services.event import clock_of, get_event
from kizuna.storage import repo, writeup_queries
from kizuna.storage import tables as t
from kizuna.storage.writeup_queries import WriteupRow


@dataclass(frozen=True)
class Eligibility:
    """Whether the viewer's account may send a write-up of a challenge now, and its own one."""

    allowed: bool
    own: WriteupRow | None


def _ended(ctx: Context, ev: t.Event) -> bool:
    return clock_of(ev).phase(ctx.now()) is Phase.ENDED


def eligibility(
    ctx: Context, who: Principal, challenge_id: int, ev: t.Event | None = None
) -> Eligibility | None:
    """For the challenge page (``ev``: the event row it already read): None for staff and for
    viewers without an account to write for."""
    if not who.can(Action.PLAY):
        return None
    ev = ev if ev is not None else get_event(ctx)
    acct = account_id(ev.mode, who.user_id, who.team_id)
    if acct is None:
        return None
    with ctx.db.read() as s:
        solved = repo.has_solved(s, challenge_id, acct)
        took_part = writeup_queries.took_part(s, acct)
        own = writeup_queries.one_of(s, ev.mode, challenge_id, acct)
    return Eligibility(may_write(solved, _ended(ctx, ev), took_part), own)


def submit_writeup(
    ctx: Context, who: Principal, challenge_id: int, content: object, locale: object
) -> WriteupRow:
    """Send (or change) the account's write-up of a challenge; returns it as stored."""
    if not who.can(Action.PLAY):
        raise Forbidden()
    text = clean_content(content)
    language = clean_locale(locale or who.locale or "en", LOCALES)
    ev = get_event(ctx)
    acct = account_id(ev.mode, who.user_id, who.team_id)
    if acct is None:
        raise Forbidden(ErrorCode.TEAM_REQUIRED)
    # A challenge the player cannot see is missing (hidden, locked, or none at all).
    challenge_service.get_for_player(ctx, challenge_id, acct, False)
    now = ctx.now().replace(microsecond=0)
    with ctx.write() as uow:
        s = uow.session
        ev = repo.event(s)
        user, acct = player_account(s, ev, who.user_id)
        ensure_may_write(
            repo.has_solved(s, challenge_id, acct), _ended(ctx, ev), writeup_queries.took_part(s, acct)
        )
        row = writeup_queries.for_update(s, challenge_id, acct)
        updated = row is not None
        if row is None:
            row = t.Writeup(
                challenge_id=challenge_id,
                account_id=acct,
                team_id=user.team_id if ev.mode == "teams" else None,
                user_id=user.id,
                content=text,
                locale=language,
                created_at=now,
                updated_at=now,
            )
            try:
                with s.begin_nested():
                    s.add(row)
            except repo.IntegrityError:
                # Another member's write-up went in first: this one changes it.
                row = writeup_queries.for_update(s, challenge_id, acct)
                if row is None:  # pragma: no cover - it was just there
                    raise
                updated = True
        if updated:
            row.content, row.locale, row.user_id, row.updated_at = text, language, user.id, now
        s.flush()
        uow.emit(
            "writeup_submitted",
            {
                "writeup_id": row.id,
                "challenge_id": challenge_id,
                "account_id": acct,
                "user_id": user.id,
                "updated": updated,
            },
            audience=Audience.STAFF,
        )
        writeup_id = row.id
    return get_writeup(ctx, who, writeup_id)


def get_writeup(ctx: Context, who: Principal, writeup_id: int) -> WriteupRow:
    """One write-up: staff allowed ``WRITEUP_REVIEW`` see any; a player only their account's, of a
    challenge they can still see. Anything else is NotFound, as for a write-up that does not exist."""
    ev = get_event(ctx)
    with ctx.db.read() as s:
        row = writeup_queries.by_id(s, ev.mode, writeup_id)
    if row is None:
        raise NotFound()
    if who.can(Action.WRITEUP_REVIEW):
        return row
    acct = account_id(ev.mode, who.user_id, who.team_id)
    if acct is None or row.account_id != acct:
        raise NotFound()
    challenge_service.get_for_player(ctx, row.challenge_id, acct, False)
    return row


def own_writeups(ctx: Context, who: Principal) -> list[WriteupRow]:
    """The viewer's account's write-ups of challenges it can still see."""
    ev = get_event(ctx)
    acct = account_id(ev.mode, who.user_id, who.team_id)
    if acct is None:
        return []
    with ctx.db.read() as s:
        rows = writeup_queries.listing(s, ev.mode, account_id=acct, visible_to_players_at=ctx.now())
    return rows


def all_writeups(
    ctx: Context, who: Principal, challenge_id: int | None = None, prize: bool | None = None
) -> list[WriteupRow]:
    if not who.can(Action.WRITEUP_REVIEW):
        raise Forbidden()
    ev = get_event(ctx)
    with ctx.db.read() as s:
        return writeup_queries.listing(s, ev.mode, challenge_id=challenge_id, prize=prize)


def mark_prize(
    ctx: Context, who: Principal, writeup_id: int, prize: object, comment: object = None
) -> WriteupRow:
    """A judge marks (or unmarks) a write-up's prize, with a short comment per language."""
    if not who.can(Action.WRITEUP_REVIEW):
        raise Forbidden()
    if not isinstance(prize, bool):
        raise DomainError(ErrorCode.VALUE_INVALID, field="prize")
    note = clean_comment(comment, LOCALES)
    with ctx.write() as uow:
        s = uow.session
        row = s.get(t.Writeup, writeup_id)
        if row is None:
            raise NotFound()
        before = {"prize": row.prize, "comment": row.comment}
        row.prize, row.comment = prize, note
        uow.audit(
            None,
            "writeup.prize_marked",
            "writeup",
            row.id,
            before=before,
            after={"prize": prize, "comment": note},
        )
        uow.emit(
            "writeup_prize",
            {
                "writeup_id": row.id,
                "challenge_id": row.challenge_id,
                "account_id": row.account_id,
                "prize": prize,
            },
            audience=Audience.ACCOUNT,
            account_id=row.account_id,
        )
    return get_writeup(ctx, who, writeup_id)


def export_rows(ctx: Context) -> Iterator[dict[str, Any]]:
    """Every write-up for the results exports, a batch at a time."""
    with ctx.db.read() as s:
        mode = repo.event(s).mode
    for row in writeup_queries.iter_all(ctx.db.read, mode):
        yield export_row(row)


def export_row(row: WriteupRow) -> dict[str, Any]:
    comment = row.comment or {}
    return {
        "id": row.id,
        "challenge_id": row.challenge_id,
        "challenge": row.challenge,
        "account_id": row.account_id,
        "account": row.account,
        "user_id": row.user_id,
        "user": row.user,
        "locale": row.locale,
        "prize": row.prize,
        "comment_en": comment.get("en", ""),
        "comment_ja": comment.get("ja", ""),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "content": row.content,
    }
