"""Badges (バッジ): the definitions (``data/badges.yml`` plus an organiser's file), the background
evaluation of the rules on the event log, and what pages and the API show.

The rules (``domain.badges``) run in the background alone — ``jobs.badges.BadgeWatch`` in serving
processes, ``kizuna badges evaluate`` / ``rebuild`` from the command line — never in a request
handler. :func:`evaluate_batch` is one bounded step, one write transaction: it locks the job's cursor
on the event log (``job_cursors``), reads the next events, folds them into each user's stored
progress (``badge_progress``), inserts the badges earned into ``badge_awards`` (unique per user and
badge; a conflicting insert does nothing) and appends ``badge_awarded`` for each row that went in,
then moves the cursor — all committed together, so a badge is awarded and announced exactly once
however many processes run the job.

Events are committed in id order on SQLite; on PostgreSQL a transaction holding a lower id can
commit after a higher one. The job therefore stops at a gap in the ids while the event after it is
younger than :data:`SETTLE` (a gap older than that is an id a rolled-back transaction used).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from kizuna.domain import badges as rules
from kizuna.domain.badges import Badge, BadgeDefinitionError, Catalogue, Earned, Fact, Progress, World
from kizuna.domain.errors import NotFound
from kizuna.domain.events import Audience
from kizuna.domain.streaks import player_zone
from kizuna.services.context import Context
from kizuna.storage import badge_queries as q
from kizuna.storage import tables as t

BATCH = 500  # events read per step
MAX_STEPS = 200  # steps per catch-up call (100,000 events); the next call goes on
SETTLE = timedelta(seconds=10)
MAX_FILE_BYTES = 1_048_576
SHIPPED = "badges.yml"


# --- definitions ----------------------------------------------------------------------------------


def _load_yaml(name: str, text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadgeDefinitionError(f"{name}: not valid YAML ({exc.__class__.__name__})") from exc


@functools.cache
def shipped_catalogue() -> Catalogue:
    text = resources.files("kizuna").joinpath("data", SHIPPED).read_text(encoding="utf-8")
    return rules.parse_catalogue([(SHIPPED, _load_yaml(SHIPPED, text))])


def load_catalogue(extra_file: str | Path = "") -> Catalogue:
    """Kizuna's badges plus those of ``extra_file`` (an organiser's YAML of the same form), checked:
    a :class:`BadgeDefinitionError` names the file, the badge and what is wrong."""
    if not extra_file:
        return shipped_catalogue()
    path = Path(extra_file)
    name = path.name
    if not path.is_file():
        raise BadgeDefinitionError(f"{extra_file}: no such file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise BadgeDefinitionError(f"{name}: larger than {MAX_FILE_BYTES} bytes")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BadgeDefinitionError(f"{name}: not UTF-8 text") from exc
    shipped = resources.files("kizuna").joinpath("data", SHIPPED).read_text(encoding="utf-8")
    return rules.parse_catalogue([(SHIPPED, _load_yaml(SHIPPED, shipped)), (name, _load_yaml(name, text))])


def catalogue(ctx: Context) -> Catalogue:
    return ctx.badges if ctx.badges is not None else shipped_catalogue()


# --- evaluation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    read: int  # events passed by the cursor
    awarded: list[Earned]
    done: bool  # nothing more to read now (caught up, or waiting at a young gap)


def _taken(rows: Sequence[q.LogRow], cursor: int, now: datetime) -> tuple[list[q.LogRow], bool]:
    taken: list[q.LogRow] = []
    expected = cursor + 1
    for row in rows:
        if row.id != expected and row.created_at > now - SETTLE:
            return taken, True  # a lower id may still commit: wait for it
        taken.append(row)
        expected = row.id + 1
    return taken, False


def evaluate_batch(ctx: Context, limit: int = BATCH) -> Step:
    """Read up to ``limit`` events after the cursor and award what they complete. Everything is
    read and worked out outside any write; the write transaction (SQLite's lock, held briefly) only
    stores the progress and the awards and moves the cursor — and does nothing when another process
    moved the cursor meanwhile (this one looks again)."""
    cat = catalogue(ctx)
    now = ctx.now()
    with ctx.db.read() as s:
        cursor = q.read_cursor(s)
        if cursor >= q.latest_event_id(s):
            return Step(0, [], True)  # nothing new: no write transaction at all
        heads = q.event_heads_after(s, cursor, limit)
        taken, waiting = _taken(heads, cursor, now)
        if not taken:
            return Step(0, [], True)
        relevant = [h.id for h in taken if h.type in rules.RELEVANT]
        facts = [Fact(r.type, r.data, r.created_at) for r in q.events_by_ids(s, relevant)] if relevant else []
        plan = _plan(s, cat, facts) if facts else None
    with ctx.write() as uow:
        if q.lock_cursor(uow.session) != cursor:
            return Step(0, [], False)
        awarded: list[Earned] = []
        if plan is not None:
            q.save_progress(uow.session, plan.states, now)
            awarded = _insert(uow, plan.earned, plan.members, plan.mode)
        q.move_cursor(uow.session, taken[-1].id, now)
    return Step(len(taken), awarded, waiting or len(heads) < limit)


@dataclass(frozen=True)
class _Plan:
    states: dict[int, dict[str, Any]]  # each user's progress after the batch
    earned: list[Earned]
    members: dict[int, q.Member]
    mode: str


def _plan(s: Any, cat: Catalogue, facts: list[Fact]) -> _Plan:
    """Fold a batch's facts into the stored progress of the users they concern (reads only)."""
    writeups = {
        w for f in facts if f.type == "writeup_prize" and isinstance(w := f.data.get("writeup_id"), int)
    }
    base = World(writeup_authors=q.writeup_authors(s, writeups))
    users = {u for f in facts if (u := rules.user_of(f, base)) is not None}
    members = q.members(s, users)  # users deleted since are left out
    mode, event_zones = q.event_settings(s)
    world = World(
        categories=q.categories(s),
        zones={u: player_zone(m.time_zone, event_zones) for u, m in members.items()},
        writeup_authors=base.writeup_authors,
        default_zone=player_zone(None, event_zones),
    )
    own = [f for f in facts if rules.user_of(f, world) in members]
    stored = q.progress(s, members)
    progresses = {u: Progress.from_json(stored.get(u)) for u in members}
    earned = rules.evaluate(cat, progresses, own, world)
    return _Plan({u: p.to_json() for u, p in progresses.items()}, list(earned), members, mode)


def _insert(uow: Any, earned: Sequence[Earned], members: dict[int, q.Member], mode: str) -> list[Earned]:
    out: list[Earned] = []
    for e in earned:
        if not q.insert_award(uow.session, e.user_id, e.badge_key, e.at):
            continue
        member = members.get(e.user_id)
        account = e.user_id if mode == "users" else (member.team_id if member else None)
        uow.emit(
            "badge_awarded",
            {"badge_key": e.badge_key, "user_id": e.user_id},
            audience=Audience.ACCOUNT,
            account_id=account,
        )
        out.append(e)
    return out


def catch_up(ctx: Context, limit: int = BATCH, max_steps: int = MAX_STEPS) -> list[Earned]:
    """Evaluate batch after batch until the cursor reaches the log's end (at most ``max_steps``)."""
    out: list[Earned] = []
    for _ in range(max_steps):
        step = evaluate_batch(ctx, limit)
        out.extend(step.awarded)
        if step.done:
            break
    return out


def recheck(ctx: Context, page: int = 500) -> list[Earned]:
    """Check every stored progress against the definitions again — for badges added to the
    definitions since the events were read (those are awarded as of now). Bounded pages, each its
    own transaction."""
    cat = catalogue(ctx)
    out: list[Earned] = []
    after = 0
    while True:
        now = ctx.now()
        with ctx.write() as uow:
            s = uow.session
            q.lock_cursor(s)
            stored = q.progress_page(s, after, page)
            if not stored:
                break
            after = max(stored)
            mode, event_zones = q.event_settings(s)
            members = q.members(s, stored)
            world = World(
                categories=q.categories(s),
                zones={u: player_zone(m.time_zone, event_zones) for u, m in members.items()},
                default_zone=player_zone(None, event_zones),
            )
            earned: list[Earned] = []
            states: dict[int, dict[str, Any]] = {}
            for user, raw in stored.items():
                progress = Progress.from_json(raw)
                for badge in cat.badges:
                    if badge.key not in progress.earned and rules.holds(badge.rule, progress, world):
                        progress.earned.add(badge.key)
                        earned.append(Earned(user, badge.key, now))
                states[user] = progress.to_json()
            if earned:
                q.save_progress(s, states, now)
                out.extend(_insert(uow, earned, members, mode))
    return out


def rebuild(ctx: Context) -> list[Earned]:
    """Read the whole event log again from the start (after changing definitions, or to repair):
    the stored progress is cleared and rebuilt; awards already made are kept (a badge once earned is
    never taken back), missing ones are added and announced. Returns the new awards."""
    with ctx.write() as uow:
        q.lock_cursor(uow.session)
        q.clear_progress(uow.session)
        q.move_cursor(uow.session, 0, ctx.now())
    out: list[Earned] = []
    while True:
        step = evaluate_batch(ctx)
        out.extend(step.awarded)
        if step.done:
            return out


# --- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    badge: Badge
    earned_by: int


def overview(ctx: Context) -> list[Shown]:
    """Every badge, with how many listed players hold it."""
    with ctx.db.read() as s:
        counts = q.earned_counts(s)
    return [Shown(b, counts.get(b.key, 0)) for b in catalogue(ctx).badges]


@dataclass(frozen=True)
class Held:
    badge: Badge
    awarded_at: datetime


def held_by(ctx: Context, user_id: int) -> list[Held]:
    """A user's badges, oldest first (awards whose definition is gone are left out). The caller has
    checked that the reader may see this user."""
    cat = catalogue(ctx)
    with ctx.db.read() as s:
        rows = q.awards_of(s, user_id)
    out = []
    for key, at in rows:
        badge = cat.get(key)
        if badge is not None:
            out.append(Held(badge, at))
    return out


def listed_user(ctx: Context, user_id: int, moderator: bool) -> t.User:
    """The user, or NotFound when hidden, banned or in a hidden or banned team (unless ``moderator``)."""
    with ctx.db.read() as s:
        user = s.get(t.User, user_id)
        team = s.get(t.Team, user.team_id) if user is not None and user.team_id else None
    unlisted = user is not None and (
        user.hidden or user.banned or (team is not None and (team.hidden or team.banned))
    )
    if user is None or (unlisted and not moderator):
        raise NotFound()
    return user
