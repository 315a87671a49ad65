"""Live events as a reader receives them: the sentences (in their language or both), the names they
may see and the ``text/event-stream`` frames of ``GET /events`` (the contract is docs/api.md).

An event read from the log is prepared once per process (:class:`Prepared`: the names and texts it
needs in every language, looked up once for all connections) and rendered once per kind of reader
(their languages, and whether the event speaks to them); connections share the rendered bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kizuna.domain.clock import utc
from kizuna.domain.live import LiveEvent, World
from kizuna.i18n import gettext_in, lazy
from kizuna.markdown import render_markdown
from kizuna.web.snapshots import iso

BLOODS = {
    1: lazy("First blood! %(account)s solved %(challenge)s."),
    2: lazy("Second blood: %(account)s solved %(challenge)s."),
    3: lazy("Third blood: %(account)s solved %(challenge)s."),
}
STATES = {
    "started": lazy("The event has started."),
    "paused": lazy("The event is paused."),
    "resumed": lazy("The event has resumed."),
    "frozen": lazy("The scoreboard is frozen."),
    "unfrozen": lazy("The scoreboard is no longer frozen."),
    "ended": lazy("The event has ended."),
}
PAUSED_BECAUSE = lazy("The event is paused: %(reason)s")
EXTENDED_UNTIL = lazy("The event has been extended until %(end)s.")
EXTENDED_OPEN = lazy("The event has been extended; it no longer has an end time.")
RELEASED = lazy("New challenge: %(challenge)s")
HINT_ADDED = lazy("A new hint is available for %(challenge)s.")
AWARD = lazy("Award for %(account)s: %(value)s points")
PENALTY = lazy("Penalty for %(account)s: %(value)s points")
HIDDEN = lazy("%(account)s has been hidden pending review.")
SHOWN = lazy("%(account)s is visible again.")
SUBMISSIONS = {
    "correct": lazy("%(account)s submitted a correct flag for %(challenge)s."),
    "incorrect": lazy("%(account)s submitted a wrong flag for %(challenge)s."),
    "ratelimited": lazy("%(account)s was rate-limited on %(challenge)s."),
    "already_solved": lazy("%(account)s submitted a flag for %(challenge)s, already solved."),
    "partial": lazy("%(account)s submitted one of the flags %(challenge)s needs."),
    "pending": lazy("%(account)s sent an answer to %(challenge)s for review."),
}
REVIEWS = {
    "accepted": lazy("A judge accepted your answer to %(challenge)s."),
    "rejected": lazy("A judge did not accept your answer to %(challenge)s. Open the challenge to read why."),
}
REVIEW_PARTIAL = lazy("A judge accepted your answer to %(challenge)s for %(value)s points.")
BADGE_EARNED = lazy("Badge earned: %(badge)s")
BADGE_EARNED_BY = lazy("%(user)s earned a badge: %(badge)s")
SUBMISSION_OTHER = lazy("%(account)s submitted a flag for %(challenge)s (%(result)s).")

RETRY = b"retry: 3000\n\n"
KEEP_ALIVE = b": keep-alive\n\n"


@dataclass(frozen=True)
class Announcement:
    """An announcement's text in one reader language (``locale``: the language the text is in)."""

    title: str
    content: str
    locale: str


@dataclass(eq=False)
class Prepared:
    """An event with what its readers need, prepared once per process."""

    event: LiveEvent
    world: World
    # Per reader language: {"challenge": …, "account": …, "user": …}, only the names the event has.
    names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # Per reader language, for an announcement.
    announcement: Mapping[str, Announcement] | None = None
    announced_at: str | None = None
    _frames: dict[tuple[tuple[str, ...], bool | str], tuple[bytes, ...]] = field(default_factory=dict)

    def frames(self, locales: Sequence[str], speaks: bool | str) -> tuple[bytes, ...]:
        """The frames (without their ``id:`` line) for readers of ``locales`` (reader's first) to whom
        the event speaks or not; rendered once per kind of reader."""
        key = (tuple(locales), speaks)
        found = self._frames.get(key)
        if found is None:
            found = self._frames[key] = render(self, key[0], speaks)
        return found


def _dump(value: Any) -> bytes:
    # json.dumps escapes line breaks inside strings, so the data always fits on one ``data:`` line.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def frame(kind: str, value: Any) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + _dump(value) + b"\n\n"


# A solve sent without its blood rank (domain.live.withholds_rank): no sentence, first_blood 0.
WITHHELD = "withheld"


def render(p: Prepared, locales: tuple[str, ...], speaks: bool | str) -> tuple[bytes, ...]:
    e = p.event
    primary = locales[0]
    data = dict(e.data)
    if speaks == WITHHELD:
        data["first_blood"] = 0
    body = {
        "id": e.id,
        "type": e.type,
        "at": iso(e.created_at),
        "data": data,
        "names": dict(p.names.get(primary, {})),
        "messages": messages(p, locales) if speaks is True else [],
    }
    out: list[bytes] = []
    if e.type == "announcement" and p.announcement:
        out.append(frame("notification", ctfd_notification(p, primary)))
    out.append(frame(e.type, body))
    return tuple(out)


def ctfd_notification(p: Prepared, locale: str) -> dict[str, Any]:
    """CTFd's notification object (what CTFd-era clients expect), in the reader's language."""
    text = (p.announcement or {}).get(locale) or Announcement("", "", locale)
    return {
        "id": p.event.data.get("notification_id"),
        "title": text.title,
        "content": text.content,
        "html": render_markdown(text.content),
        "date": p.announced_at,
        "type": "toast",
        "sound": True,
        "user_id": None,
        "team_id": None,
    }


def messages(p: Prepared, locales: Sequence[str]) -> list[dict[str, str]]:
    """The event's sentence in each of ``locales`` (reader's first), the same text only once."""
    out: list[dict[str, str]] = []
    for code in locales:
        said = sentence(p, code)
        if said is not None and said[0] and all(m["text"] != said[0] for m in out):
            out.append({"locale": said[1], "text": said[0]})
    return out


def _end(value: Any) -> str:
    try:
        when = utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return str(value)
    return when.strftime("%Y-%m-%d %H:%M UTC") if when is not None else str(value)


def _points(value: Any) -> str:
    return str(abs(value)) if isinstance(value, int) else str(value)


def sentence(p: Prepared, code: str) -> tuple[str, str] | None:
    """The event's sentence in language ``code`` and the language it is in; None when it has none."""
    e, d = p.event, p.event.data
    names = p.names.get(code, {})
    challenge = names.get("challenge") or f"#{e.challenge_id}"
    account = names.get("account") or f"#{d.get('account_id')}"

    def say(message: str, **values: object) -> tuple[str, str]:
        return gettext_in(code, message, **values), code

    if e.type == "solve" and e.first_blood in BLOODS:
        return say(BLOODS[e.first_blood], account=account, challenge=challenge)
    if e.type == "announcement" and p.announcement and code in p.announcement:
        text = p.announcement[code]
        return text.title, text.locale
    if e.type == "event_state":
        return _state_sentence(d, code)
    if e.type == "challenge_released":
        return say(RELEASED, challenge=challenge)
    if e.type == "hint_added":
        return say(HINT_ADDED, challenge=challenge)
    if e.type == "award":
        value = d.get("value")
        negative = isinstance(value, int) and value < 0
        return say(PENALTY if negative else AWARD, account=account, value=_points(value))
    if e.type == "account_hidden":
        return say(HIDDEN if d.get("hidden") else SHOWN, account=account)
    if e.type == "review_decided":
        decision, value = str(d.get("decision") or ""), d.get("value")
        if decision == "accepted" and isinstance(value, int):
            return say(REVIEW_PARTIAL, challenge=challenge, value=value)
        if decision in REVIEWS:
            return say(REVIEWS[decision], challenge=challenge)
        return None
    if e.type == "badge_awarded":
        badge = names.get("badge")
        if not badge:
            return None  # a badge whose definition is gone
        user = names.get("user")  # team mode: which member earned it
        return say(BADGE_EARNED_BY, user=user, badge=badge) if user else say(BADGE_EARNED, badge=badge)
    if e.type == "submission":
        result = str(d.get("result") or "")
        if result in SUBMISSIONS:
            return say(SUBMISSIONS[result], account=account, challenge=challenge)
        return say(SUBMISSION_OTHER, account=account, challenge=challenge, result=result)
    return None


def _state_sentence(d: Mapping[str, Any], code: str) -> tuple[str, str] | None:
    state = d.get("state")
    if state == "paused":
        given = d.get("reason")
        reasons: dict[str, Any] = given if isinstance(given, dict) else {}
        reason = str(reasons.get(code) or "").strip()
        if not reason:  # the reason in another language is better than none
            reason = next((str(v).strip() for v in reasons.values() if str(v or "").strip()), "")
        if reason:
            return gettext_in(code, PAUSED_BECAUSE, reason=reason), code
    if state == "extended":
        end = d.get("end_at")
        if end:
            return gettext_in(code, EXTENDED_UNTIL, end=_end(end)), code
        return gettext_in(code, EXTENDED_OPEN), code
    if isinstance(state, str) and state in STATES:
        return gettext_in(code, STATES[state]), code
    return None
