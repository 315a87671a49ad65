"""What the staff watch live: the activity feed (every flag attempt as it happens, with first bloods
and hidden accounts) for ``Action.FEED_VIEW``, and the rosters (teams, members, their latest
submission and address) for ``Action.ROSTER_VIEW``. Both are reads; the policy is asked here too,
so no adapter can show them to someone else."""

from __future__ import annotations

from kizuna.domain.errors import Forbidden
from kizuna.domain.policy import Action
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import activity_queries as q
from kizuna.storage.activity_queries import FeedFilters, FeedPage, HiddenChange, Rosters

__all__ = ["FeedFilters", "FeedPage", "HiddenChange", "Rosters", "feed", "hidden_changes", "rosters"]


def feed(
    ctx: Context,
    who: Principal,
    filters: FeedFilters,
    before: int | None = None,
    after: int | None = None,
    limit: int = q.FEED_PAGE,
) -> FeedPage:
    if not who.can(Action.FEED_VIEW):
        raise Forbidden()
    with ctx.db.read() as s:
        return q.feed(s, filters, before, after, limit)


def hidden_changes(ctx: Context, who: Principal) -> list[HiddenChange]:
    if not who.can(Action.FEED_VIEW):
        raise Forbidden()
    with ctx.db.read() as s:
        return q.hidden_changes(s)


def rosters(ctx: Context, who: Principal, search: str = "") -> Rosters:
    if not who.can(Action.ROSTER_VIEW):
        raise Forbidden()
    with ctx.db.read() as s:
        return q.rosters(s, search)
