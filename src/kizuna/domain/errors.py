"""Domain errors carry a message id and values, never finished prose.

The web adapter turns the id into a sentence in the reader's language; ``ErrorCode`` lists every id so
a test can check that each has a translated message.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    AUTH_REQUIRED = "auth_required"
    INVALID_CREDENTIALS = "invalid_credentials"
    NAME_TAKEN = "name_taken"
    NAME_INVALID = "name_invalid"  # a character a name may not hold (after cleaning)
    NAME_EMPTY = "name_empty"
    NAME_TOO_LONG = "name_too_long"
    EMAIL_TAKEN = "email_taken"
    EMAIL_REQUIRED = "email_required"
    EMAIL_INVALID = "email_invalid"
    PASSWORD_TOO_SHORT = "password_too_short"  # noqa: S105 - a message id, not a secret
    PASSWORD_WRONG = "password_wrong"  # noqa: S105 - a message id, not a secret
    REGISTRATION_CLOSED = "registration_closed"
    ALREADY_IN_TEAM = "already_in_team"
    TEAM_REQUIRED = "team_required"
    TEAM_FULL = "team_full"
    INVITE_INVALID = "invite_invalid"
    NOT_CAPTAIN = "not_captain"
    NOT_TEAM_MODE = "not_team_mode"
    STAFF_NO_TEAM = "staff_no_team"
    CHALLENGE_LOCKED = "challenge_locked"
    EVENT_NOT_STARTED = "event_not_started"
    EVENT_ENDED = "event_ended"
    EVENT_PAUSED = "event_paused"
    CHALLENGE_CLOSED = "challenge_closed"  # its close time passed: attempts are refused
    PRACTICE_NOT_JUDGED = "practice_not_judged"  # a judged (manual) challenge cannot be practised
    TIME_OFFSET_REQUIRED = "time_offset_required"  # an API time without its UTC offset
    HINT_ALREADY_UNLOCKED = "hint_already_unlocked"
    HINT_NOT_ENOUGH_POINTS = "hint_not_enough_points"
    HINT_LOCKED = "hint_locked"
    REGEX_INVALID = "regex_invalid"
    REGEX_DANGEROUS = "regex_dangerous"
    REGEX_SLOW = "regex_slow"
    SUBMISSION_TOO_LONG = "submission_too_long"
    FLAG_TYPE_UNKNOWN = "flag_type_unknown"
    CHALLENGE_TYPE_UNKNOWN = "challenge_type_unknown"
    DECAY_PARAMS_REQUIRED = "decay_params_required"
    VALUE_INVALID = "value_invalid"
    FIELD_REQUIRED = "field_required"
    TOKEN_INVALID = "token_invalid"  # noqa: S105 - a message id, not a secret
    TOKEN_EXPIRED = "token_expired"  # noqa: S105 - a message id, not a secret
    CSRF_FAILED = "csrf_failed"
    FILE_MISSING = "file_missing"
    ACCOUNT_BANNED = "account_banned"
    LOCALE_INVALID = "locale_invalid"
    TIME_ZONE_INVALID = "time_zone_invalid"
    TIME_SKIPPED = "time_skipped"
    TIME_REPEATED = "time_repeated"
    ROUTE_TAKEN = "route_taken"
    ROUTE_INVALID = "route_invalid"
    # Event control (kizuna.domain.event_state).
    EVENT_ALREADY_STARTED = "event_already_started"
    EVENT_ALREADY_PAUSED = "event_already_paused"
    EVENT_NOT_PAUSED = "event_not_paused"
    EVENT_NO_END = "event_no_end"
    END_TOO_EARLY = "end_too_early"
    EXTEND_ONE_OF = "extend_one_of"
    MINUTES_INVALID = "minutes_invalid"
    SCOREBOARD_ALREADY_FROZEN = "scoreboard_already_frozen"
    SCOREBOARD_NOT_FROZEN = "scoreboard_not_frozen"
    REASON_REQUIRED = "reason_required"
    REASON_TOO_LONG = "reason_too_long"
    REASON_INVALID = "reason_invalid"
    TWO_FACTOR_REQUIRED = "two_factor_required"
    TWO_FACTOR_CODE_WRONG = "two_factor_code_wrong"
    TWO_FACTOR_CODE_USED = "two_factor_code_used"
    TWO_FACTOR_LOCKED = "two_factor_locked"
    TWO_FACTOR_PROOF_WRONG = "two_factor_proof_wrong"
    TWO_FACTOR_ALREADY_ON = "two_factor_already_on"
    TWO_FACTOR_OFF = "two_factor_off"
    TWO_FACTOR_NO_SETUP = "two_factor_no_setup"
    # Sessions, log-in throttling and look-alike names (kizuna.services.throttle, domain.names).
    TOO_MANY_LOGINS = "too_many_logins"
    TOO_MANY_REGISTRATIONS = "too_many_registrations"
    PASSWORD_TOO_LONG = "password_too_long"  # noqa: S105 - a message id, not a secret
    NAME_CONTROL_CHARACTER = "name_control_character"
    TEXT_CONTROL_CHARACTER = "text_control_character"  # an affiliation or country, beside a name
    NAME_MIXED_SCRIPT = "name_mixed_script"
    NAME_LOOKS_LIKE = "name_looks_like"
    # Mail: e-mail verification and its domain allow-list (kizuna.services.recovery).
    EMAIL_DOMAIN_INVALID = "email_domain_invalid"
    EMAIL_DOMAIN_NOT_ALLOWED = "email_domain_not_allowed"
    EMAIL_UNVERIFIED = "email_unverified"
    MAIL_UNAVAILABLE = "mail_unavailable"
    LINK_INVALID = "link_invalid"
    URL_INVALID = "url_invalid"  # a web address that is not http(s)://host…
    LOGO_TYPE = "logo_type"  # a logo that is not a PNG, JPEG or WebP image
    LOGO_TOO_LARGE = "logo_too_large"
    COUNTRY_INVALID = "country_invalid"  # not an ISO 3166-1 alpha-2 code (kizuna.domain.countries)
    BRACKET_INVALID = "bracket_invalid"  # no such bracket, or one for the other kind of account
    BRACKET_LOCKED = "bracket_locked"  # a player's bracket, once chosen, is changed by the organisers
    MAIL_TOO_MANY = "mail_too_many"
    # The review queue (kizuna.services.reviews).
    REVIEW_PENDING = "review_pending"  # an answer of the account already waits for a judge
    REVIEW_DECIDED = "review_decided"  # another judge decided first
    REVIEW_VALUE_RANGE = "review_value_range"
    ANSWER_FILE_TOO_LARGE = "answer_file_too_large"
    ANSWER_FILE_TYPE = "answer_file_type"
    # Malformed or oversized input (kizuna.web.limits, kizuna.web.errors, kizuna.domain.limits).
    INPUT_INVALID = "input_invalid"
    BODY_TOO_LARGE = "body_too_large"
    TEXT_TOO_LONG = "text_too_long"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    SERVER_ERROR = "server_error"
    # Results exports (kizuna.domain.exports): an export or a format that does not exist.
    EXPORT_KIND_UNKNOWN = "export_kind_unknown"
    EXPORT_FORMAT_UNKNOWN = "export_format_unknown"
    # Write-ups (kizuna.services.writeups): only after solving, or after the event for players.
    WRITEUP_NOT_ALLOWED = "writeup_not_allowed"
    # The database is locked or unreachable (kizuna.web.failures): 503, try again shortly.
    SERVICE_UNAVAILABLE = "service_unavailable"
    # Integrity signals (kizuna.services.integrity).
    SIGNAL_ALREADY_DISMISSED = "signal_already_dismissed"
    # Learning tracks: a track folder's problems (kizuna.domain.tracks) and answering tasks.
    TRACK_FIELD_UNKNOWN = "track_field_unknown"
    TRACK_FIELD_KIND = "track_field_kind"
    TRACK_FIELD_ONE_OF = "track_field_one_of"
    TRACK_TEXT_LONG = "track_text_long"
    TRACK_TOO_MANY = "track_too_many"
    TRACK_ID_INVALID = "track_id_invalid"
    TRACK_ID_DUPLICATE = "track_id_duplicate"
    TRACK_LANGUAGE_MISSING = "track_language_missing"
    TRACK_WINDOW = "track_window"
    TRACK_BODY_MISSING = "track_body_missing"
    TRACK_CHOICES_FEW = "track_choices_few"
    TRACK_ANSWER_INDEX = "track_answer_index"
    TRACK_FLAG_OR_CHALLENGE = "track_flag_or_challenge"
    TRACK_REQUIRES_SEQUENTIAL = "track_requires_sequential"
    TRACK_MODULE_UNKNOWN = "track_module_unknown"
    TRACK_UNLOCK_CYCLE = "track_unlock_cycle"
    TRACK_NONE = "track_none"
    TRACK_FILE_NAME = "track_file_name"
    TRACK_KEY_TWICE = "track_key_twice"
    MODULE_LOCKED = "module_locked"
    TASK_UNAVAILABLE = "task_unavailable"
    TOO_MANY_TASK_ANSWERS = "too_many_task_answers"
    # Certificates (kizuna.services.certificates): not (yet) earned; the PDF's font missing.
    CERTIFICATE_NOT_EARNED = "certificate_not_earned"
    CERTIFICATE_FONT_MISSING = "certificate_font_missing"
    CERTIFICATE_NAMES_SAME = "certificate_names_same"  # the name in a second script repeats the first
    CERTIFICATE_NAME_UNPRINTABLE = "certificate_name_unprintable"  # characters the PDF font lacks
    # The recruiter view: consent must be ticked (kizuna.services.recruiting).
    CONSENT_REQUIRED = "consent_required"


class DomainError(Exception):
    """A rule was broken. ``field`` names the input at fault, when there is one."""

    def __init__(self, code: ErrorCode, field: str = "", status: int = 400, **params: Any) -> None:
        super().__init__(code.value)
        self.code = code
        self.field = field
        self.status = status
        self.params = params


class NotFound(DomainError):
    def __init__(self, field: str = "") -> None:
        super().__init__(ErrorCode.NOT_FOUND, field=field, status=404)


class Forbidden(DomainError):
    def __init__(self, code: ErrorCode = ErrorCode.FORBIDDEN, field: str = "") -> None:
        super().__init__(code, field=field, status=403)
