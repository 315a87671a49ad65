"""Server-rendered pages. One module per area; each exposes ``router``."""

from __future__ import annotations

from fastapi import APIRouter

from kizuna.web.pages import (
    account_mail,
    account_two_factor,
    admin,
    admin_accounts,
    admin_activity,
    admin_announcements,
    admin_audit,
    admin_awards,
    admin_brackets,
    admin_challenges,
    admin_event_control,
    admin_exports,
    admin_integrity,
    admin_pages,
    admin_reviews,
    admin_sponsors,
    admin_submissions,
    admin_translations,
    admin_writeups,
    auth,
    challenges,
    files,
    home,
    recognition,
    scoreboard,
    site_pages,
    teams,
    venue,
)

router = APIRouter(include_in_schema=False)
for module in (
    home,
    auth,
    account_two_factor,
    account_mail,
    challenges,
    files,
    teams,
    scoreboard,
    venue,
    admin,
    admin_challenges,
    admin_accounts,
    admin_awards,
    admin_submissions,
    admin_reviews,
    admin_translations,
    admin_announcements,
    admin_pages,
    admin_sponsors,
    admin_brackets,
    admin_event_control,
    admin_audit,
    admin_exports,
    admin_writeups,
    admin_integrity,
    admin_activity,
    recognition,
    site_pages,
):
    router.include_router(module.router)
