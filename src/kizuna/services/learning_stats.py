"""Learning progress statistics, derived from the stored event log by a background job
(``jobs.learning_stats``), never computed per request: pages and the API read what this wrote.

The job reads the log after its cursor (``job_cursors``, the last event id applied), in bounded
batches of events that earn XP (``domain.progress.XP_EVENTS``), and for each event's user adds:

- the XP (``domain.progress.xp_of``, the rules from the settings) to ``learner_xp`` in three scopes
  — all time, the ISO week and the month of the event's day — and two tracks: ``""`` (everything)
  and the event's learning track when it has one;
- an activity (solves, practice solves, completed tasks) and the XP to ``learner_days``, the day
  being the event's calendar day *in the player's zone* (``domain.streaks.player_zone``: their own
  zone, else the event's first, else UTC — the zone as it is when the event is counted);
- then, per user touched, ``learner_stats``: the XP total, its level, the run of consecutive active
  days ending at the last active day and the longest run (``domain.streaks.streak``).

The cursor and every derived row change in one transaction, with the cursor's row locked (``FOR
UPDATE`` on PostgreSQL, SQLite's write lock), so however many processes run the job each event is
counted exactly once, and a crash loses or repeats nothing. On PostgreSQL an event id can commit
after a larger one, so the job only reads events stored at least :data:`SETTLE` ago there.
:func:`rebuild` recomputes everything from the whole log in one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from kizuna.domain.progress import (
    XpRules,
    is_activity,
    level_of,
    scopes_of,
    track_of,
    xp_of,
)
from kizuna.domain.streaks import local_day, player_zone, streak
from kizuna.domain.zones import zones_or_default
from kizuna.services.context import Context
from kizuna.storage import cursors
from kizuna.storage import progress_queries as q
from kizuna.storage import tables as t

CURSOR = "learning_stats"
BATCH = 100  # events read and applied per transaction (short: the write lock is held meanwhile)
MAX_BATCHES = 100  # batches per turn of the background job (the next turn goes on)
SETTLE = timedelta(seconds=30)  # PostgreSQL: how old an event must be before it is counted


@dataclass(frozen=True)
class Turn:
    applied: int  # XP events applied
    cursor: int  # the cursor after the turn
    batches: int


def _settled_before(ctx: Context, now: datetime) -> datetime | None:
    return None if ctx.db.is_sqlite else now - SETTLE


def _user_of(data: dict[str, object]) -> int | None:
    uid = data.get("user_id")
    return uid if isinstance(uid, int) and not isinstance(uid, bool) and uid > 0 else None


def apply_events(s: Any, events: list[q.LoggedEvent], rules: XpRules, now: datetime) -> int:
    """Add the effects of ``events`` to the derived tables; returns how many counted."""
    zones = q.user_zones(s, (u for e in events if (u := _user_of(e.data)) is not None))
    home = zones_or_default(q.event_zones(s))
    day_delta: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])
    xp_delta: dict[tuple[int, str, str], int] = defaultdict(int)
    xp_when: dict[tuple[int, str, str], datetime] = {}
    activities: dict[int, int] = defaultdict(int)
    counted = 0
    for e in events:
        uid = _user_of(e.data)
        if uid is None or uid not in zones:
            continue  # a user since deleted (their rows went with them)
        counted += 1
        xp = xp_of(e.type, e.data, rules)
        day = local_day(e.created_at, player_zone(zones[uid], home))
        cell = day_delta[(uid, day)]
        cell[0] += 1 if is_activity(e.type) else 0
        cell[1] += xp
        activities[uid] += 1 if is_activity(e.type) else 0
        if xp <= 0:
            continue
        track = track_of(e.type, e.data)
        for scope in scopes_of(day):
            for key in {"", track}:
                xp_delta[(uid, scope, key)] += xp
                xp_when[(uid, scope, key)] = max(xp_when.get((uid, scope, key), e.created_at), e.created_at)
    users = sorted({uid for uid, _ in day_delta})
    if not users:
        return counted
    stored_days = q.days_of(s, users, (d for _, d in day_delta))
    for (uid, day), (count, xp) in day_delta.items():
        row = stored_days.get((uid, day))
        if row is None:
            s.add(t.LearnerDay(user_id=uid, day=day, count=count, xp=xp))
        else:
            row.count += count
            row.xp += xp
    stored_xp = q.xp_rows(s, users, (k[1] for k in xp_delta), (k[2] for k in xp_delta))
    for (uid, scope, key), xp in xp_delta.items():
        reached = xp_when[(uid, scope, key)]
        xrow = stored_xp.get((uid, scope, key))
        if xrow is None:
            s.add(t.LearnerXp(user_id=uid, scope=scope, track_key=key, xp=xp, reached_at=reached))
        else:
            xrow.xp += xp
            xrow.reached_at = max(xrow.reached_at, reached)
    s.flush()
    _refresh_users(s, users, zones, home, activities, rules, now)
    return counted


def _refresh_users(
    s: Any,
    users: list[int],
    zones: dict[int, str],
    home: list[str],
    activities: dict[int, int],
    rules: XpRules,
    now: datetime,
) -> None:
    """XP total, level and streaks of the users a batch touched, from their derived rows."""
    totals = q.total_xp(s, users)
    days = q.active_days(s, users)
    stats = q.stats_of(s, users)
    for uid in users:
        row = stats.get(uid)
        if row is None:
            row = t.LearnerStats(user_id=uid, xp=0, level=1, run=0, longest=0, activities=0)
            s.add(row)
        run = streak(days[uid], max(days[uid])) if days[uid] else streak([], now.date())
        row.xp = totals.get(uid, 0)
        row.level = level_of(row.xp, rules.levels).number
        row.run, row.longest, row.last_day = run.current, run.longest, run.last_day
        row.zone = player_zone(zones.get(uid), home)
        row.activities = (row.activities or 0) + activities.get(uid, 0)
        row.updated_at = now


def _batch(ctx: Context, s: Any, now: datetime, limit: int) -> tuple[int, int, bool]:
    """One batch under the locked cursor: (events applied, new cursor, more to read)."""
    last = cursors.lock_cursor(s, CURSOR)
    upper = q.newest_event_id(s, last, _settled_before(ctx, now))
    if upper <= last:
        return 0, last, False
    events = q.xp_events(s, last, upper, limit)
    full = len(events) == limit
    new_last = events[-1].id if full else upper
    applied = apply_events(s, events, ctx.xp, now)
    cursors.move_cursor(s, CURSOR, new_last, now)
    return applied, new_last, full


def advance(ctx: Context, limit: int = BATCH) -> Turn:
    """Apply one batch of new events (one transaction). A quiet log costs one read, no write."""
    with ctx.db.read() as s:
        last = cursors.read_cursor(s, CURSOR)
        if q.newest_event_id(s, last, _settled_before(ctx, ctx.now())) <= last:
            return Turn(0, last, 0)
    with ctx.db.write() as s:
        applied, cursor, _more = _batch(ctx, s, ctx.now(), limit)
    return Turn(applied, cursor, 1)


def catch_up(ctx: Context, limit: int = BATCH, max_batches: int = MAX_BATCHES) -> Turn:
    """Apply batches until the log is read or ``max_batches`` were applied (bounded work per turn)."""
    applied = batches = 0
    cursor = 0
    for _ in range(max_batches):
        turn = advance(ctx, limit)
        applied += turn.applied
        cursor = turn.cursor
        if not turn.batches:
            break
        batches += 1
    return Turn(applied, cursor, batches)


def rebuild(ctx: Context, limit: int = BATCH) -> Turn:
    """Forget every derived row and read the whole log again, in one transaction (readers see the
    old statistics until it commits). Counts days in each player's zone as it is now."""
    now = ctx.now()
    applied = batches = 0
    with ctx.db.write() as s:
        cursors.lock_cursor(s, CURSOR)
        q.reset(s)
        cursors.move_cursor(s, CURSOR, 0, now)
        while True:
            n, last, more = _batch(ctx, s, now, limit)
            applied += n
            batches += 1
            if not more:
                break
    return Turn(applied, last, batches)
