"""Who may do what: the one permission policy.

Every page, API route, file download and the event stream ask :func:`can` (through
``Principal.can``) and nothing else. Roles are data: :data:`PERMISSIONS` maps each role to the
actions it may take, and ``tests/meta/test_policy_matrix.py`` walks every route of the app as every
role and checks each answer against :data:`ROUTE_RULES` in ``kizuna.web.policy_table``.

Roles (the glossary's names):

- ``admin`` (管理者): everything, including roles and event settings — except playing.
- ``judge`` (審査員): sees every challenge (hidden included) and every submission, reviews
  answers and integrity signals, grants and revokes awards, posts and edits announcements, exports
  the results, reads write-ups and marks their prizes.
- ``marshal`` (進行係): sees the live activity feed and team rosters, posts announcements, hides an
  account pending review; cannot ban, delete or change scores.
- ``author`` (作問者): creates and edits challenges, flags, hints, files and tags (also with an API
  token, so ctfcli works); sees solve counts but never players' submissions.
- ``player`` (参加者): plays. ``anonymous``: reads what is public.

Staff roles (everyone but players and anonymous) do not score: they are not on the scoreboard, they
unlock no hints, and a flag they send is only checked — nothing is stored (``services.submissions``).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    JUDGE = "judge"
    MARSHAL = "marshal"
    AUTHOR = "author"
    PLAYER = "player"
    ANONYMOUS = "anonymous"


# Roles an account can hold (anonymous is the absence of an account).
ACCOUNT_ROLES: tuple[str, ...] = (Role.ADMIN, Role.JUDGE, Role.MARSHAL, Role.AUTHOR, Role.PLAYER)
STAFF_ROLES: frozenset[str] = frozenset({Role.ADMIN, Role.JUDGE, Role.MARSHAL, Role.AUTHOR})


class Action(StrEnum):
    # Reading what is public (home, scoreboard, public team pages, the stream).
    VIEW_PUBLIC = "public.view"
    # Having an account: the account page, own tokens, own team.
    ACCOUNT_SELF = "account.self"
    # Playing: flags that are recorded and score, hint unlocks paid with points (players only).
    PLAY = "challenge.play"
    # Entering the staff area (/admin) at all; each page there asks for its own action too.
    STAFF_AREA = "staff.area"
    # Challenges, whatever their state, with their flags, hints, files, tags and topics.
    CHALLENGE_VIEW_ALL = "challenge.view_all"
    CHALLENGE_EDIT = "challenge.edit"
    CHALLENGE_SOLVE_COUNTS = "challenge.solve_counts"
    # Everyone's submissions (attempts, right and wrong), and judging them.
    SUBMISSION_VIEW = "submission.view"
    SUBMISSION_REVIEW = "submission.review"
    SUBMISSION_EDIT = "submission.edit"  # delete or re-mark a submission (changes scores)
    # Awards and penalties.
    AWARD_MANAGE = "award.manage"
    # Announcements.
    ANNOUNCEMENT_POST = "announcement.post"
    ANNOUNCEMENT_EDIT = "announcement.edit"
    # Custom pages.
    PAGE_EDIT = "page.edit"
    # The live activity feed and the rosters (members, addresses).
    FEED_VIEW = "feed.view"
    ROSTER_VIEW = "roster.view"
    # Accounts: hide pending review (marshal), everything else (admin).
    ACCOUNT_HIDE = "account.hide"
    ACCOUNT_MANAGE = "account.manage"
    ROLE_CHANGE = "role.change"
    # The event: the live board during a freeze, start/pause/extend/freeze, settings.
    SCOREBOARD_LIVE = "scoreboard.live"
    EVENT_CONTROL = "event.control"
    EVENT_SETTINGS = "event.settings"
    # The audit trail.
    AUDIT_VIEW = "audit.view"
    # Results exports: final standings, solves, submissions (with what was typed and the address)
    # and awards, as CSV or JSON. Judges export too: they already see all of it.
    RESULTS_EXPORT = "results.export"
    # Everyone's write-ups (解説): reading them and marking prizes. Players read their own only.
    WRITEUP_REVIEW = "writeup.review"
    # Integrity signals (shared wrong answers, another challenge's flag, shared addresses, solves
    # right after another team's): reading the list and dismissing items. Never automatic.
    INTEGRITY_REVIEW = "integrity.review"
    # Certificates (修了証): any certificate's PDF, the list of those issued, revoking one.
    CERTIFICATE_MANAGE = "certificate.manage"
    # The recruiter view: the players who consented, with their skill profiles, and its CSV export.
    RECRUITING_EXPORT = "recruiting.export"
    # Any account's API tokens (others than one's own).
    TOKEN_MANAGE = "token.manage"  # noqa: S105 - an action name, not a secret


_EVERYONE = frozenset({Action.VIEW_PUBLIC})
_ACCOUNT = _EVERYONE | {Action.ACCOUNT_SELF}
_STAFF = _ACCOUNT | {Action.STAFF_AREA}

PERMISSIONS: dict[str, frozenset[Action]] = {
    Role.ANONYMOUS: _EVERYONE,
    Role.PLAYER: _ACCOUNT | {Action.PLAY},
    Role.AUTHOR: _STAFF | {Action.CHALLENGE_VIEW_ALL, Action.CHALLENGE_EDIT, Action.CHALLENGE_SOLVE_COUNTS},
    Role.MARSHAL: _STAFF
    | {
        Action.FEED_VIEW,
        Action.ROSTER_VIEW,
        Action.ANNOUNCEMENT_POST,
        Action.ACCOUNT_HIDE,
        Action.CHALLENGE_SOLVE_COUNTS,
    },
    Role.JUDGE: _STAFF
    | {
        Action.CHALLENGE_VIEW_ALL,
        Action.CHALLENGE_SOLVE_COUNTS,
        Action.SUBMISSION_VIEW,
        Action.SUBMISSION_REVIEW,
        Action.AWARD_MANAGE,
        Action.ANNOUNCEMENT_POST,
        Action.ANNOUNCEMENT_EDIT,
        Action.FEED_VIEW,
        Action.ROSTER_VIEW,
        Action.SCOREBOARD_LIVE,
        Action.RESULTS_EXPORT,
        Action.WRITEUP_REVIEW,
        Action.INTEGRITY_REVIEW,
    },
    Role.ADMIN: frozenset(Action) - {Action.PLAY},
}


def can(role: str | None, action: Action | str) -> bool:
    """May an account of ``role`` (None: anonymous) take ``action``? Unknown roles may do nothing
    beyond what anonymous may."""
    allowed = PERMISSIONS.get(role or Role.ANONYMOUS, PERMISSIONS[Role.ANONYMOUS])
    return Action(action) in allowed


def roles_with(action: Action | str) -> tuple[str, ...]:
    """The account roles allowed ``action``, most powerful first (for documentation and summaries)."""
    return tuple(role for role in ACCOUNT_ROLES if Action(action) in PERMISSIONS[role])


def is_staff(role: str | None) -> bool:
    return role in STAFF_ROLES


def validate_role(value: object) -> str:
    """An account role, or ValueError."""
    if not isinstance(value, str) or value not in ACCOUNT_ROLES:
        raise ValueError(value)
    return value
