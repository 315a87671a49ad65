"""The player page's learning progress section (``templates/_progress.html``): the derived progress
(``services.progress``) and each calendar day's text alternative in the reader's language(s)."""

from __future__ import annotations

from dataclasses import dataclass

from kizuna.domain.progress import CalendarDay
from kizuna.i18n import ngettext
from kizuna.services import progress
from kizuna.services.context import Context
from kizuna.storage import tables as t


@dataclass(frozen=True)
class ProgressView:
    progress: progress.Progress

    def label(self, day: CalendarDay) -> str:
        """ "3 activities on 2026-11-02" (both languages in 日英併記 mode)."""
        return ngettext(
            "%(num)s activity on %(date)s",
            "%(num)s activities on %(date)s",
            day.count,
            date=day.day.isoformat(),
        )


def progress_view(ctx: Context, user: t.User) -> ProgressView:
    return ProgressView(progress.user_progress(ctx, user))
