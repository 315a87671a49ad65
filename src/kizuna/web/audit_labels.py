"""How the audit trail is shown to people: a label in the reader's language for each known action,
the admin page of an entry's target, and entry values written compactly.

The stored action id (``challenge.updated``) stays the machine-readable name (API, CSV, filters);
the label is only for reading. Actions not listed here are shown by their id alone.
"""

from __future__ import annotations

import json
from typing import Any

from kizuna.i18n import gettext, lazy
from kizuna.storage.audit_queries import AuditRow

ACTION_LABELS: dict[str, str] = {
    "account.created": lazy("Account created"),
    "account.updated": lazy("Account changed"),
    "account.deleted": lazy("Account deleted"),
    "account.hidden": lazy("Account hidden"),
    "account.unhidden": lazy("Account shown again"),
    "account.role_changed": lazy("Role changed"),
    "team.updated": lazy("Team changed"),
    "team.deleted": lazy("Team deleted"),
    "award.granted": lazy("Award granted"),
    "award.deleted": lazy("Award deleted"),
    "challenge.created": lazy("Challenge created"),
    "challenge.updated": lazy("Challenge changed"),
    "challenge.deleted": lazy("Challenge deleted"),
    "challenges.imported": lazy("Challenges imported"),
    "track.imported": lazy("Learning track imported"),
    "category.renamed": lazy("Category names changed"),
    "flag.created": lazy("Flag added"),
    "flag.updated": lazy("Flag changed"),
    "flag.deleted": lazy("Flag deleted"),
    "hint.created": lazy("Hint added"),
    "hint.updated": lazy("Hint changed"),
    "hint.deleted": lazy("Hint deleted"),
    "tag.created": lazy("Tag added"),
    "tag.updated": lazy("Tag changed"),
    "tag.deleted": lazy("Tag deleted"),
    "topic.linked": lazy("Topic added to a challenge"),
    "topic.unlinked": lazy("Topic removed from a challenge"),
    "topic.deleted": lazy("Topic deleted"),
    "file.uploaded": lazy("File uploaded"),
    "file.deleted": lazy("File deleted"),
    "solution.created": lazy("Solution added"),
    "solution.updated": lazy("Solution changed"),
    "solution.deleted": lazy("Solution deleted"),
    "announcement.created": lazy("Announcement published"),
    "announcement.deleted": lazy("Announcement deleted"),
    "page.created": lazy("Custom page created"),
    "page.updated": lazy("Custom page changed"),
    "page.deleted": lazy("Custom page deleted"),
    "sponsor.created": lazy("Organiser or sponsor added"),
    "sponsor.updated": lazy("Organiser or sponsor changed"),
    "sponsor.deleted": lazy("Organiser or sponsor removed"),
    "bracket.created": lazy("Bracket added"),
    "bracket.updated": lazy("Bracket changed"),
    "bracket.deleted": lazy("Bracket removed"),
    "token.created": lazy("Access token created for another account"),
    "token.deleted": lazy("Access token of another account deleted"),
    "event.settings_changed": lazy("Event settings changed"),
    "event.started": lazy("Event started"),
    "event.paused": lazy("Event paused"),
    "event.resumed": lazy("Event resumed"),
    "event.extended": lazy("End of the event moved"),
    "event.frozen": lazy("Scoreboard frozen"),
    "event.unfrozen": lazy("Scoreboard unfrozen"),
    "submission.marked": lazy("Submission marked"),
    "submission.deleted": lazy("Submission deleted"),
    "results.exported": lazy("Results exported"),
    "writeup.prize_marked": lazy("Write-up prize marked"),
    "review.accepted": lazy("Answer accepted by a judge"),
    "review.rejected": lazy("Answer rejected by a judge"),
    "integrity.dismissed": lazy("Integrity signal dismissed"),
    "addresses.forgotten": lazy("Old account addresses forgotten"),
    "two_factor.enabled": lazy("Two-factor authentication turned on"),
    "two_factor.disabled": lazy("Two-factor authentication turned off"),
    "two_factor.reset": lazy("Two-factor authentication reset"),
    "two_factor.locked": lazy("Two-factor authentication locked after wrong codes"),
    "two_factor.recovery_used": lazy("Recovery code used"),
    "two_factor.recovery_regenerated": lazy("Recovery codes replaced"),
}

# Targets that belong to a challenge: their entries carry the challenge's id.
_ON_CHALLENGE = {"flag", "hint", "tag", "file", "solution", "challenge_topic"}


def action_label(action: str) -> str:
    """The label of ``action`` in the reader's language ("" for an action not listed)."""
    label = ACTION_LABELS.get(action)
    return gettext(label) if label else ""


def action_labels() -> dict[str, str]:
    """Every known action's label in the reader's language (computed once per request)."""
    return {action: gettext(label) for action, label in ACTION_LABELS.items()}


def target_url(row: AuditRow) -> str:
    """The admin page of the entry's target, or "" when it has none."""
    kind, tid = row.target_type, row.target_id
    numeric = tid.isascii() and tid.isdigit()
    if row.action.endswith(".deleted") and kind in ("user", "team", "challenge", "page"):
        return ""  # gone with the entry's action
    if kind == "user" and numeric:
        return f"/admin/accounts/{tid}"
    if kind == "team" and numeric:
        return f"/admin/teams/{tid}"
    if kind == "challenge" and numeric:
        return f"/admin/challenges/{tid}"
    if kind in _ON_CHALLENGE:
        values = row.after or row.before or {}
        challenge_id = values.get("challenge_id")
        return f"/admin/challenges/{challenge_id}" if isinstance(challenge_id, int) else ""
    if kind == "token":
        user_id = (row.after or row.before or {}).get("user_id")
        return f"/admin/accounts/{user_id}" if isinstance(user_id, int) else ""
    if kind == "page" and numeric:
        return f"/admin/pages/{tid}"
    if kind == "track" and tid:
        return "/admin/tracks"
    if kind == "sponsor":
        return (
            "/admin/sponsors" if row.action.endswith(".deleted") or not numeric else f"/admin/sponsors/{tid}"
        )
    if kind == "bracket":
        return (
            "/admin/brackets" if row.action.endswith(".deleted") or not numeric else f"/admin/brackets/{tid}"
        )
    if kind == "announcement":
        return "/admin/announcements"
    if kind == "award":
        return "/admin/awards"
    if kind == "integrity_signal":
        return "/admin/integrity?status=dismissed"
    if kind == "submission":
        return "/admin/submissions"
    if kind == "review":
        return "/admin/reviews?status=" + ("accepted" if row.action == "review.accepted" else "rejected")
    if kind == "event":
        return "/admin/event/control" if row.action != "event.settings_changed" else "/admin/event"
    return ""


def compact(values: dict[str, Any] | None, limit: int = 300) -> str:
    """Values as one line of JSON (no spaces, non-ASCII kept), cut at ``limit`` characters."""
    if not values:
        return ""
    text = json.dumps(values, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
