"""Which policy action each route of the app asks for — the table kept beside the policy.

``ROUTE_RULES`` maps every route (method, path template) to what its caller must be allowed:

* ``"public"``: anyone, signed in or not (what they then see may still depend on who they are);
* ``"account"``: any signed-in account, whatever its role;
* an ``Action`` value (``"challenge.edit"``…): the roles ``policy.PERMISSIONS`` allows that action.

``tests/meta/test_policy_matrix.py`` fails when a route of the app is missing here or an entry names
a route that no longer exists, and requests every route as every role (anonymous, player, author,
marshal, judge, admin) to check each answer against this table: allowed means not refused (no 401 or
403, no redirect to the login form); refused means 401 for anonymous API callers, the login form for
anonymous page visitors and 403 for signed-in roles — except for the routes in
``HIDDEN_AS_MISSING``, which answer refusals with the same 404 as a missing thing, so that what
exists is not given away.

A route may apply finer rules inside (the account toggles: hiding is ``account.hide``, banning
``account.manage``; a user edit that changes the role also needs ``role.change``); the table holds
what opens the route, and the tests of those routes check the rest.
"""

from __future__ import annotations

from kizuna.domain.policy import Action, can

PUBLIC = "public"
ACCOUNT = "account"

_VIEW_ALL = Action.CHALLENGE_VIEW_ALL.value
_EDIT = Action.CHALLENGE_EDIT.value

ROUTE_RULES: dict[tuple[str, str], str] = {
    # --- the API: challenges and what hangs off them -----------------------------------------------
    ("GET", "/api/v1/challenges"): ACCOUNT,
    ("POST", "/api/v1/challenges"): _EDIT,
    ("GET", "/api/v1/challenges/types"): _EDIT,
    ("POST", "/api/v1/challenges/attempt"): ACCOUNT,  # staff answers are only checked, never stored
    # Practice (kizuna.services.practice): anyone reads; answering needs an account.
    ("GET", "/api/v1/practice/challenges"): PUBLIC,
    ("GET", "/api/v1/practice/challenges/{challenge_id}"): PUBLIC,
    ("GET", "/api/v1/users/me/practice"): ACCOUNT,
    ("GET", "/api/v1/challenges/{challenge_id}"): ACCOUNT,
    ("PATCH", "/api/v1/challenges/{challenge_id}"): _EDIT,
    ("DELETE", "/api/v1/challenges/{challenge_id}"): _EDIT,
    ("GET", "/api/v1/challenges/{challenge_id}/solves"): ACCOUNT,
    ("GET", "/api/v1/challenges/{challenge_id}/flags"): _VIEW_ALL,
    ("GET", "/api/v1/challenges/{challenge_id}/tags"): _VIEW_ALL,
    ("GET", "/api/v1/challenges/{challenge_id}/topics"): _VIEW_ALL,
    ("GET", "/api/v1/challenges/{challenge_id}/hints"): _VIEW_ALL,
    ("GET", "/api/v1/challenges/{challenge_id}/files"): _VIEW_ALL,
    ("GET", "/api/v1/challenges/{challenge_id}/requirements"): _VIEW_ALL,
    ("GET", "/api/v1/flags"): _VIEW_ALL,
    ("POST", "/api/v1/flags"): _EDIT,
    ("GET", "/api/v1/flags/types"): _EDIT,
    ("GET", "/api/v1/flags/types/{name}"): _EDIT,
    ("GET", "/api/v1/flags/{flag_id}"): _VIEW_ALL,
    ("PATCH", "/api/v1/flags/{flag_id}"): _EDIT,
    ("DELETE", "/api/v1/flags/{flag_id}"): _EDIT,
    ("GET", "/api/v1/hints"): _VIEW_ALL,
    ("POST", "/api/v1/hints"): _EDIT,
    ("GET", "/api/v1/hints/{hint_id}"): ACCOUNT,
    ("PATCH", "/api/v1/hints/{hint_id}"): _EDIT,
    ("DELETE", "/api/v1/hints/{hint_id}"): _EDIT,
    ("GET", "/api/v1/unlocks"): Action.SUBMISSION_VIEW.value,
    ("POST", "/api/v1/unlocks"): Action.PLAY.value,
    ("GET", "/api/v1/tags"): _VIEW_ALL,
    ("POST", "/api/v1/tags"): _EDIT,
    ("GET", "/api/v1/tags/{tag_id}"): _VIEW_ALL,
    ("PATCH", "/api/v1/tags/{tag_id}"): _EDIT,
    ("DELETE", "/api/v1/tags/{tag_id}"): _EDIT,
    ("GET", "/api/v1/topics"): _VIEW_ALL,
    ("POST", "/api/v1/topics"): _EDIT,
    ("DELETE", "/api/v1/topics"): _EDIT,
    ("GET", "/api/v1/topics/{topic_id}"): _VIEW_ALL,
    ("DELETE", "/api/v1/topics/{topic_id}"): _EDIT,
    ("GET", "/api/v1/files"): _VIEW_ALL,
    ("POST", "/api/v1/files"): _EDIT,
    ("GET", "/api/v1/files/{file_id}"): _VIEW_ALL,
    ("DELETE", "/api/v1/files/{file_id}"): _EDIT,
    ("GET", "/api/v1/solutions"): _VIEW_ALL,
    ("POST", "/api/v1/solutions"): _EDIT,
    ("GET", "/api/v1/solutions/{solution_id}"): ACCOUNT,
    ("PATCH", "/api/v1/solutions/{solution_id}"): _EDIT,
    ("DELETE", "/api/v1/solutions/{solution_id}"): _EDIT,
    # --- the API: the board, accounts and teams ---------------------------------------------------
    ("GET", "/api/v1/scoreboard"): PUBLIC,
    ("GET", "/api/v1/scoreboard/top/{count}"): PUBLIC,
    ("GET", "/api/v1/ctftime"): PUBLIC,  # the public (frozen) board, as the scoreboard
    # Brackets (divisions): registration offers them to everyone; admins keep the list.
    ("GET", "/api/v1/brackets"): PUBLIC,
    ("POST", "/api/v1/brackets"): Action.EVENT_SETTINGS.value,
    ("PATCH", "/api/v1/brackets/{bracket_id}"): Action.EVENT_SETTINGS.value,
    ("DELETE", "/api/v1/brackets/{bracket_id}"): Action.EVENT_SETTINGS.value,
    ("GET", "/api/v1/scoreboard/matrix"): PUBLIC,
    ("GET", "/api/v1/users"): PUBLIC,
    ("POST", "/api/v1/users"): Action.ACCOUNT_MANAGE.value,
    ("GET", "/api/v1/users/me"): ACCOUNT,
    ("PATCH", "/api/v1/users/me"): ACCOUNT,
    ("GET", "/api/v1/users/me/solves"): ACCOUNT,
    ("GET", "/api/v1/users/me/fails"): ACCOUNT,
    ("GET", "/api/v1/users/me/awards"): ACCOUNT,
    ("GET", "/api/v1/users/{user_id}"): PUBLIC,
    ("PATCH", "/api/v1/users/{user_id}"): Action.ACCOUNT_MANAGE.value,  # `role` also: role.change
    ("DELETE", "/api/v1/users/{user_id}"): Action.ACCOUNT_MANAGE.value,
    ("GET", "/api/v1/users/{user_id}/solves"): PUBLIC,
    ("GET", "/api/v1/users/{user_id}/fails"): PUBLIC,
    ("GET", "/api/v1/users/{user_id}/awards"): PUBLIC,
    ("GET", "/api/v1/users/{user_id}/badges"): PUBLIC,
    ("GET", "/api/v1/badges"): PUBLIC,
    # Learning progress and leaderboards (read from the statistics job's tables).
    ("GET", "/api/v1/users/me/progress"): ACCOUNT,
    ("GET", "/api/v1/users/{user_id}/progress"): PUBLIC,
    ("GET", "/api/v1/learning/leaderboard"): PUBLIC,
    ("GET", "/api/v1/learning/crews"): PUBLIC,
    # Skill profiles: what the player's page shows (hidden or banned users: 404 as missing).
    ("GET", "/api/v1/users/me/skills"): ACCOUNT,
    ("GET", "/api/v1/users/{user_id}/skills"): PUBLIC,
    ("GET", "/api/v1/teams"): PUBLIC,
    ("POST", "/api/v1/teams"): Action.ACCOUNT_MANAGE.value,
    ("GET", "/api/v1/teams/me"): ACCOUNT,
    ("PATCH", "/api/v1/teams/me"): ACCOUNT,
    ("DELETE", "/api/v1/teams/me"): ACCOUNT,
    ("POST", "/api/v1/teams/me/members"): ACCOUNT,
    ("GET", "/api/v1/teams/me/solves"): ACCOUNT,
    ("GET", "/api/v1/teams/me/fails"): ACCOUNT,
    ("GET", "/api/v1/teams/me/awards"): ACCOUNT,
    ("GET", "/api/v1/teams/{team_id}"): PUBLIC,
    ("PATCH", "/api/v1/teams/{team_id}"): Action.ACCOUNT_MANAGE.value,
    ("DELETE", "/api/v1/teams/{team_id}"): Action.ACCOUNT_MANAGE.value,
    ("GET", "/api/v1/teams/{team_id}/members"): Action.ROSTER_VIEW.value,
    ("POST", "/api/v1/teams/{team_id}/members"): Action.ACCOUNT_MANAGE.value,
    ("DELETE", "/api/v1/teams/{team_id}/members"): Action.ACCOUNT_MANAGE.value,
    ("GET", "/api/v1/teams/{team_id}/solves"): PUBLIC,
    ("GET", "/api/v1/teams/{team_id}/fails"): PUBLIC,
    ("GET", "/api/v1/teams/{team_id}/awards"): PUBLIC,
    ("GET", "/api/v1/tokens"): ACCOUNT,
    ("POST", "/api/v1/tokens"): ACCOUNT,
    ("GET", "/api/v1/tokens/{token_id}"): ACCOUNT,  # another account's: token.manage, else 404
    ("DELETE", "/api/v1/tokens/{token_id}"): ACCOUNT,
    # --- the API: running the event ---------------------------------------------------------------
    ("GET", "/api/v1/awards"): Action.AWARD_MANAGE.value,
    ("POST", "/api/v1/awards"): Action.AWARD_MANAGE.value,
    ("GET", "/api/v1/awards/{award_id}"): Action.AWARD_MANAGE.value,
    ("DELETE", "/api/v1/awards/{award_id}"): Action.AWARD_MANAGE.value,
    ("GET", "/api/v1/submissions"): Action.SUBMISSION_VIEW.value,
    ("GET", "/api/v1/submissions/{submission_id}"): Action.SUBMISSION_VIEW.value,
    ("PATCH", "/api/v1/submissions/{submission_id}"): Action.SUBMISSION_EDIT.value,
    ("DELETE", "/api/v1/submissions/{submission_id}"): Action.SUBMISSION_EDIT.value,
    # The review queue of judged (manual) challenges: judges and admins.
    ("GET", "/api/v1/reviews"): Action.SUBMISSION_REVIEW.value,
    ("POST", "/api/v1/reviews/{review_id}"): Action.SUBMISSION_REVIEW.value,
    ("GET", "/api/v1/reviews/{review_id}/file"): Action.SUBMISSION_REVIEW.value,
    ("GET", "/api/v1/notifications"): PUBLIC,
    ("POST", "/api/v1/notifications"): Action.ANNOUNCEMENT_POST.value,
    ("GET", "/api/v1/notifications/{notification_id}"): PUBLIC,
    ("DELETE", "/api/v1/notifications/{notification_id}"): Action.ANNOUNCEMENT_EDIT.value,
    ("GET", "/api/v1/pages"): Action.PAGE_EDIT.value,
    ("POST", "/api/v1/pages"): Action.PAGE_EDIT.value,
    ("GET", "/api/v1/pages/{page_id}"): Action.PAGE_EDIT.value,
    ("PATCH", "/api/v1/pages/{page_id}"): Action.PAGE_EDIT.value,
    ("DELETE", "/api/v1/pages/{page_id}"): Action.PAGE_EDIT.value,
    ("GET", "/api/v1/event"): PUBLIC,
    ("PATCH", "/api/v1/event"): Action.EVENT_SETTINGS.value,
    # Organisers and sponsors: the public home page lists them; admins keep the list.
    ("GET", "/api/v1/sponsors"): PUBLIC,
    ("POST", "/api/v1/sponsors"): Action.EVENT_SETTINGS.value,
    ("GET", "/api/v1/sponsors/{sponsor_id}"): PUBLIC,
    ("PATCH", "/api/v1/sponsors/{sponsor_id}"): Action.EVENT_SETTINGS.value,
    ("DELETE", "/api/v1/sponsors/{sponsor_id}"): Action.EVENT_SETTINGS.value,
    ("POST", "/api/v1/event/start"): Action.EVENT_CONTROL.value,
    ("POST", "/api/v1/event/pause"): Action.EVENT_CONTROL.value,
    ("POST", "/api/v1/event/resume"): Action.EVENT_CONTROL.value,
    ("POST", "/api/v1/event/extend"): Action.EVENT_CONTROL.value,
    ("POST", "/api/v1/event/freeze"): Action.EVENT_CONTROL.value,
    ("POST", "/api/v1/event/unfreeze"): Action.EVENT_CONTROL.value,
    ("GET", "/api/v1/feed"): Action.FEED_VIEW.value,
    ("GET", "/api/v1/audit"): Action.AUDIT_VIEW.value,
    ("GET", "/api/v1/audit.csv"): Action.AUDIT_VIEW.value,
    ("GET", "/api/v1/exports/{kind}"): Action.RESULTS_EXPORT.value,
    # Write-ups: players send and read their account's own (another's is 404); staff read all.
    ("GET", "/api/v1/writeups"): ACCOUNT,
    ("POST", "/api/v1/writeups"): Action.PLAY.value,
    ("GET", "/api/v1/writeups/{writeup_id}"): ACCOUNT,
    ("PATCH", "/api/v1/writeups/{writeup_id}"): Action.WRITEUP_REVIEW.value,
    ("GET", "/api/v1/integrity"): Action.INTEGRITY_REVIEW.value,
    ("POST", "/api/v1/integrity/scan"): Action.INTEGRITY_REVIEW.value,
    ("POST", "/api/v1/integrity/{signal_id}/dismiss"): Action.INTEGRITY_REVIEW.value,
    ("GET", "/api/v1/users/{user_id}/addresses"): Action.ROSTER_VIEW.value,
    # Learning tracks: browsing is open (hidden tracks and modules are 404 to players); answering
    # needs an account.
    ("GET", "/api/v1/tracks"): PUBLIC,
    ("GET", "/api/v1/tracks/{track_id}"): PUBLIC,
    ("GET", "/api/v1/tracks/{track_id}/lessons/{lesson_id}"): PUBLIC,
    ("POST", "/api/v1/tracks/{track_id}/tasks/{task_id}/answer"): ACCOUNT,
    # Certificates: players ask for theirs; verification is public (invalid: 404); admins revoke.
    ("GET", "/api/v1/certificates"): ACCOUNT,
    ("POST", "/api/v1/certificates"): Action.PLAY.value,
    ("GET", "/api/v1/certificates/{cert_code}"): PUBLIC,
    ("POST", "/api/v1/certificates/{cert_code}/revoke"): Action.CERTIFICATE_MANAGE.value,
    # The recruiter view: opted-in players only; every export audited (recruiting.exported).
    ("GET", "/api/v1/recruiting/export"): Action.RECRUITING_EXPORT.value,
    # --- the stream and the API's documents -------------------------------------------------------
    ("GET", "/events"): PUBLIC,  # each viewer receives only what the policy lets them see
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,  # a redirect to the mark under /static/
    ("GET", "/theme/{choice}"): PUBLIC,  # this browser's cookie only, like /lang/{code}
    ("GET", "/clock/{choice}"): PUBLIC,  # this browser's cookie only, like /theme/{choice}
    ("GET", "/readyz"): PUBLIC,  # for load balancers: names checks, never addresses or errors
    # --- pages: everyone ---------------------------------------------------------------------------
    ("GET", "/"): PUBLIC,
    ("GET", "/register"): PUBLIC,
    ("POST", "/register"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("GET", "/login/code"): PUBLIC,
    ("POST", "/login/code"): PUBLIC,
    # Mailed links (web/pages/account_mail.py): asking for a reset, using a link, verifying.
    ("GET", "/password/forgot"): PUBLIC,
    ("POST", "/password/forgot"): PUBLIC,
    ("GET", "/password/reset"): PUBLIC,
    ("POST", "/password/reset"): PUBLIC,
    ("GET", "/email/verify"): PUBLIC,
    ("POST", "/email/verify"): PUBLIC,
    ("GET", "/email/verified"): ACCOUNT,
    ("POST", "/email/verify/resend"): ACCOUNT,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/lang/{code}"): PUBLIC,
    ("GET", "/teams"): PUBLIC,
    ("GET", "/users"): PUBLIC,
    ("GET", "/teams/{team_id}"): PUBLIC,
    ("GET", "/users/{user_id}"): PUBLIC,
    ("GET", "/badges"): PUBLIC,
    ("GET", "/learn/leaderboard"): PUBLIC,
    ("GET", "/scoreboard"): PUBLIC,
    ("GET", "/practice"): PUBLIC,
    ("GET", "/practice/{challenge_id}"): PUBLIC,
    ("POST", "/practice/{challenge_id}"): ACCOUNT,  # staff answers are only checked
    ("GET", "/scoreboard/fragment"): PUBLIC,
    ("GET", "/scoreboard/matrix"): PUBLIC,
    ("GET", "/venue"): PUBLIC,
    ("GET", "/sponsors/{sponsor_id}/logo"): PUBLIC,
    ("GET", "/venue/fragment"): PUBLIC,
    ("GET", "/venue/board"): PUBLIC,
    ("GET", "/venue/status"): PUBLIC,
    ("GET", "/venue/news"): PUBLIC,
    ("GET", "/announcements"): PUBLIC,
    ("GET", "/pages/{route:path}"): PUBLIC,
    ("GET", "/tracks"): PUBLIC,
    ("GET", "/tracks/{track_id}"): PUBLIC,
    ("GET", "/tracks/{track_id}/lessons/{lesson_id}"): PUBLIC,
    ("GET", "/tracks/{track_id}/files/{name}"): PUBLIC,  # a visible track's attachments
    ("POST", "/tracks/{track_id}/tasks/{task_id}/answer"): ACCOUNT,
    # Certificate verification: anyone, with a code.
    ("GET", "/verify"): PUBLIC,
    ("GET", "/verify/{cert_code}"): PUBLIC,
    # --- pages: an account ------------------------------------------------------------------------
    ("GET", "/account"): ACCOUNT,
    ("POST", "/account/password"): ACCOUNT,
    ("POST", "/account/language"): ACCOUNT,
    ("POST", "/account/profile"): ACCOUNT,
    ("POST", "/account/sessions/end-others"): ACCOUNT,
    ("POST", "/account/time-zone"): ACCOUNT,
    ("POST", "/account/tokens"): ACCOUNT,
    ("POST", "/account/tokens/{token_id}/delete"): ACCOUNT,
    ("GET", "/account/two-factor"): ACCOUNT,
    ("POST", "/account/two-factor/setup"): ACCOUNT,
    ("POST", "/account/two-factor/confirm"): ACCOUNT,
    ("POST", "/account/two-factor/cancel"): ACCOUNT,
    ("POST", "/account/two-factor/recovery"): ACCOUNT,
    ("POST", "/account/two-factor/disable"): ACCOUNT,
    ("GET", "/account/certificates"): ACCOUNT,
    ("POST", "/account/certificates"): Action.PLAY.value,  # staff earn no certificates
    ("GET", "/certificates/{cert_code}.pdf"): ACCOUNT,  # the owner's (or certificate.manage); else 404
    ("POST", "/account/recruiting/consent"): ACCOUNT,  # players only (staff are never exported)
    ("POST", "/account/recruiting/withdraw"): ACCOUNT,
    ("GET", "/challenges"): ACCOUNT,
    ("GET", "/challenges/{challenge_id}"): ACCOUNT,
    ("GET", "/challenges/{challenge_id}/review"): ACCOUNT,  # the judged answer's box, live
    ("POST", "/challenges/{challenge_id}/attempt"): ACCOUNT,  # staff answers are only checked
    ("POST", "/challenges/{challenge_id}/writeup"): Action.PLAY.value,
    ("GET", "/challenges/{challenge_id}/hints/{hint_id}/unlock"): Action.PLAY.value,
    ("POST", "/challenges/{challenge_id}/hints/{hint_id}/unlock"): Action.PLAY.value,
    ("GET", "/files/{location:path}"): ACCOUNT,  # or a signed link; refused as missing (404)
    ("GET", "/team"): ACCOUNT,
    ("POST", "/team/invite"): ACCOUNT,
    ("POST", "/team/leave"): ACCOUNT,
    ("POST", "/team/profile"): ACCOUNT,  # the captain's
    ("GET", "/teams/new"): ACCOUNT,
    ("POST", "/teams/new"): ACCOUNT,
    ("GET", "/teams/join"): ACCOUNT,
    ("POST", "/teams/join"): ACCOUNT,
    # --- pages: the staff area --------------------------------------------------------------------
    ("GET", "/admin"): Action.STAFF_AREA.value,
    ("GET", "/admin/event"): Action.EVENT_SETTINGS.value,
    ("POST", "/admin/event"): Action.EVENT_SETTINGS.value,
    ("GET", "/admin/event/control"): Action.EVENT_CONTROL.value,
    ("POST", "/admin/event/control/{action}"): Action.EVENT_CONTROL.value,
    ("GET", "/admin/feed"): Action.FEED_VIEW.value,
    ("GET", "/admin/feed/rows"): Action.FEED_VIEW.value,
    ("GET", "/admin/rosters"): Action.ROSTER_VIEW.value,
    ("GET", "/admin/audit"): Action.AUDIT_VIEW.value,
    ("GET", "/admin/exports"): Action.RESULTS_EXPORT.value,
    ("GET", "/admin/writeups"): Action.WRITEUP_REVIEW.value,
    ("POST", "/admin/writeups/{writeup_id}"): Action.WRITEUP_REVIEW.value,
    ("GET", "/admin/integrity"): Action.INTEGRITY_REVIEW.value,
    ("POST", "/admin/integrity/scan"): Action.INTEGRITY_REVIEW.value,
    ("POST", "/admin/integrity/{signal_id}/dismiss"): Action.INTEGRITY_REVIEW.value,
    ("GET", "/admin/tracks"): _VIEW_ALL,
    ("GET", "/admin/challenges"): _VIEW_ALL,
    ("GET", "/admin/challenges/new"): _EDIT,
    ("POST", "/admin/challenges/new"): _EDIT,
    ("GET", "/admin/challenges/{challenge_id}"): _VIEW_ALL,  # read-only for judges
    ("POST", "/admin/challenges/{challenge_id}"): _EDIT,
    ("POST", "/admin/challenges/{challenge_id}/flags"): _EDIT,
    ("POST", "/admin/challenges/{challenge_id}/flags/{flag_id}/delete"): _EDIT,
    ("POST", "/admin/challenges/{challenge_id}/hints"): _EDIT,
    ("POST", "/admin/challenges/{challenge_id}/hints/{hint_id}"): _EDIT,
    ("POST", "/admin/challenges/{challenge_id}/hints/{hint_id}/delete"): _EDIT,
    ("POST", "/admin/challenges/{challenge_id}/tags"): _EDIT,
    ("POST", "/admin/challenges/{challenge_id}/tags/{tag_id}/delete"): _EDIT,
    ("POST", "/admin/challenges/{challenge_id}/files"): _EDIT,
    ("POST", "/admin/challenges/{challenge_id}/files/{file_id}/delete"): _EDIT,
    ("GET", "/admin/challenges/{challenge_id}/delete"): _EDIT,
    ("POST", "/admin/challenges/{challenge_id}/delete"): _EDIT,
    ("GET", "/admin/translations"): _EDIT,
    ("POST", "/admin/translations/categories"): _EDIT,
    ("GET", "/admin/accounts"): Action.ACCOUNT_HIDE.value,
    ("GET", "/admin/accounts/{user_id}"): Action.ACCOUNT_HIDE.value,  # marshals: the hide toggle only
    ("POST", "/admin/accounts/{user_id}"): Action.ACCOUNT_MANAGE.value,  # the role: role.change
    ("POST", "/admin/accounts/{user_id}/profile"): Action.ACCOUNT_MANAGE.value,
    ("POST", "/admin/accounts/{user_id}/toggle"): Action.ACCOUNT_HIDE.value,  # ban: account.manage
    ("POST", "/admin/accounts/{user_id}/password"): Action.ACCOUNT_MANAGE.value,
    ("POST", "/admin/accounts/{user_id}/two-factor/reset"): Action.ACCOUNT_MANAGE.value,
    ("GET", "/admin/teams"): Action.ACCOUNT_HIDE.value,
    ("GET", "/admin/teams/{team_id}"): Action.ACCOUNT_HIDE.value,
    ("POST", "/admin/teams/{team_id}"): Action.ACCOUNT_MANAGE.value,
    ("POST", "/admin/teams/{team_id}/profile"): Action.ACCOUNT_MANAGE.value,
    ("POST", "/admin/teams/{team_id}/toggle"): Action.ACCOUNT_HIDE.value,  # ban: account.manage
    ("GET", "/admin/teams/{team_id}/delete"): Action.ACCOUNT_MANAGE.value,
    ("POST", "/admin/teams/{team_id}/delete"): Action.ACCOUNT_MANAGE.value,
    ("GET", "/admin/awards"): Action.AWARD_MANAGE.value,
    ("POST", "/admin/awards"): Action.AWARD_MANAGE.value,
    ("POST", "/admin/awards/{award_id}/delete"): Action.AWARD_MANAGE.value,
    ("GET", "/admin/submissions"): Action.SUBMISSION_VIEW.value,
    ("GET", "/admin/reviews"): Action.SUBMISSION_REVIEW.value,
    ("POST", "/admin/reviews/{review_id}"): Action.SUBMISSION_REVIEW.value,
    ("GET", "/admin/reviews/{review_id}/file"): Action.SUBMISSION_REVIEW.value,
    ("GET", "/admin/announcements"): Action.ANNOUNCEMENT_POST.value,
    ("POST", "/admin/announcements"): Action.ANNOUNCEMENT_POST.value,
    ("GET", "/admin/announcements/{notification_id}/delete"): Action.ANNOUNCEMENT_EDIT.value,
    ("POST", "/admin/announcements/{notification_id}/delete"): Action.ANNOUNCEMENT_EDIT.value,
    ("GET", "/admin/pages"): Action.PAGE_EDIT.value,
    ("GET", "/admin/pages/new"): Action.PAGE_EDIT.value,
    ("POST", "/admin/pages/new"): Action.PAGE_EDIT.value,
    ("GET", "/admin/pages/{page_id}"): Action.PAGE_EDIT.value,
    ("POST", "/admin/pages/{page_id}"): Action.PAGE_EDIT.value,
    ("GET", "/admin/pages/{page_id}/delete"): Action.PAGE_EDIT.value,
    ("POST", "/admin/pages/{page_id}/delete"): Action.PAGE_EDIT.value,
    ("GET", "/admin/sponsors"): Action.EVENT_SETTINGS.value,
    ("GET", "/admin/sponsors/new"): Action.EVENT_SETTINGS.value,
    ("POST", "/admin/sponsors/new"): Action.EVENT_SETTINGS.value,
    ("GET", "/admin/sponsors/{sponsor_id}"): Action.EVENT_SETTINGS.value,
    ("POST", "/admin/sponsors/{sponsor_id}"): Action.EVENT_SETTINGS.value,
    ("GET", "/admin/sponsors/{sponsor_id}/delete"): Action.EVENT_SETTINGS.value,
    ("POST", "/admin/sponsors/{sponsor_id}/delete"): Action.EVENT_SETTINGS.value,
    ("GET", "/admin/certificates"): Action.CERTIFICATE_MANAGE.value,
    ("POST", "/admin/certificates/{cert_code}/revoke"): Action.CERTIFICATE_MANAGE.value,
    ("GET", "/admin/recruiting"): Action.RECRUITING_EXPORT.value,
    ("GET", "/admin/brackets"): Action.EVENT_SETTINGS.value,
    ("POST", "/admin/brackets/new"): Action.EVENT_SETTINGS.value,
    ("GET", "/admin/brackets/{bracket_id}"): Action.EVENT_SETTINGS.value,
    ("POST", "/admin/brackets/{bracket_id}"): Action.EVENT_SETTINGS.value,
    ("GET", "/admin/brackets/{bracket_id}/delete"): Action.EVENT_SETTINGS.value,
    ("POST", "/admin/brackets/{bracket_id}/delete"): Action.EVENT_SETTINGS.value,
}

# Routes that answer a refusal with 404, exactly as for something that does not exist.
HIDDEN_AS_MISSING: frozenset[tuple[str, str]] = frozenset({("GET", "/files/{location:path}")})

# Not routes of the app's own: static files (public by nature).
EXCLUDED_PREFIXES: tuple[str, ...] = ("/static",)


def rule_for(method: str, path: str) -> str:
    return ROUTE_RULES[(method, path)]


def allows(rule: str, role: str | None) -> bool:
    """Whether an account of ``role`` (None: anonymous) passes a route's rule."""
    if rule == PUBLIC:
        return True
    if rule == ACCOUNT:
        return role is not None
    return can(role, Action(rule))
