"""The typed events of the stored event log (``events`` table).

An event is a type plus values — never a sentence — so each reader renders it in their own
language. Every type is declared here with exactly the keys it carries; ``tests/meta/test_events.py``
checks every ``emit`` in the code against this table and that docs/architecture.md describes each.

Audiences: ``public`` (anyone who may see the things it names), ``staff`` (judges, marshals,
admins — and authors for challenge changes), ``account`` (the account named, plus staff).
"""

from __future__ import annotations

from enum import StrEnum

EVENT_TYPES: dict[str, tuple[str, ...]] = {
    # A correct flag recorded; first_blood is the solve's rank 1–3 on that challenge, else 0.
    "solve": ("challenge_id", "account_id", "user_id", "first_blood", "value"),
    # Every flag attempt, right or wrong, for the live activity feed (staff only).
    "submission": ("submission_id", "challenge_id", "account_id", "user_id", "result", "address"),
    # An answer to a manual challenge joined the review queue (staff only).
    "review_submitted": ("review_id", "challenge_id", "account_id"),
    # A judge accepted or rejected it (decision "accepted"/"rejected"; value: a partial award or
    # None); for the account named alone (and staff).
    "review_decided": ("review_id", "challenge_id", "account_id", "decision", "value"),
    "award": ("award_id", "account_id", "value"),
    "unlock": ("account_id", "hint_id", "challenge_id"),
    "announcement": ("notification_id",),
    "hint_added": ("challenge_id", "hint_id"),
    "challenge_released": ("challenge_id",),
    # A snapshot revision changed (the board must be read again).
    "scoreboard": ("revision",),
    # started, paused (with reason per language), resumed, extended (end_at), frozen, unfrozen, ended.
    "event_state": ("state", "reason", "end_at"),
    "account_hidden": ("account_id", "kind", "hidden"),
    # A write-up sent or changed by an account (staff), and a judge's prize mark (that account).
    "writeup_submitted": ("writeup_id", "challenge_id", "account_id", "user_id", "updated"),
    "writeup_prize": ("writeup_id", "challenge_id", "account_id", "prize"),
    # Cache and page invalidation without a public meaning of their own.
    "challenge_changed": ("challenge_id",),
    "account_changed": ("account_id",),
    "event_changed": (),
    # An integrity signal dismissed by a judge (staff; the audit trail has who and the note).
    "integrity_dismissed": ("signal_id", "kind"),
    # --- The learning half (per user; audience "account" with the user's account_id). ---
    # A correct flag on a practice challenge, or on any challenge after the event ended: recorded
    # in practice_solves, never on the event's board.
    "practice_solve": ("challenge_id", "account_id", "user_id"),
    # Learning-track progress, named by the stable keys of track.yml (they survive re-import).
    "task_completed": ("track_key", "module_key", "lesson_key", "task_key", "user_id", "required"),
    "lesson_completed": ("track_key", "module_key", "lesson_key", "user_id"),
    "module_completed": ("track_key", "module_key", "user_id"),
    "track_completed": ("track_key", "user_id"),
    # A badge earned (badge_key from the badge definitions); appended by the badge job alone.
    "badge_awarded": ("badge_key", "user_id"),
}


class Audience(StrEnum):
    PUBLIC = "public"
    STAFF = "staff"
    ACCOUNT = "account"


class EventState(StrEnum):
    STARTED = "started"
    PAUSED = "paused"
    RESUMED = "resumed"
    EXTENDED = "extended"
    FROZEN = "frozen"
    UNFROZEN = "unfrozen"
    ENDED = "ended"
