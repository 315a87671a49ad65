"""Who receives which live event: the per-viewer rules of the event stream (``GET /events``).

Pure rules over plain values, so they are tested without a server (``tests/unit/test_live_rules.py``)
and the stream only supplies what is true now (:class:`World`) and who is watching (:class:`Viewer`):

* ``staff`` events go to principals allowed ``FEED_VIEW`` or ``CHALLENGE_VIEW_ALL``; the activity
  feed's own types (``submission``, ``account_hidden``) only to ``FEED_VIEW``, whatever their audience.
* ``account`` events go to that account and to ``FEED_VIEW``; an ``unlock`` is always the account's own;
  a judge's decision (``review_decided``) and a badge earned (``badge_awarded``) speak (a toast)
  only to the account they are about.
* An event naming a challenge that players cannot see now (hidden, deleted, or the event has not
  started) goes only to ``CHALLENGE_VIEW_ALL``.
* An event naming a challenge still locked for the viewer (prerequisites their account has not all
  solved: for a visitor, any challenge with prerequisites) goes to them only if they may read the
  activity feed (``FEED_VIEW``) or view every challenge, or it is their own account's, so a locked
  challenge's name is not news.
* An event about an account that is not on the public board (hidden, banned, staff, deleted) goes only
  to that account and to ``FEED_VIEW``; a scoring event without an account only to ``FEED_VIEW``.
* While the scoreboard is frozen, public ``solve``, ``award`` and ``scoreboard`` events made at or
  after the freeze go only to ``SCOREBOARD_LIVE`` and to the account that scored.

Every rule fails closed: a challenge or account the stream did not look up counts as not public.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kizuna.domain.clock import utc
from kizuna.domain.events import Audience
from kizuna.domain.policy import Action, can

# Types only readers of the live activity feed receive, whatever audience they were stored with.
FEED_ONLY = frozenset({"submission", "account_hidden"})
# Types only the readers of integrity signals receive (judges, admins).
REVIEW_ONLY = frozenset({"integrity_dismissed"})
# Types that belong to the account they name (and to feed readers), whatever their audience.
ACCOUNT_PRIVATE = frozenset({"unlock"})
# Types about an account's score: without an account they are nobody's public news.
SCORING = frozenset({"solve", "award", "unlock"})
# Types the scoreboard freeze holds back from the public.
FROZEN = frozenset({"solve", "award", "scoreboard"})
# Solves announced as a sentence: the first, second and third of a challenge.
BLOOD_RANKS = frozenset({1, 2, 3})
# Types shown to people as a sentence (a toast, a ticker line, a feed line); others only update views.
SPOKEN = frozenset(
    {
        "solve",
        "announcement",
        "event_state",
        "challenge_released",
        "hint_added",
        "award",
        "account_hidden",
        "submission",
        "review_decided",
        "badge_awarded",
    }
)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Viewer:
    """Who holds the stream: their role (None: anonymous) and the account they score for (the team in
    team mode, themselves in individual mode; None without one)."""

    role: str | None = None
    account_id: int | None = None

    def can(self, action: Action) -> bool:
        return can(self.role, action)


@dataclass(frozen=True)
class LiveEvent:
    """A stored event as the stream reads it (``events`` row)."""

    id: int
    type: str
    data: Mapping[str, Any]
    audience: str = Audience.PUBLIC
    account_id: int | None = None  # the account an ``account`` event belongs to
    created_at: datetime | None = None  # UTC

    @property
    def challenge_id(self) -> int | None:
        """The challenge the event names, if any."""
        return _int(self.data.get("challenge_id"))

    @property
    def subject(self) -> int | None:
        """The scoring account the event is about, if any."""
        if self.type == "account_hidden":
            return None  # names a user or a team by ``kind``, not necessarily a scoring account
        return _int(self.data.get("account_id"))

    @property
    def first_blood(self) -> int:
        return _int(self.data.get("first_blood")) or 0


@dataclass(frozen=True)
class World:
    """What is true now, as far as the rules need it; the stream refreshes it for each batch."""

    started: bool = True  # players see challenges once the event has started
    freeze_cutoff: datetime | None = None  # the freeze instant while the scoreboard is frozen
    visible_challenges: frozenset[int] = frozenset()  # challenges players can see now
    public_accounts: frozenset[int] = frozenset()  # accounts on the public board (of those looked up)
    # Challenges with prerequisites (of those looked up) -> the accounts that solved them all, for
    # whom the challenge is unlocked. A challenge not in here has no prerequisites.
    unlocked: Mapping[int, frozenset[int]] = field(default_factory=dict)

    def locked_for(self, challenge: int, account: int | None) -> bool:
        """Is ``challenge`` still locked for ``account`` (None: a visitor, for whom every challenge
        with prerequisites is)?"""
        opened = self.unlocked.get(challenge)
        return opened is not None and (account is None or account not in opened)

    def frozen_out(self, event: LiveEvent) -> bool:
        """Is ``event`` a public scoring event the freeze holds back?"""
        if self.freeze_cutoff is None or event.type not in FROZEN or event.audience != Audience.PUBLIC:
            return False
        made, cutoff = utc(event.created_at), utc(self.freeze_cutoff)
        return made is None or cutoff is None or made >= cutoff


def owns(event: LiveEvent, viewer: Viewer) -> bool:
    """Is the event about (or addressed to) the viewer's own account?"""
    mine = viewer.account_id
    return mine is not None and mine in (event.account_id, event.subject)


def sees_staff_news(viewer: Viewer) -> bool:
    """Can any event for staff (``Audience.STAFF``) reach ``viewer``? By role alone: most viewers
    are players, and for them the fan-out leaves the staff's news (each attempt is one) out at once."""
    return viewer.can(Action.FEED_VIEW) or viewer.can(Action.CHALLENGE_VIEW_ALL)


def visible_to(event: LiveEvent, viewer: Viewer, world: World) -> bool:
    """May ``viewer`` receive ``event`` now? (The module docstring lists the rules.)"""
    feed = viewer.can(Action.FEED_VIEW)
    view_all = viewer.can(Action.CHALLENGE_VIEW_ALL)
    own = owns(event, viewer)
    if event.type in FEED_ONLY and not feed:
        return False
    if event.type in REVIEW_ONLY and not viewer.can(Action.INTEGRITY_REVIEW):
        return False
    if event.audience == Audience.STAFF:
        if not sees_staff_news(viewer):
            return False
    elif event.audience == Audience.ACCOUNT:
        addressee = viewer.account_id is not None and viewer.account_id == event.account_id
        if not (feed or addressee):
            return False
    elif event.audience != Audience.PUBLIC:
        return False
    if event.type in ACCOUNT_PRIVATE and not (feed or own):
        return False
    challenge = event.challenge_id
    if challenge is not None and not view_all:
        if not world.started or challenge not in world.visible_challenges:
            return False
        if not (feed or own) and world.locked_for(challenge, viewer.account_id):
            return False
    subject = event.subject
    if subject is None and event.type in SCORING and not feed:
        return False
    if subject is not None and subject not in world.public_accounts and not (feed or own):
        return False
    return not (world.frozen_out(event) and not (viewer.can(Action.SCOREBOARD_LIVE) or own))


def withholds_rank(event: LiveEvent, viewer: Viewer, world: World) -> bool:
    """Must ``viewer`` receive this solve without its blood rank? During the freeze a team still
    sees its own later solves, but "Second blood" would tell it that another account solved the
    same challenge after the freeze, which the frozen board hides: such a solve comes as an
    ordinary one (rank 0, no sentence). Staff who see the live scoreboard get it whole."""
    return (
        event.type == "solve"
        and event.first_blood > 0
        and world.frozen_out(event)
        and not viewer.can(Action.SCOREBOARD_LIVE)
    )


def speaks_to(event: LiveEvent, viewer: Viewer) -> bool:
    """Does ``event`` carry a sentence (toast, ticker, feed line) for ``viewer``? Only the first
    three solves of a challenge do; an award speaks to its account and to staff who see the feed or
    manage awards; a scoreboard change or a cache invalidation never does."""
    if event.type not in SPOKEN:
        return False
    if event.type == "solve":
        return event.first_blood in BLOOD_RANKS
    if event.type == "award":
        return owns(event, viewer) or viewer.can(Action.FEED_VIEW) or viewer.can(Action.AWARD_MANAGE)
    if event.type in ("review_decided", "badge_awarded"):
        return owns(event, viewer)  # "a judge accepted your answer", "badge earned": the account's alone
    return True
