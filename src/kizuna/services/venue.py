"""What the venue screen shows besides the board: the latest first bloods, as the public sees them.

The screen is public, so its ticker follows the stream's rules for an anonymous viewer
(``domain.live.visible_to``): a first blood on a challenge players cannot see now or that has
prerequisites (locked for a visitor), or by an account not on the public board, is left out, and while
the scoreboard is frozen only first bloods made before the freeze are shown. The sentences themselves
are written by the web layer in the screen's languages, the same way the stream writes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from kizuna.domain.clock import Phase, utc
from kizuna.domain.live import LiveEvent, Viewer, World, visible_to
from kizuna.domain.text import LocalizedText
from kizuna.services.context import Context
from kizuna.services.event import clock_of
from kizuna.storage import event_log, repo, venue_queries

ANONYMOUS = Viewer()


@dataclass(frozen=True)
class FirstBlood:
    event: LiveEvent
    challenge: LocalizedText  # the challenge's name in every language
    account: str  # the team's or player's name
    world: World  # what was true when it was read (for rendering as the stream does)


def first_bloods(ctx: Context, limit: int) -> list[FirstBlood]:
    """The newest ``limit`` first, second and third bloods the public may see now, newest first."""
    now = ctx.now()
    with ctx.db.read() as s:
        ev = repo.event(s)
        clock = clock_of(ev)
        cutoff = clock.public_cutoff(now)
        # Over-read a little: some may be about challenges or accounts the public cannot see.
        rows = venue_queries.blood_events(s, limit * 3, cutoff.replace(tzinfo=None) if cutoff else None)
        events = [
            LiveEvent(r.id, r.type, dict(r.data or {}), r.audience, r.account_id, utc(r.created_at))
            for r in rows
        ]
        challenges = venue_queries.challenge_names(
            s, {e.challenge_id for e in events if e.challenge_id}, ctx.now()
        )
        accounts = event_log.account_names(s, ev.mode, {e.subject for e in events if e.subject is not None})
    world = World(
        started=clock.phase(now) is not Phase.NOT_STARTED,
        freeze_cutoff=cutoff,
        visible_challenges=frozenset(cid for cid, c in challenges.items() if c.visible),
        public_accounts=frozenset(aid for aid, a in accounts.items() if a.ranked),
        # A challenge with prerequisites is locked for the screen's anonymous viewer: not named.
        unlocked={cid: frozenset() for cid, c in challenges.items() if c.locked},
    )
    out: list[FirstBlood] = []
    for e in events:
        if len(out) == limit:
            break
        if e.challenge_id is None or e.subject is None or not visible_to(e, ANONYMOUS, world):
            continue
        out.append(FirstBlood(e, challenges[e.challenge_id].text, accounts[e.subject].name, world))
    return out


def last_event_id(ctx: Context) -> int:
    """The newest event's id: a page made now listens to the stream from the event after it."""
    with ctx.db.read() as s:
        return event_log.latest_id(s)
