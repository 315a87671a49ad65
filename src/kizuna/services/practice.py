"""Practice mode: challenges played for learning, never on the event's board.

Which challenges are practice, and when:

* A challenge marked ``practice`` is playable whenever players can see it (visible and released):
  before the event starts, while it runs and while it is paused — it is on no board, so a pause,
  whose purpose is to stop the competition, has nothing of it to protect. Its close time still
  holds during the event, as for any challenge.
* After the event ends every visible challenge is playable as practice (a closed one too).
* Judged (``manual``) challenges are never practice: there is no flag to check an answer against
  without a judge.

A right answer in practice records the user's practice solve (``practice_solves``; unique on
challenge and user, so one row however many answers arrive at once) and appends ``practice_solve``
(audience: the account); it never inserts a solve, bumps the scoreboard or changes a value, so the
event's final board, its snapshots, exports, CTFtime feed and venue screen stay as they were.
Answers go through ``services.submissions.submit_flag`` (the API's route and its fast lane alike):
the rate limits hold, a challenge's maximum of attempts does not, every answer is stored as a
submission as before (late after the event). Any right flag completes a practice solve whatever the
challenge's ``logic``, and a right answer of someone who has already practised it is answered
"correct" again without a second row.

Browsing needs no account: the practice list and a practice challenge show to anyone what a player
may see (hidden, scheduled and locked challenges are missing, with the same 404); answering needs
one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kizuna.domain import schedule
from kizuna.domain.clock import Phase
from kizuna.domain.errors import NotFound
from kizuna.domain.events import Audience
from kizuna.domain.text import LocalizedText
from kizuna.services import tracks
from kizuna.services.accounts import Principal, account_id
from kizuna.services.board import category_text
from kizuna.services.context import Context
from kizuna.services.event import clock_of
from kizuna.storage import practice_queries, repo, snapshot_queries
from kizuna.storage import tables as t
from kizuna.storage.uow import UnitOfWork

JUDGED = "manual"  # as services.reviews.MANUAL (not imported: reviews imports solves, not this)


def is_practice(marked: bool, phase: Phase) -> bool:
    """Whether an answer to a challenge (``marked`` practice or not) is practice in this phase."""
    return marked or phase is Phase.ENDED


def practised(s: Any, user_id: int) -> set[int]:
    """The challenges ``user_id`` has solved as practice."""
    return practice_queries.practised_ids(s, user_id)


def has_practised(ctx: Context, user_id: int, challenge_id: int) -> bool:
    """Whether ``user_id`` has solved the challenge as practice."""
    with ctx.db.read() as s:
        return challenge_id in practised(s, user_id)


def record_practice_solve(
    ctx: Context, uow: UnitOfWork, *, challenge_id: int, user_id: int, account_id: int, date: datetime
) -> bool:
    """Record the user's practice solve inside the caller's unit of work, once; whether it went in
    (False: they had it already, or a concurrent answer of theirs recorded it first)."""
    inserted = practice_queries.insert_practice_solve(
        uow.session, challenge_id=challenge_id, user_id=user_id, account_id=account_id, date=date
    )
    if not inserted:
        return False
    uow.emit(
        "practice_solve",
        {"challenge_id": challenge_id, "account_id": account_id, "user_id": user_id},
        audience=Audience.ACCOUNT,
        account_id=account_id,
    )
    # A practice solve counts towards learning progress: tasks that reference this challenge.
    tracks.challenge_solved(uow, user_id=user_id, account_id=account_id, challenge_id=challenge_id)
    return True


@dataclass(frozen=True)
class PracticeItem:
    challenge: t.Challenge
    category: LocalizedText
    practised: bool  # the reader has solved it as practice
    solved: bool  # the reader's account solved it during the event
    tags: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # the locations of its attachments (detail only)


@dataclass(frozen=True)
class PracticeList:
    items: list[PracticeItem]
    phase: Phase
    signed_in: bool

    @property
    def ended(self) -> bool:
        return self.phase is Phase.ENDED


def _reader(s: Any, who: Principal | None, mode: str) -> tuple[set[int], set[int]]:
    """The reader's event solves (their account's) and practice solves; nothing for a visitor."""
    if who is None:
        return set(), set()
    acct = account_id(mode, who.user_id, who.team_id)
    solved = repo.solved_ids(s, acct) if acct is not None else set()
    return solved, practised(s, who.user_id)


def listed(ch: t.Challenge, phase: Phase, unlocked: set[int], now: datetime) -> bool:
    """A practice challenge the reader may see: as a player would (visible, released, prerequisites
    solved in the event or as practice), practice now, and not judged. ``unlocked``: the reader's
    event and practice solves (a visitor's: none). Also asked by the file downloads."""
    if not schedule.player_visible(ch.state, ch.release_at, now) or ch.type == JUDGED:
        return False
    if not is_practice(bool(ch.practice), phase):
        return False
    needed = set((ch.requirements or {}).get("prerequisites") or [])
    return needed <= unlocked


def practice_list(ctx: Context, who: Principal | None) -> PracticeList:
    """Every challenge the reader may practise now, in CTFd's order (position, value, id)."""
    now = ctx.now()
    with ctx.db.read() as s:
        ev = repo.event(s)
        phase = clock_of(ev).phase(now)
        solved, done = _reader(s, who, ev.mode)
        names = snapshot_queries.category_names(s)
        rows = list(s.query(t.Challenge).filter(t.Challenge.state == "visible"))
        items = [
            PracticeItem(
                ch, category_text(ch.category, names.get(ch.category, {})), ch.id in done, ch.id in solved
            )
            for ch in rows
            if listed(ch, phase, solved | done, now)
        ]
    items.sort(
        key=lambda i: (
            0 if i.challenge.position > 0 else 1,
            i.challenge.position,
            i.challenge.value,
            i.challenge.id,
        )
    )
    return PracticeList(items, phase, who is not None)


def practice_challenge(ctx: Context, who: Principal | None, challenge_id: int) -> tuple[PracticeItem, Phase]:
    """One practice challenge as the reader may see it; the same NotFound as a missing one when it is
    hidden, scheduled, locked or not practice now."""
    now = ctx.now()
    with ctx.db.read() as s:
        ev = repo.event(s)
        phase = clock_of(ev).phase(now)
        ch = s.get(t.Challenge, challenge_id)
        solved, done = _reader(s, who, ev.mode)
        if ch is None or not listed(ch, phase, solved | done, now):
            raise NotFound()
        names = snapshot_queries.category_names(s).get(ch.category, {})
        tags = tuple(x.value for x in s.query(t.Tag).filter(t.Tag.challenge_id == ch.id).order_by(t.Tag.id))
        files = tuple(
            f.location for f in s.query(t.File).filter(t.File.challenge_id == ch.id).order_by(t.File.id)
        )
    item = PracticeItem(ch, category_text(ch.category, names), ch.id in done, ch.id in solved, tags, files)
    return item, phase


@dataclass(frozen=True)
class PracticeSolveView:
    challenge: t.Challenge
    date: datetime


def my_practice(ctx: Context, who: Principal) -> list[PracticeSolveView]:
    """The reader's practice solves, newest first, of challenges players may still see."""
    now = ctx.now()
    with ctx.db.read() as s:
        rows = practice_queries.user_practice(s, who.user_id)
        found = {
            ch.id: ch
            for ch in s.query(t.Challenge).filter(t.Challenge.id.in_([r.challenge_id for r in rows]))
            if schedule.player_visible(ch.state, ch.release_at, now)
        }
    return [PracticeSolveView(found[r.challenge_id], r.date) for r in rows if r.challenge_id in found]
