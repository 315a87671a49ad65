"""The sentence for each domain error id, in the reader's language."""

from __future__ import annotations

from kizuna.domain.errors import DomainError, ErrorCode
from kizuna.i18n import gettext, lazy

MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.NOT_FOUND: lazy("Not found."),
    ErrorCode.FORBIDDEN: lazy("You do not have permission to do that."),
    ErrorCode.AUTH_REQUIRED: lazy("Please log in first."),
    ErrorCode.INVALID_CREDENTIALS: lazy("The name or password is incorrect."),
    ErrorCode.NAME_TAKEN: lazy("That name is already taken."),
    ErrorCode.NAME_INVALID: lazy("Names cannot contain control or formatting characters."),
    ErrorCode.NAME_EMPTY: lazy("Please enter a name."),
    ErrorCode.NAME_TOO_LONG: lazy("Names can be at most %(max)s characters long."),
    ErrorCode.EMAIL_TAKEN: lazy("That email address is already registered."),
    ErrorCode.EMAIL_REQUIRED: lazy("An email address is required for this event."),
    ErrorCode.EMAIL_INVALID: lazy("That does not look like an email address."),
    ErrorCode.PASSWORD_TOO_SHORT: lazy("Passwords must be at least %(min)s characters long."),
    ErrorCode.PASSWORD_WRONG: lazy("Your current password is incorrect."),
    ErrorCode.REGISTRATION_CLOSED: lazy("Registration is closed."),
    ErrorCode.ALREADY_IN_TEAM: lazy("You are already in a team."),
    ErrorCode.TEAM_REQUIRED: lazy("You need to join or create a team first."),
    ErrorCode.TEAM_FULL: lazy("That team is full (at most %(limit)s members)."),
    ErrorCode.INVITE_INVALID: lazy("That invite code is not valid."),
    ErrorCode.NOT_CAPTAIN: lazy("Only the team captain can do that."),
    ErrorCode.NOT_TEAM_MODE: lazy("This event is played individually, without teams."),
    ErrorCode.STAFF_NO_TEAM: lazy("Staff do not play, so staff accounts cannot create or join a team."),
    ErrorCode.CHALLENGE_LOCKED: lazy("Solve the prerequisite challenges first."),
    ErrorCode.EVENT_NOT_STARTED: lazy("The event has not started yet."),
    ErrorCode.EVENT_ENDED: lazy("The event has ended."),
    ErrorCode.EVENT_PAUSED: lazy("The event is paused."),
    ErrorCode.CHALLENGE_CLOSED: lazy("This challenge has closed: answers are no longer accepted."),
    ErrorCode.PRACTICE_NOT_JUDGED: lazy("Answers to judged challenges cannot be sent as practice."),
    ErrorCode.TIME_OFFSET_REQUIRED: lazy(
        "Give the time with its UTC offset, such as 2026-12-05T09:00:00+09:00 or 2026-12-05T00:00:00Z."
    ),
    ErrorCode.HINT_ALREADY_UNLOCKED: lazy("You have already unlocked this hint."),
    ErrorCode.HINT_NOT_ENOUGH_POINTS: lazy("You do not have enough points to unlock this hint."),
    ErrorCode.HINT_LOCKED: lazy("Unlock the earlier hints first."),
    ErrorCode.REGEX_INVALID: lazy("The regular expression is not valid."),
    ErrorCode.REGEX_DANGEROUS: lazy("The regular expression could take too long to match; simplify it."),
    ErrorCode.REGEX_SLOW: lazy(
        "The regular expression takes too long to match some answers, such as “%(example)s” "
        "(%(length)s characters). Make its repeated parts unable to match the same text, "
        "for example [^_]+ instead of .+ before an underscore."
    ),
    ErrorCode.SUBMISSION_TOO_LONG: lazy("An answer may be at most %(max)s characters long."),
    ErrorCode.FLAG_TYPE_UNKNOWN: lazy("Unknown flag type."),
    ErrorCode.CHALLENGE_TYPE_UNKNOWN: lazy("Unknown challenge type."),
    ErrorCode.DECAY_PARAMS_REQUIRED: lazy("Decaying challenges need initial, minimum and decay values."),
    ErrorCode.VALUE_INVALID: lazy("This value is not valid."),
    ErrorCode.FIELD_REQUIRED: lazy("This field is required."),
    ErrorCode.TOKEN_INVALID: lazy("Your access token is invalid."),
    ErrorCode.TOKEN_EXPIRED: lazy("Your access token has expired."),
    ErrorCode.CSRF_FAILED: lazy("Your session has expired; reload the page and try again."),
    ErrorCode.FILE_MISSING: lazy("No file was uploaded."),
    ErrorCode.ACCOUNT_BANNED: lazy("This account has been banned."),
    ErrorCode.LOCALE_INVALID: lazy("“%(locale)s” is not a language code such as en or ja."),
    ErrorCode.TIME_ZONE_INVALID: lazy("“%(zone)s” is not a time zone such as Europe/London or Asia/Tokyo."),
    ErrorCode.TIME_SKIPPED: lazy(
        "%(time)s does not exist in %(zone)s: the clocks go forward then. "
        "Type another time, or the time in another zone such as UTC."
    ),
    ErrorCode.TIME_REPEATED: lazy(
        "%(time)s happens twice in %(zone)s: the clocks go back then. "
        "Type the time in another zone such as UTC, so it names one moment."
    ),
    ErrorCode.ROUTE_TAKEN: lazy("Another page already uses that address."),
    ErrorCode.ROUTE_INVALID: lazy(
        "Page addresses use lower-case letters, digits, hyphens and slashes, such as rules or info/access."
    ),
    ErrorCode.EVENT_ALREADY_STARTED: lazy("The event has already started."),
    ErrorCode.EVENT_ALREADY_PAUSED: lazy("The event is already paused."),
    ErrorCode.EVENT_NOT_PAUSED: lazy("The event is not paused."),
    ErrorCode.EVENT_NO_END: lazy("The event has no end time to extend. Set one in the event settings."),
    ErrorCode.END_TOO_EARLY: lazy("The new end must be later than both now and the current end."),
    ErrorCode.EXTEND_ONE_OF: lazy("Give either a new end time or a number of minutes, not both."),
    ErrorCode.MINUTES_INVALID: lazy("Enter a whole number of minutes from 1 to %(max)s."),
    ErrorCode.SCOREBOARD_ALREADY_FROZEN: lazy("The scoreboard is already frozen."),
    ErrorCode.SCOREBOARD_NOT_FROZEN: lazy("The scoreboard is not frozen."),
    ErrorCode.REASON_REQUIRED: lazy("Give the reason for the pause in at least one language."),
    ErrorCode.REASON_TOO_LONG: lazy("The reason may be at most %(max)s characters long."),
    ErrorCode.REASON_INVALID: lazy("The reason must be plain text, without control characters."),
    ErrorCode.TWO_FACTOR_REQUIRED: lazy(
        "Your role requires two-factor authentication. Turn it on from your account page first."
    ),
    ErrorCode.TWO_FACTOR_CODE_WRONG: lazy("That code is not correct."),
    ErrorCode.TWO_FACTOR_CODE_USED: lazy("That code has already been used. Wait for the next code."),
    ErrorCode.TWO_FACTOR_LOCKED: lazy("Too many wrong codes. Try again in %(minutes)s minutes."),
    ErrorCode.TWO_FACTOR_PROOF_WRONG: lazy(
        "That is neither a current code from your authenticator app nor your password."
    ),
    ErrorCode.TWO_FACTOR_ALREADY_ON: lazy("Two-factor authentication is already on."),
    ErrorCode.TWO_FACTOR_OFF: lazy("Two-factor authentication is not on."),
    ErrorCode.TWO_FACTOR_NO_SETUP: lazy("Start setting up two-factor authentication first."),
    ErrorCode.TOO_MANY_LOGINS: lazy("Too many failed log-ins. Wait %(minutes)s minutes and try again."),
    ErrorCode.TOO_MANY_REGISTRATIONS: lazy(
        "Too many accounts were registered from your network. Wait %(minutes)s minutes and try again."
    ),
    ErrorCode.PASSWORD_TOO_LONG: lazy("A password can have at most %(max)s characters."),
    ErrorCode.NAME_CONTROL_CHARACTER: lazy(
        "Names cannot contain control or invisible formatting characters (%(chars)s)."
    ),
    ErrorCode.TEXT_CONTROL_CHARACTER: lazy(
        "This text cannot contain control or invisible formatting characters (%(chars)s)."
    ),
    ErrorCode.NAME_MIXED_SCRIPT: lazy(
        "This name mixes letters from different alphabets that look alike (%(chars)s). "
        "Type it in one alphabet."
    ),
    ErrorCode.NAME_LOOKS_LIKE: lazy(
        "This name looks the same as a name already taken (some letters only look alike). Choose another."
    ),
    ErrorCode.EMAIL_DOMAIN_INVALID: lazy("%(domain)s is not a valid e-mail domain."),
    ErrorCode.EMAIL_DOMAIN_NOT_ALLOWED: lazy(
        "This event accepts e-mail addresses from these domains only: %(domains)s."
    ),
    ErrorCode.EMAIL_UNVERIFIED: lazy(
        "Verify your e-mail address first: open the link we sent you, "
        "or ask for a new one on your account page."
    ),
    ErrorCode.MAIL_UNAVAILABLE: lazy("This site cannot send e-mail. Ask an organiser for help."),
    ErrorCode.MAIL_TOO_MANY: lazy("Too many messages were asked for. Try again in an hour."),
    ErrorCode.LINK_INVALID: lazy(
        "This link does not work any more: it was already used, it expired, or a newer one was sent. "
        "Ask for a new link."
    ),
    ErrorCode.URL_INVALID: lazy(
        "Enter a full web address that starts with https:// or http://, such as https://example.org/."
    ),
    ErrorCode.LOGO_TYPE: lazy("A logo must be a PNG, JPEG or WebP image. SVG images are not accepted."),
    ErrorCode.LOGO_TOO_LARGE: lazy("A logo can be at most %(max)s KB."),
    ErrorCode.COUNTRY_INVALID: lazy(
        "“%(country)s” is not a country or region code. Use a two-letter ISO 3166 code such as GB or JP."
    ),
    ErrorCode.BRACKET_INVALID: lazy("Choose one of the brackets offered for this kind of account."),
    ErrorCode.BRACKET_LOCKED: lazy("Your bracket has already been chosen. Ask the organisers to change it."),
    ErrorCode.REVIEW_PENDING: lazy(
        "Your earlier answer to this challenge is still waiting for a judge. You can answer again "
        "once it has been decided."
    ),
    ErrorCode.REVIEW_DECIDED: lazy("This answer has already been decided."),
    ErrorCode.REVIEW_VALUE_RANGE: lazy("The points must be more than 0 and at most %(max)s."),
    ErrorCode.ANSWER_FILE_TOO_LARGE: lazy("The file is too large (at most %(max)s KB)."),
    ErrorCode.ANSWER_FILE_TYPE: lazy(
        "That kind of file is not accepted: send a PDF, an image (PNG, JPEG, GIF or WebP), a ZIP or "
        "gzip archive, or plain text."
    ),
    ErrorCode.INPUT_INVALID: lazy(
        "The request could not be read: send well-formed JSON or form data, without NUL characters, "
        "unpaired surrogates, NaN or Infinity, nested at most %(depth)s levels."
    ),
    ErrorCode.BODY_TOO_LARGE: lazy("The request is too large: at most %(limit)s bytes are accepted here."),
    ErrorCode.TEXT_TOO_LONG: lazy("“%(name)s” is too long: at most %(max)s characters (this has %(size)s)."),
    ErrorCode.METHOD_NOT_ALLOWED: lazy("This address does not accept that method."),
    ErrorCode.EXPORT_KIND_UNKNOWN: lazy(
        "“%(kind)s” is not an export: choose standings, solves, submissions, awards or writeups."
    ),
    ErrorCode.EXPORT_FORMAT_UNKNOWN: lazy("“%(format)s” is not a format of this export: choose %(choices)s."),
    ErrorCode.WRITEUP_NOT_ALLOWED: lazy(
        "You can send a write-up of a challenge once your account has solved it, or after the event "
        "has ended if your account took part."
    ),
    ErrorCode.SERVER_ERROR: lazy("Something went wrong on our side. Please try again in a moment."),
    ErrorCode.SERVICE_UNAVAILABLE: lazy(
        "The service is busy or briefly unavailable. Please try again in %(seconds)s seconds."
    ),
    ErrorCode.SIGNAL_ALREADY_DISMISSED: lazy("This signal has already been dismissed."),
    ErrorCode.TRACK_FIELD_UNKNOWN: lazy("Unknown field (expected one of: %(fields)s)."),
    ErrorCode.TRACK_FIELD_KIND: lazy("Must be %(kind)s."),
    ErrorCode.TRACK_FIELD_ONE_OF: lazy("Must be one of: %(allowed)s."),
    ErrorCode.TRACK_TEXT_LONG: lazy("Too long: at most %(max)s characters."),
    ErrorCode.TRACK_TOO_MANY: lazy("Too many entries: at most %(limit)s."),
    ErrorCode.TRACK_ID_INVALID: lazy(
        "“%(value)s” is not an id: use lower-case letters, digits and hyphens (up to 64, starting with a "
        "letter or digit)."
    ),
    ErrorCode.TRACK_ID_DUPLICATE: lazy("The id “%(id)s” is already used in this track (at %(other)s)."),
    ErrorCode.TRACK_LANGUAGE_MISSING: lazy("No text in %(language)s: readers of it see the other language."),
    ErrorCode.TRACK_WINDOW: lazy("closes_at must be later than opens_at."),
    ErrorCode.TRACK_BODY_MISSING: lazy("Lesson “%(id)s” has no body: write %(path)s (or its .ja.md)."),
    ErrorCode.TRACK_CHOICES_FEW: lazy("A multiple-choice task needs at least two choices."),
    ErrorCode.TRACK_ANSWER_INDEX: lazy(
        "answer must be the 0-based index of one of the choices (0 to %(last)s)."
    ),
    ErrorCode.TRACK_FLAG_OR_CHALLENGE: lazy(
        "A flag task has either flag (its own) or challenge (by name), not both."
    ),
    ErrorCode.TRACK_REQUIRES_SEQUENTIAL: lazy("requires is only read when the track's unlock is graph."),
    ErrorCode.TRACK_MODULE_UNKNOWN: lazy("There is no module “%(id)s” in this track."),
    ErrorCode.TRACK_UNLOCK_CYCLE: lazy("The modules require each other in a cycle: %(cycle)s."),
    ErrorCode.TRACK_NONE: lazy("No track.yml here or in any folder below."),
    ErrorCode.TRACK_FILE_NAME: lazy(
        "“%(name)s” cannot be an attachment name: use letters, digits, dots, hyphens and underscores."
    ),
    ErrorCode.TRACK_KEY_TWICE: lazy("The track id “%(id)s” is also used by %(other)s."),
    ErrorCode.MODULE_LOCKED: lazy("This module is locked: complete the modules before it first."),
    ErrorCode.TASK_UNAVAILABLE: lazy("This task is not available yet."),
    ErrorCode.TOO_MANY_TASK_ANSWERS: lazy(
        "Too many wrong answers to tasks. Wait %(minutes)s minutes, read the lesson again and try once more."
    ),
    ErrorCode.CERTIFICATE_NOT_EARNED: lazy(
        "This certificate is not yours to have yet: a track's once you have completed it, the event's "
        "once it has ended and your account solved a challenge or is on the final scoreboard."
    ),
    ErrorCode.CERTIFICATE_FONT_MISSING: lazy(
        "Certificates cannot be made on this server: its Japanese font is not installed (run make install)."
    ),
    ErrorCode.CERTIFICATE_NAMES_SAME: lazy(
        "The second name is the same as the first. Give your name in another script (for example "
        "山田太郎 beside Taro Yamada), or leave it empty."
    ),
    ErrorCode.CERTIFICATE_NAME_UNPRINTABLE: lazy(
        "Certificates cannot print these characters of the name: %(chars)s. Type the name to print "
        "without them, for example in Latin letters or in Japanese."
    ),
    ErrorCode.CONSENT_REQUIRED: lazy("Tick the box to confirm you have read and agree to the text above."),
}


def message_for(error: DomainError) -> str:
    return gettext(MESSAGES[error.code], **error.params)


def attempt_message(message_id: str, **params: object) -> str:
    """The sentence for a flag attempt's outcome (ids from ``services.submissions``)."""
    from kizuna.i18n import ngettext

    if message_id == "correct":
        return gettext("Correct")
    if message_id == "correct_practice":
        return gettext("Correct (practice — not scored)")
    if message_id == "incorrect_practice":
        return gettext("Incorrect (practice)")
    if message_id == "correct_scored":
        return _scored(params)
    if message_id == "incorrect":
        return gettext("Incorrect")
    if message_id == "incorrect_remaining":
        n = int(str(params.get("remaining", 0)))
        return ngettext(
            "Incorrect. You have %(num)s try remaining.", "Incorrect. You have %(num)s tries remaining.", n
        )
    if message_id == "already_solved_correct":
        return gettext("Correct, but you have already solved this challenge.")
    if message_id == "already_solved_incorrect":
        return gettext("Incorrect, and you have already solved this challenge.")
    if message_id == "already_solved_pending":
        return gettext("You have already solved this challenge.")
    if message_id == "partial":
        return gettext("Correct, but more flags are required.")
    if message_id == "pending":
        return gettext("Your answer has been sent. A judge will review it.")
    if message_id == "pending_not_stored":
        return gettext("A judge reviews the answers to this challenge; staff answers are not stored.")
    if message_id == "ratelimited":
        return gettext(
            "You are submitting flags too fast. Try again in %(seconds)s seconds.",
            seconds=params.get("seconds", 60),
        )
    if message_id == "no_attempts_left":
        return gettext("Not accepted. You have no attempts left for this challenge.")
    if message_id == "paused":
        return gettext("%(name)s is paused.", name=params.get("name", ""))
    raise KeyError(message_id)


def _scored(params: dict[str, object]) -> str:
    """The player's page after a correct answer: the points and for whom, and "first blood" only
    when it was (``team`` is "" in individual mode)."""
    from babel.numbers import format_decimal

    from kizuna.i18n import current_locale, ngettext

    n = int(str(params.get("value", 0) or 0))
    num = format_decimal(n, locale=current_locale.get())
    team = str(params.get("team", "") or "")
    blood = bool(params.get("first_blood"))
    if team and blood:
        return ngettext(
            "Correct! +%(num)s point for %(team)s — first blood!",
            "Correct! +%(num)s points for %(team)s — first blood!",
            n,
            num=num,
            team=team,
        )
    if team:
        return ngettext(
            "Correct! +%(num)s point for %(team)s.",
            "Correct! +%(num)s points for %(team)s.",
            n,
            num=num,
            team=team,
        )
    if blood:
        return ngettext(
            "Correct! You have scored %(num)s point — first blood!",
            "Correct! You have scored %(num)s points — first blood!",
            n,
            num=num,
        )
    return ngettext(
        "Correct! You have scored %(num)s point.", "Correct! You have scored %(num)s points.", n, num=num
    )


ATTEMPT_MESSAGE_IDS = (
    "correct",
    "correct_scored",
    "correct_practice",
    "incorrect_practice",
    "incorrect",
    "incorrect_remaining",
    "already_solved_correct",
    "already_solved_incorrect",
    "already_solved_pending",
    "partial",
    "pending",
    "pending_not_stored",
    "ratelimited",
    "no_attempts_left",
    "paused",
)
