"""Skill profiles (スキルプロファイル): per category, a player's solves weighted by difficulty
(``domain/skills.py`` says how), for the player's page, ``/api/v1/users/{id}/skills`` and the
recruiting export.

What a profile may show: only challenges players may see (never a hidden or not yet released one,
for anyone — staff included, since profiles also go to partner employers) and, for a reader whose
account has not unlocked a challenge with prerequisites, not that one either, exactly as the solve
lists on the same page. During the scoreboard freeze a reader without the live board sees the event
solves made before the freeze only (practice solves are never on the board). So a category that only
hidden or locked challenges have is never named, and no count moves while the board is frozen.

Each read is two grouped queries (the user's solves, the categories' weights) plus the category
names; many users are read with the same two queries (``profiles_of``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from kizuna.domain.errors import NotFound
from kizuna.domain.policy import Action
from kizuna.domain.skills import SkillAxis, profile, totals
from kizuna.domain.text import LocalizedText
from kizuna.services.accounts import Principal
from kizuna.services.board import category_text, locked_ids
from kizuna.services.context import Context
from kizuna.storage import skill_queries, snapshot_queries
from kizuna.storage import tables as t


@dataclass(frozen=True)
class SkillProfile:
    user_id: int
    axes: list[SkillAxis]
    # Each category's display names ({locale: name}; empty when nobody translated it).
    names: dict[str, dict[str, str]] = field(default_factory=dict)

    def text(self, category: str) -> LocalizedText:
        return category_text(category, self.names.get(category, {}))

    @property
    def totals(self) -> dict[str, int]:
        return dict(totals(self.axes))

    @property
    def empty(self) -> bool:
        return not self.axes


def listed(user: t.User | None) -> bool:
    """Is the user on the public lists (neither they nor their team hidden or banned)?"""
    if user is None or user.hidden or user.banned:
        return False
    team = user.team
    return team is None or not (team.hidden or team.banned)


def skill_profile(
    ctx: Context, who: Principal | None, user_id: int, cutoff: datetime | None, own: bool = False
) -> SkillProfile:
    """``user_id``'s profile as ``who`` may see it; NotFound, as for a missing user, for a hidden or
    banned one (or one in a hidden or banned team) unless ``who`` watches the rosters or ``own`` (the
    ``/users/me`` route). ``cutoff``: the scoreboard freeze for readers of the frozen board."""
    with ctx.db.read() as s:
        user = s.get(t.User, user_id)
        if user is None or not (listed(user) or own or (who is not None and who.can(Action.ROSTER_VIEW))):
            raise NotFound()
        excluded = locked_ids(s, who)
        now = ctx.now()
        solved = skill_queries.solved_groups(s, [user_id], now, cutoff, excluded)[user_id]
        offered = skill_queries.offered_groups(s, now, excluded)
        names = snapshot_queries.category_names(s)
    axes = profile(solved, offered)
    return SkillProfile(user_id, axes, {a.category: names.get(a.category, {}) for a in axes})


def profiles_of(
    ctx: Context, user_ids: Collection[int]
) -> tuple[dict[int, list[SkillAxis]], dict[str, dict[str, str]]]:
    """Many users' profiles at once (the recruiting export): every challenge players may see, no
    freeze; and the category names."""
    with ctx.db.read() as s:
        now = ctx.now()
        solved = skill_queries.solved_groups(s, user_ids, now)
        offered = skill_queries.offered_groups(s, now)
        names = snapshot_queries.category_names(s)
    return {user: profile(groups, offered) for user, groups in solved.items()}, names
