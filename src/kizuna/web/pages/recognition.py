"""Recognition on the pages: the skill profile section of a player's page (``_skills.html``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kizuna.services import skills
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.storage import tables as t
from kizuna.web.skills_chart import chart


def skills_context(ctx: Context, who: Principal | None, user: t.User, cutoff: datetime | None) -> dict[str, Any]:
    """What ``_skills.html`` needs for ``user``'s page as ``who`` sees it (the page already decided
    that ``who`` may see the user at all)."""
    profile = skills.skill_profile(ctx, who, user.id, cutoff, own=True)
    return {"skills": profile, "skills_chart": chart(profile.axes), "skills_name": user.name}
