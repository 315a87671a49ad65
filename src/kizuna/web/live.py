"""The engine under ``GET /events``: one tailer per process reads the stored event log and fans new
events out to this process's open streams.

* The ``events`` table is the source of truth. The tailer remembers the last id it delivered and reads
  the rows after it in bounded batches: when the bus wakes it (events committed in this process, or
  in another replica through Redis pub/sub) and otherwise every ``poll_seconds`` — one cheap indexed
  query per process, not per connection — so several workers on SQLite without Redis still deliver
  within a second. A bus message carries nothing the tailer trusts; it only wakes it up.
* On PostgreSQL ids are handed out before the transactions that carry them commit, so a smaller id
  can appear after a larger one. Ids skipped over are remembered for ``gap_seconds`` and read again
  with each batch, so such an event is still delivered (late, after the larger one).
* Each batch is prepared once for every connection (:func:`LiveHub.prepare`): the event's state, and
  the challenges, accounts and announcements it names, each looked up by primary key in the same
  read. Reads are at least ``batch_seconds`` apart (more with thousands of streams open, see
  :meth:`LiveHub.batch_gap`), so events that come close together go out in one write per stream:
  the work is bounded however fast events come.
  Each connection has a bounded queue; a connection whose queue is full is closed (the browser
  reconnects and resumes with ``Last-Event-ID``) and never holds the others up.
* Signed-in streams are checked again every ``revalidate_seconds`` with one query for all of them,
  and at once when a batch carries an account change (``account_changed``, ``account_hidden``): a
  stream whose account was deleted, banned, hidden or shown, logged out everywhere, moved or given
  another role, or whose API token was revoked or has expired, is closed (the reader reconnects and
  gets what its credentials allow now, or a 401). :meth:`LiveHub.revalidate_soon` asks for a check on
  the next turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from kizuna.domain.clock import Phase
from kizuna.domain.events import Audience
from kizuna.domain.live import LiveEvent, Viewer, World, sees_staff_news, visible_to
from kizuna.domain.policy import Action
from kizuna.i18n import LOCALES
from kizuna.services import badges
from kizuna.services.accounts import Principal
from kizuna.services.context import Context
from kizuna.services.event import clock_of, get_event
from kizuna.services.translations import NOTIFICATION_TEXT
from kizuna.storage import event_log
from kizuna.storage import tables as t
from kizuna.web.content import content_order, localized
from kizuna.web.live_render import Announcement, Prepared
from kizuna.web.snapshots import iso

log = logging.getLogger(__name__)

# Event types after which signed-in streams are checked again at once (bans, hiding, roles, teams).
ACCOUNT_CHANGES = frozenset({"account_changed", "account_hidden"})
# Ids below the cursor remembered as possibly committing late, at most this many.
MAX_GAPS = 1000
# Streams handed an event (or a keep-alive) per turn of the event loop: between two slices the loop
# serves other requests, so writing to thousands of streams never stalls them all at once.
SLICE = 100


@dataclass(frozen=True)
class LiveSettings:
    """The stream's knobs (``app.state.live.settings``; tests shorten the intervals)."""

    poll_seconds: float = 0.25  # how often the tailer reads the log when nothing wakes it
    # The shortest time between two reads: events closer together go out in one write per stream,
    # so the work per stream is bounded however fast events come. With many streams open the gap
    # grows (up to ``batch_max_seconds``) to keep fan-out under ``writes_per_second`` stream writes.
    batch_seconds: float = 0.1
    batch_max_seconds: float = 0.5
    writes_per_second: int = 5000
    heartbeat_seconds: float = 15.0  # idle time before a ``: keep-alive`` comment
    queue_limit: int = 256  # events waiting for one connection before it is closed as too slow
    send_timeout: float = 10.0  # seconds one write may take before the connection is dropped
    resume_limit: int = 1000  # most events a resuming stream is sent from the log
    max_streams: int = 10_000  # open streams per process
    per_account: int = 32  # open streams per signed-in account per process
    revalidate_seconds: float = 30.0
    gap_seconds: float = 30.0


class StreamLimit(Exception):
    """No more streams: ``status`` 503 (this process is full or stopping) or 429 (this account)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass(eq=False)
class Stream:
    """One open ``GET /events`` connection: who watches, in which languages, and what waits."""

    viewer: Viewer
    locales: tuple[str, ...]
    mode: str  # the event mode the viewer's account was worked out in
    principal: Principal | None = None
    via_token: bool = False
    limit: int = 256
    token_digest: str = ""  # the API token's digest when opened with one (re-checked: revoked, expired)
    session_digest: str = ""  # the browser session's digest when opened with one (re-checked: logged out)
    floor: int = 0  # the head of the log when it opened: older events reach it only by resuming
    hidden: bool = False  # the account was hidden when the stream opened (a change closes it)
    pending: deque[Prepared] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    closed: str = ""  # why it was closed: "slow", "shutdown", "revoked", "mode", "gone"
    keep_alive: bool = False  # the hub's ticker found it idle for a heartbeat interval
    written_at: float = 0.0  # loop time of the last write

    def offer(self, item: Prepared) -> None:
        if self.closed or item.event.id <= self.floor:  # stored before it opened: not news to it
            return
        if len(self.pending) >= self.limit:
            self.close("slow")
            return
        self.pending.append(item)
        self.wake.set()

    def close(self, why: str) -> None:
        if not self.closed:
            self.closed = why
        self.wake.set()

    async def take(self) -> list[Prepared] | None:
        """What is waiting (nothing once closed), or None when a keep-alive is due. No timer per
        stream: the hub's one ticker wakes idle streams (:meth:`LiveHub._beat`)."""
        while not (self.pending or self.closed or self.keep_alive):
            self.wake.clear()
            await self.wake.wait()
        self.keep_alive = False
        if self.pending or self.closed:
            items = list(self.pending)
            self.pending.clear()
            return items
        return None


@dataclass
class _Batch:
    ids: list[int]
    prepared: list[Prepared]
    mode: str
    full: bool
    skipped: list[int] = field(default_factory=list)  # the staff's news, left unprepared: nobody watched


def to_live(row: t.EventLog) -> LiveEvent:
    return LiveEvent(
        id=int(row.id),
        type=row.type,
        data=dict(row.data or {}),
        audience=row.audience,
        account_id=row.account_id,
        created_at=row.created_at,
    )


class LiveHub:
    """This process's tailer and its open streams (``app.state.live``)."""

    def __init__(self, ctx: Context, settings: LiveSettings | None = None) -> None:
        self.ctx = ctx
        self.settings = settings or LiveSettings()
        self.streams: set[Stream] = set()
        self._staff = 0  # open streams that can see the staff's news (sees_staff_news)
        self._opened = 0  # streams opened so far (a tick without streams checks none opened meanwhile)
        self.cursor = 0  # the highest event id delivered
        self.mode = "teams"
        self._per_user: Counter[int] = Counter()
        self._gaps: dict[int, float] = {}
        # Stream bytes made once for every stream that gets the same (kizuna.web.stream._chunk).
        self.chunks: dict[Any, tuple[int, bytes, list[Prepared]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._restore_signals: Callable[[], None] | None = None
        self._accepting = False
        self._checked_at = 0.0

    # --- lifecycle (the app's lifespan) ---------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._accepting and self._task is not None and not self._task.done()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._wake = asyncio.Event()
        # One thread for the tailer's reads: they never wait behind request handlers for a thread.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kizuna-live")
        self.cursor, self.mode = await loop.run_in_executor(self._executor, self._position)
        self._unsubscribe = self.ctx.bus.subscribe(self._on_bus)
        self._task = loop.create_task(self._run(), name="kizuna-live-tailer")
        self._ticker = loop.create_task(self._beat(), name="kizuna-live-heartbeat")
        self._checked_at = time.monotonic()
        self._accepting = True

        def stopping() -> None:
            loop.call_soon_threadsafe(self.shutdown)

        self._restore_signals = _chain_exit_signals(stopping)

    def shutdown(self) -> None:
        """Refuse new streams and end the open ones (the server is stopping: uvicorn waits for every
        response to finish, and a stream never would by itself)."""
        self._accepting = False
        for stream in list(self.streams):
            stream.close("shutdown")

    async def stop(self) -> None:
        if self._restore_signals is not None:
            self._restore_signals()
            self._restore_signals = None
        self.shutdown()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for task in (self._task, self._ticker):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._ticker = None
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def _position(self) -> tuple[int, str]:
        with self.ctx.db.read() as s:
            return event_log.latest_id(s), self._event(s).mode

    def _event(self, s: Any) -> t.Event:
        return s.get(t.Event, 1) or get_event(self.ctx)

    def _on_bus(self, _event: Any) -> None:
        # Called in whichever thread published (or the Redis listener): only wake the tailer, and
        # only when someone here listens (with no stream open, the poll keeps the cursor current).
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or not self.streams:
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed: the process is stopping
            loop.call_soon_threadsafe(wake.set)

    # --- streams -----------------------------------------------------------------------------------

    def open(
        self,
        viewer: Viewer,
        locales: Sequence[str],
        principal: Principal | None,
        via_token: bool = False,
        token_digest: str = "",
        hidden: bool = False,
        session_digest: str = "",
        floor: int = 0,
    ) -> Stream:
        if not self.running or len(self.streams) >= self.settings.max_streams:
            raise StreamLimit(503)
        if principal is not None and self._per_user[principal.user_id] >= self.settings.per_account:
            raise StreamLimit(429)
        stream = Stream(
            viewer,
            tuple(locales) or ("en",),
            self.mode,
            principal,
            via_token,
            limit=self.settings.queue_limit,
            token_digest=token_digest if via_token else "",
            hidden=hidden,
            session_digest="" if via_token else session_digest,
            floor=floor,
        )
        self.streams.add(stream)
        self._opened += 1
        if sees_staff_news(viewer):
            self._staff += 1
        if principal is not None:
            self._per_user[principal.user_id] += 1
        return stream

    def release(self, stream: Stream) -> None:
        if stream in self.streams:
            self.streams.discard(stream)
            if sees_staff_news(stream.viewer):
                self._staff -= 1
            if stream.principal is not None:
                self._per_user[stream.principal.user_id] -= 1
                if self._per_user[stream.principal.user_id] <= 0:
                    del self._per_user[stream.principal.user_id]

    async def resume(self, stream: Stream, after_id: int) -> list[Prepared]:
        """The stored events after ``after_id`` the stream's viewer may see (at most the newest
        ``resume_limit`` of them), read in a worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._resume, stream.viewer, after_id)

    def _resume(self, viewer: Viewer, after_id: int) -> list[Prepared]:
        if viewer.can(Action.FEED_VIEW):
            audiences: set[str] | None = None
        elif viewer.can(Action.CHALLENGE_VIEW_ALL):
            audiences = {Audience.PUBLIC, Audience.STAFF}
        else:
            audiences = {Audience.PUBLIC}
        with self.ctx.db.read() as s:
            rows = event_log.recent_after(
                s, after_id, self.settings.resume_limit, audiences, viewer.account_id
            )
            prepared, _mode = self.prepare(s, rows) if rows else ([], "")
        return [p for p in prepared if visible_to(p.event, viewer, p.world)]

    # --- the tailer --------------------------------------------------------------------------------

    async def _run(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        last = 0.0
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.poll_seconds):
                    await self._wake.wait()
            # Let events that come close together gather into one read (and one write per stream).
            pause = self.batch_gap() - (loop.time() - last)
            if pause > 0:
                await asyncio.sleep(pause)
            self._wake.clear()
            last = loop.time()
            try:
                more = await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the live stream could not read the event log; retrying")
                await asyncio.sleep(max(1.0, self.settings.poll_seconds))
                continue
            if more:
                self._wake.set()

    def batch_gap(self) -> float:
        """Seconds between two reads: ``batch_seconds``, more with many streams open (each read
        can mean one write per stream), at most ``batch_max_seconds``."""
        s = self.settings
        return max(s.batch_seconds, min(s.batch_max_seconds, len(self.streams) / max(s.writes_per_second, 1)))

    async def tick(self) -> bool:
        """Read and deliver what is new; True when there may be more to read at once."""
        loop = asyncio.get_running_loop()
        if not self.streams:
            # Nobody to deliver to: move the cursor to the head of the log and prepare nothing, so a
            # process without open streams spends one indexed read per poll on the log. A stream
            # opened while the head is read may already be waiting for an event in it: then the
            # cursor stays, and the next turn reads from it (nothing is skipped for that stream).
            opened = self._opened
            head = await loop.run_in_executor(self._executor, self._head)
            if self._opened == opened:
                self.cursor = max(self.cursor, head)
                self._gaps.clear()
            return False
        staff = self._staff > 0
        batch = await loop.run_in_executor(self._executor, self._read, self.cursor, tuple(self._gaps), staff)
        self._advance(batch.ids)
        if batch.skipped and self._staff:
            # Staff began watching while the batch was read: their news is read again next turn.
            until = time.monotonic() + self.settings.gap_seconds
            self._gaps.update(dict.fromkeys(batch.skipped, until))
        if batch.prepared:
            self.mode = batch.mode
            await self._fan_out(batch.prepared, batch.mode)
        now = time.monotonic()
        changed = any(p.event.type in ACCOUNT_CHANGES for p in batch.prepared)
        if changed or now - self._checked_at >= self.settings.revalidate_seconds:
            self._checked_at = now
            await self._revalidate(loop)
        return batch.full

    def revalidate_soon(self) -> None:
        """Check every signed-in stream on the tailer's next turn (safe from any thread)."""
        self._checked_at = float("-inf")
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)

    def _head(self) -> int:
        with self.ctx.db.read() as s:
            return event_log.latest_id(s)

    def head(self) -> int:
        """The id of the newest stored event (one indexed read)."""
        return self._head()

    def _read(self, cursor: int, gaps: tuple[int, ...], staff: bool = True) -> _Batch:
        """The next batch. Without a stream that can see the staff's news (``staff`` False) those
        events — every flag attempt is one — are not prepared at all (account changes still are:
        they make the hub check its streams)."""
        with self.ctx.db.read() as s:
            rows = event_log.events_after(s, cursor, event_log.BATCH, also=gaps)
            if not rows:
                return _Batch([], [], self.mode, False)
            ids = [int(r.id) for r in rows]
            skipped: list[int] = []
            if not staff:
                kept = []
                for r in rows:
                    if r.audience == Audience.STAFF and r.type not in ACCOUNT_CHANGES:
                        skipped.append(int(r.id))
                    else:
                        kept.append(r)
                rows = kept
            prepared, mode = self.prepare(s, rows) if rows else ([], self._event(s).mode)
        return _Batch(ids, prepared, mode, len(ids) >= event_log.BATCH, skipped)

    def _advance(self, ids: list[int]) -> None:
        now = time.monotonic()
        top = max([self.cursor, *ids])
        seen = set(ids)
        for missing in range(max(self.cursor + 1, top - MAX_GAPS), top):
            if missing not in seen:
                self._gaps[missing] = now + self.settings.gap_seconds
        for ident in seen:
            self._gaps.pop(ident, None)
        self._gaps = {i: until for i, until in self._gaps.items() if until > now}
        if len(self._gaps) > MAX_GAPS:
            self._gaps = dict(sorted(self._gaps.items())[-MAX_GAPS:])
        self.cursor = top

    async def _fan_out(self, prepared: list[Prepared], mode: str) -> None:
        """Offer each event to every stream whose viewer may see it (decided once per kind of
        viewer), ``SLICE`` streams per turn of the loop."""
        decided: dict[Viewer, list[Prepared]] = {}
        # Players never see the staff's news (each attempt is one): left out once per role, not
        # checked per viewer against every event (2,000 players' streams, attempts by the hundred a
        # second).
        by_role: dict[str | None, list[Prepared]] = {}
        for n, stream in enumerate(list(self.streams), 1):
            if stream.mode != mode:
                stream.close("mode")  # its account was worked out for the other mode: reconnect
            if stream.closed:
                continue
            viewer = stream.viewer
            allowed = decided.get(viewer)
            if allowed is None:
                candidates = by_role.get(viewer.role)
                if candidates is None:
                    candidates = by_role[viewer.role] = (
                        prepared
                        if sees_staff_news(viewer)
                        else [p for p in prepared if p.event.audience != Audience.STAFF]
                    )
                allowed = decided[viewer] = [p for p in candidates if visible_to(p.event, viewer, p.world)]
            for item in allowed:
                stream.offer(item)
            if n % SLICE == 0:
                await asyncio.sleep(0)

    async def _beat(self) -> None:
        """Wake the streams that wrote nothing for a heartbeat interval, so they send a keep-alive:
        one timer for the process instead of one per stream."""
        loop = asyncio.get_running_loop()
        while True:
            every = self.settings.heartbeat_seconds
            await asyncio.sleep(min(1.0, every / 2))
            now = loop.time()
            for n, stream in enumerate(list(self.streams), 1):
                if not stream.closed and now - stream.written_at >= every:
                    stream.keep_alive = True
                    stream.wake.set()
                if n % SLICE == 0:
                    await asyncio.sleep(0)

    async def _revalidate(self, loop: asyncio.AbstractEventLoop) -> None:
        """Close every signed-in stream whose credentials no longer hold as they did when it opened
        (one read for all of them)."""
        # The streams open now: one opened while the read runs is checked next time (its account
        # and token are not in this read, so it must not be judged by it).
        signed_in = [s for s in self.streams if s.principal is not None]
        if not signed_in:
            return
        users = {s.principal.user_id for s in signed_in if s.principal is not None}
        digests = {s.token_digest for s in signed_in if s.token_digest}
        browsers = {s.session_digest for s in signed_in if s.session_digest}
        found, tokens, live_browsers = await loop.run_in_executor(
            self._executor, self._standings, users, digests, browsers
        )
        for stream in signed_in:
            who = stream.principal
            if who is None or stream.closed:
                continue
            now = found.get(who.user_id)
            if (
                now is None
                or now.banned
                or now.hidden != stream.hidden
                or now.role != who.role
                or now.team_id != who.team_id
                or (not stream.via_token and now.session_version != who.session_version)
                or (stream.token_digest and stream.token_digest not in tokens)
                or (stream.session_digest and stream.session_digest not in live_browsers)
            ):
                stream.close("revoked")

    def _standings(
        self, users: Iterable[int], digests: Iterable[str] = (), browsers: Iterable[str] = ()
    ) -> tuple[dict[int, event_log.Standing], set[str], set[str]]:
        now = self.ctx.now()
        with self.ctx.db.read() as s:
            return (
                event_log.standings(s, list(users)),
                event_log.live_tokens(s, list(digests), now),
                event_log.live_sessions(s, list(browsers), now),
            )

    # --- preparing a batch -------------------------------------------------------------------------

    def prepare(self, s: Any, rows: Sequence[t.EventLog]) -> tuple[list[Prepared], str]:
        """Events with the names, texts and state of the world their readers need, looked up once
        for all connections, in the caller's read (``s``): the event row, and the challenges,
        accounts and announcements the events name, each by primary key. Announcements deleted
        since are left out."""
        events = [to_live(r) for r in rows]
        ev = self._event(s)
        clock = clock_of(ev)
        now = self.ctx.now()
        order = content_order(ev)

        challenge_ids: set[int] = set()
        scoring: set[int] = set()
        users: set[int] = set()
        teams: set[int] = set()
        notes: set[int] = set()
        for e in events:
            if e.challenge_id is not None:
                challenge_ids.add(e.challenge_id)
            if e.type == "account_hidden":
                ident = e.data.get("account_id")
                if isinstance(ident, int):
                    (users if e.data.get("kind") == "user" else teams).add(ident)
                continue
            scoring.update(i for i in (e.subject, e.account_id) if i is not None)
            user = e.data.get("user_id")
            if (
                ev.mode == "teams"
                and e.type in ("solve", "submission", "badge_awarded")
                and isinstance(user, int)
            ):
                users.add(user)
            if e.type == "announcement" and isinstance(e.data.get("notification_id"), int):
                notes.add(e.data["notification_id"])
        challenges = event_log.challenge_names(s, challenge_ids, now)
        accounts = event_log.account_names(s, ev.mode, scoring)
        user_names = event_log.account_names(s, "users", users)
        team_names = event_log.account_names(s, "teams", teams)
        announcements = event_log.notifications(s, notes)

        world = World(
            started=clock.phase(now) is not Phase.NOT_STARTED,
            freeze_cutoff=clock.public_cutoff(now),
            visible_challenges=frozenset(i for i, c in challenges.items() if c.visible),
            public_accounts=frozenset(i for i, a in accounts.items() if a.ranked),
            # Who has unlocked the challenges with prerequisites (read only when there are any).
            unlocked=event_log.unlocked_by(
                s, {i: c.prerequisites for i, c in challenges.items() if c.prerequisites}
            ),
        )
        out: list[Prepared] = []
        for e in events:
            names: dict[str, dict[str, str]] = {code: {} for code in LOCALES}
            challenge = challenges.get(e.challenge_id) if e.challenge_id is not None else None
            if challenge is not None:
                for code in LOCALES:
                    names[code]["challenge"] = challenge.text.get("name", code, order).text
            who = None
            if e.type == "account_hidden":
                table = user_names if e.data.get("kind") == "user" else team_names
                who = table.get(e.data.get("account_id"))  # type: ignore[arg-type]
            elif e.subject is not None:
                who = accounts.get(e.subject)
            member = user_names.get(e.data.get("user_id")) if ev.mode == "teams" else None  # type: ignore[arg-type]
            for code in LOCALES:
                if who is not None:
                    names[code]["account"] = who.name
                # A solve is public news: a hidden or banned member of a visible team is not named
                # (submissions go to the activity feed's staff only).
                if member is not None and (e.type == "submission" or (e.type == "solve" and member.ranked)):
                    names[code]["user"] = member.name
                if e.type == "badge_awarded":  # to the account itself: the member who earned it
                    names[code].update(badge_names(self.ctx, e.data.get("badge_key"), code, member))
            item = Prepared(e, world, names)
            if e.type == "announcement":
                row = announcements.get(e.data.get("notification_id"))  # type: ignore[arg-type]
                if row is None:
                    continue
                text = localized(row, NOTIFICATION_TEXT)
                item.announcement = {
                    code: Announcement(
                        text.get("title", code, order).text,
                        text.get("content", code, order).text,
                        text.get("title", code, order).locale or code,
                    )
                    for code in LOCALES
                }
                item.announced_at = iso(row.date)
            out.append(item)
        return out, ev.mode


def _chain_exit_signals(callback: Callable[[], None]) -> Callable[[], None] | None:
    """Run ``callback`` too when the server is told to stop (SIGINT, SIGTERM), before the handler
    the server installed (uvicorn's). Only in the main thread, and only over a Python handler."""
    if threading.current_thread() is not threading.main_thread():
        return None
    previous: dict[int, Any] = {}

    def handler(sig: int, frame: FrameType | None) -> None:
        callback()
        before = previous.get(sig)
        if callable(before):
            before(sig, frame)

    for sig in (signal.SIGINT, signal.SIGTERM):
        current = signal.getsignal(sig)
        if callable(current):
            previous[sig] = current
            signal.signal(sig, handler)

    def restore() -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig, before in previous.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, before)

    return restore


def badge_names(ctx: Context, key: Any, code: str, member: Any) -> dict[str, str]:
    """A ``badge_awarded`` event's names in language ``code``: the badge's, and in team mode the
    member's who earned it (the event goes to that team alone)."""
    badge = badges.catalogue(ctx).get(str(key))
    out = {"badge": badge.text.get("name", code).text} if badge is not None else {}
    if member is not None:
        out["user"] = member.name
    return out
