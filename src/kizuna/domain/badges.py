"""Badges (バッジ): definitions as data and the rules that award them, evaluated on the event log.

Pure: no files, no SQL. :func:`parse_catalogue` checks definitions already read from YAML (the
shipped ``kizuna/data/badges.yml`` and an organiser's extra file); :func:`fold` applies events to one
user's :class:`Progress` and returns the badges they newly earn; :func:`evaluate` does it for any
number of users at once.

Each rule is monotone — more events never make a condition false — so the set of badges earned
does not depend on the order of the events, and folding batch by batch (with the progress stored
in between) gives the same set as folding everything at once. The property tests
(``tests/domain/test_badges_property.py``) check both, and that no badge is earned twice or without
its condition.

Rules (``rule: {kind: …}`` in the file):

* ``track_completed`` ``{track: key}`` (no ``track``: any track) — a ``track_completed`` event;
* ``category_mastery`` ``{category: name, solves: n}`` — n distinct challenges of that category
  solved, during the event (``solve``) or as practice (``practice_solve``); categories compare
  without regard to case or width, and a challenge counts in the category it has when evaluated;
* ``first_blood`` ``{count: n}`` — n challenges solved first (``solve`` with ``first_blood`` 1);
* ``streak`` ``{days: n}`` — n consecutive active days (``domain.streaks``) in the player's zone;
  active means a solve, a practice solve or learning progress (task, lesson, module, track);
* ``helpful_writeup`` ``{count: n}`` — n write-ups marked with a prize (``writeup_prize`` with
  ``prize`` true), credited to the write-up's author; taking the mark away later does not take the
  badge back (a badge once earned is kept);
* ``lessons`` ``{count: n}`` — n distinct lessons completed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from kizuna.domain.streaks import local_day, streak
from kizuna.domain.text import LocalizedText

LOCALES = ("en", "ja")
KINDS = ("track_completed", "category_mastery", "first_blood", "streak", "helpful_writeup", "lessons")
# The icons shipped as /static/badges/<name>.svg (an organiser's badge picks one of them).
ICONS = frozenset(
    {
        "flag",
        "drop",
        "flame",
        "book",
        "shield",
        "key",
        "globe",
        "magnifier",
        "quill",
        "star",
        "laurel",
        "gear",
    }
)
# Event types the rules read; the others are skipped.
ACTIVE = frozenset(
    {"solve", "practice_solve", "task_completed", "lesson_completed", "module_completed", "track_completed"}
)
RELEVANT = ACTIVE | {"writeup_prize"}
MAX_COUNT = 100_000
MAX_BADGES = 500
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")


class BadgeDefinitionError(ValueError):
    """A badge definition that cannot be used; the message names the file's badge and field."""


@dataclass(frozen=True)
class Rule:
    kind: str
    count: int = 1  # solves / count / days
    track: str = ""  # track_completed: "" is any track
    category: str = ""  # category_mastery


@dataclass(frozen=True)
class Badge:
    key: str
    text: LocalizedText  # "name" and "description" in English and Japanese
    icon: str
    rule: Rule


@dataclass(frozen=True)
class Catalogue:
    badges: tuple[Badge, ...] = ()

    def get(self, key: str) -> Badge | None:
        return next((b for b in self.badges if b.key == key), None)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(b.key for b in self.badges)


def _fail(where: str, what: str) -> BadgeDefinitionError:
    return BadgeDefinitionError(f"{where}: {what}")


def _count(raw: Mapping[str, Any], name: str, where: str) -> int:
    value = raw.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_COUNT:
        raise _fail(where, f"rule.{name} must be a whole number from 1 to {MAX_COUNT}")
    return value


def parse_rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise _fail(where, "rule must be a mapping with a kind")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise _fail(where, f"rule.kind must be one of {', '.join(KINDS)}")
    allowed = {
        "track_completed": {"track"},
        "category_mastery": {"category", "solves"},
        "first_blood": {"count"},
        "streak": {"days"},
        "helpful_writeup": {"count"},
        "lessons": {"count"},
    }[kind]
    extra = set(raw) - allowed - {"kind"}
    if extra:
        raise _fail(where, f"rule has unknown fields: {', '.join(sorted(map(str, extra)))}")
    if kind == "track_completed":
        track = raw.get("track", "")
        if not isinstance(track, str) or len(track) > 64:
            raise _fail(where, "rule.track must be a track key (text, at most 64 characters)")
        return Rule(kind, 1, track=track.strip())
    if kind == "category_mastery":
        category = raw.get("category")
        if not isinstance(category, str) or not category.strip() or len(category) > 64:
            raise _fail(where, "rule.category must be a category name (text, at most 64 characters)")
        return Rule(kind, _count(raw, "solves", where), category=category.strip())
    return Rule(kind, _count(raw, "days" if kind == "streak" else "count", where))


def _texts(raw: Mapping[str, Any], where: str) -> LocalizedText:
    texts: dict[str, dict[str, str]] = {code: {} for code in LOCALES}
    for name, limit in (("name", 80), ("description", 300)):
        value = raw.get(name)
        if not isinstance(value, Mapping):
            raise _fail(where, f"{name} must give the text in each language ({', '.join(LOCALES)})")
        for code in LOCALES:
            text = value.get(code)
            if not isinstance(text, str) or not text.strip():
                raise _fail(where, f"{name}.{code} is missing")
            if len(text) > limit:
                raise _fail(where, f"{name}.{code} is longer than {limit} characters")
            texts[code][name] = text.strip()
        unknown = set(value) - set(LOCALES)
        if unknown:
            raise _fail(where, f"{name} has unknown languages: {', '.join(sorted(map(str, unknown)))}")
    return LocalizedText("en", texts)


def parse_badge(raw: Any, where: str) -> Badge:
    if not isinstance(raw, Mapping):
        raise _fail(where, "each badge must be a mapping")
    key = raw.get("key")
    if not isinstance(key, str) or not key or len(key) > 64 or not set(key) <= _KEY_CHARS:
        raise _fail(where, "key must be 1–64 characters of a–z, 0–9, '_' or '-'")
    where = f"{where} ({key})"
    unknown = set(raw) - {"key", "name", "description", "icon", "rule"}
    if unknown:
        raise _fail(where, f"unknown fields: {', '.join(sorted(map(str, unknown)))}")
    icon = raw.get("icon")
    if icon not in ICONS:
        raise _fail(where, f"icon must be one of {', '.join(sorted(ICONS))}")
    return Badge(key, _texts(raw, where), str(icon), parse_rule(raw.get("rule"), where))


def parse_catalogue(sources: Sequence[tuple[str, Any]]) -> Catalogue:
    """The badges of several documents (``(name, parsed YAML)``, in order): each a mapping with a
    ``badges`` list. A key defined twice — in one file or across files — is an error."""
    badges: list[Badge] = []
    seen: dict[str, str] = {}
    for name, doc in sources:
        if not isinstance(doc, Mapping) or not isinstance(doc.get("badges"), list):
            raise BadgeDefinitionError(f"{name}: expected a mapping with a 'badges' list")
        unknown = set(doc) - {"badges"}
        if unknown:
            raise BadgeDefinitionError(
                f"{name}: unknown top-level fields: {', '.join(sorted(map(str, unknown)))}"
            )
        for i, raw in enumerate(doc["badges"], 1):
            badge = parse_badge(raw, f"{name}, badge {i}")
            if badge.key in seen:
                raise BadgeDefinitionError(
                    f"{name}, badge {i}: key {badge.key!r} is already defined in {seen[badge.key]}"
                )
            seen[badge.key] = name
            badges.append(badge)
    if len(badges) > MAX_BADGES:
        raise BadgeDefinitionError(f"more than {MAX_BADGES} badges")
    return Catalogue(tuple(badges))


# --- evaluation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One stored event as the rules see it: its type, values and time (naive UTC)."""

    type: str
    data: Mapping[str, Any]
    at: datetime


@dataclass(frozen=True)
class World:
    """What the events do not say: challenge categories, each player's zone (already chosen with
    ``streaks.player_zone``) and the author of each write-up."""

    categories: Mapping[int, str] = field(default_factory=dict)
    zones: Mapping[int, str] = field(default_factory=dict)
    writeup_authors: Mapping[int, int] = field(default_factory=dict)
    default_zone: str = "UTC"

    def zone(self, user_id: int) -> str:
        return self.zones.get(user_id) or self.default_zone


@dataclass
class Progress:
    """One user's facts so far (sets: the order they arrived in does not matter), and badges earned."""

    tracks: set[str] = field(default_factory=set)
    solved: set[int] = field(default_factory=set)
    bloods: set[int] = field(default_factory=set)
    days: set[date] = field(default_factory=set)
    prizes: set[int] = field(default_factory=set)
    lessons: set[str] = field(default_factory=set)
    earned: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {
            "tracks": sorted(self.tracks),
            "solved": sorted(self.solved),
            "bloods": sorted(self.bloods),
            "days": sorted(d.isoformat() for d in self.days),
            "prizes": sorted(self.prizes),
            "lessons": sorted(self.lessons),
            "earned": sorted(self.earned),
        }

    @classmethod
    def from_json(cls, raw: Any) -> Progress:
        raw = raw if isinstance(raw, Mapping) else {}

        def ints(name: str) -> set[int]:
            return {int(x) for x in raw.get(name) or () if isinstance(x, int)}

        def strs(name: str) -> set[str]:
            return {str(x) for x in raw.get(name) or () if isinstance(x, str)}

        return cls(
            tracks=strs("tracks"),
            solved=ints("solved"),
            bloods=ints("bloods"),
            days={date.fromisoformat(x) for x in strs("days")},
            prizes=ints("prizes"),
            lessons=strs("lessons"),
            earned=strs("earned"),
        )


def category_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().casefold()


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def user_of(fact: Fact, world: World) -> int | None:
    """The user a fact counts for: the event's ``user_id``; a prize, the write-up's author."""
    if fact.type == "writeup_prize":
        writeup = _int(fact.data.get("writeup_id"))
        return world.writeup_authors.get(writeup) if writeup is not None else None
    return _int(fact.data.get("user_id")) if fact.type in RELEVANT else None


def apply(progress: Progress, fact: Fact, user_id: int, world: World) -> None:
    """Add what ``fact`` tells about ``user_id`` to their progress."""
    d = fact.data
    if fact.type in ACTIVE:
        progress.days.add(local_day(fact.at, world.zone(user_id)))
    if fact.type in ("solve", "practice_solve"):
        challenge = _int(d.get("challenge_id"))
        if challenge is not None:
            progress.solved.add(challenge)
            if fact.type == "solve" and d.get("first_blood") == 1:
                progress.bloods.add(challenge)
    elif fact.type == "track_completed":
        progress.tracks.add(str(d.get("track_key") or ""))
    elif fact.type == "lesson_completed":
        progress.lessons.add(f"{d.get('track_key')}/{d.get('module_key')}/{d.get('lesson_key')}")
    elif fact.type == "writeup_prize" and d.get("prize") is True:
        writeup = _int(d.get("writeup_id"))
        if writeup is not None:
            progress.prizes.add(writeup)


def holds(rule: Rule, progress: Progress, world: World) -> bool:
    """Does ``progress`` meet ``rule``?"""
    if rule.kind == "track_completed":
        return rule.track in progress.tracks if rule.track else bool(progress.tracks - {""})
    if rule.kind == "category_mastery":
        wanted = category_key(rule.category)
        return (
            sum(1 for c in progress.solved if category_key(world.categories.get(c, "")) == wanted)
            >= rule.count
        )
    if rule.kind == "first_blood":
        return len(progress.bloods) >= rule.count
    if rule.kind == "streak":
        return bool(progress.days) and streak(progress.days, max(progress.days)).longest >= rule.count
    if rule.kind == "helpful_writeup":
        return len(progress.prizes) >= rule.count
    if rule.kind == "lessons":
        return len(progress.lessons) >= rule.count
    return False


@dataclass(frozen=True)
class Earned:
    user_id: int
    badge_key: str
    at: datetime  # the time of the event that completed the condition


def fold(
    catalogue: Catalogue, progress: Progress, user_id: int, facts: Iterable[Fact], world: World
) -> list[Earned]:
    """Apply ``facts`` (all of this user's) in order; the badges newly earned, each once, with the
    time of the event that completed it. ``progress`` is updated in place (``earned`` too)."""
    out: list[Earned] = []
    for fact in facts:
        apply(progress, fact, user_id, world)
        for badge in catalogue.badges:
            if badge.key not in progress.earned and holds(badge.rule, progress, world):
                progress.earned.add(badge.key)
                out.append(Earned(user_id, badge.key, fact.at))
    return out


def evaluate(
    catalogue: Catalogue, progresses: dict[int, Progress], facts: Iterable[Fact], world: World
) -> list[Earned]:
    """Fold every fact into the progress of the user it counts for (created when missing)."""
    by_user: dict[int, list[Fact]] = {}
    for fact in facts:
        user = user_of(fact, world)
        if user is not None:
            by_user.setdefault(user, []).append(fact)
    out: list[Earned] = []
    for user, own in by_user.items():
        out.extend(fold(catalogue, progresses.setdefault(user, Progress()), user, own, world))
    return out
