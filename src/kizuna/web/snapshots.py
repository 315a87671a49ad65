"""Snapshots of the read-heavy views (scoreboard, top N, challenge list).

Each snapshot remembers the database revision counters it was built from (``storage.db.bump`` raises
them in the same transaction as any write that changes the view) and, for public views, the freeze
cutoff. A request reads the counters — one primary-key query — and serves the stored bytes with an
ETag while nothing has changed; only the first request after a change rebuilds. The counters live in
the database, so every worker and replica sees a change at once; local events (the bus) only let this
process drop a stale snapshot early.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from kizuna.domain.schedule import boundaries_passed, schedule_state
from kizuna.domain.text import LocalizedText
from kizuna.services import scoreboard
from kizuna.services.board import category_text, listed_to_players
from kizuna.services.context import Context
from kizuna.services.event import clock_of
from kizuna.services.hot import HotCache
from kizuna.services.scoreboard import BoardFilter
from kizuna.storage import scoreboard_queries
from kizuna.storage import snapshot_queries as q
from kizuna.storage import tables as t
from kizuna.storage.hot_reads import must_not_wait
from kizuna.web.content import with_category


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


GZIP_FROM = 1024  # bodies at least this long are also kept gzip-compressed
# Boards of one bracket, country or affiliation (and their top N and CTFtime feeds) are kept for the
# most recently asked this many filters: the filters a visitor can ask for are many, memory is not.
MAX_FILTERED = 256
ANY = BoardFilter()


@dataclass(frozen=True)
class Snapshot:
    stamp: tuple[Any, ...]
    body: bytes
    etag: str
    data: Any
    gzipped: bytes = b""  # the body compressed once (1,000 scoreboard rows: 212 KB -> 18 KB)

    def representation(self, accept_encoding: str | None) -> tuple[bytes, str, bool]:
        """Body, ETag and whether it is gzip-encoded, for a client's ``Accept-Encoding``. Each encoding
        has its own strong ETag, as HTTP asks."""
        if self.gzipped and accepts_gzip(accept_encoding):
            return self.gzipped, self.etag[:-1] + '-gzip"', True
        return self.body, self.etag, False


def accepts_gzip(header: str | None) -> bool:
    for part in (header or "").split(","):
        name, _sep, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            q = params.strip().lower()
            return not (q.startswith("q=") and q[2:].strip() in ("0", "0.0", "0.00", "0.000"))
    return False


@dataclass(frozen=True)
class State:
    revisions: dict[str, int]
    event: t.Event
    cutoff: datetime | None


class Snapshots:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._cache: dict[str, Snapshot] = {}
        self._filtered: OrderedDict[str, None] = OrderedDict()  # keys of filtered snapshots, oldest first
        self._lock = threading.RLock()  # re-entrant: building "top" builds the scoreboard first
        self.hot = HotCache(ctx)
        ctx.bus.subscribe(self._on_event)

    def _on_event(self, _event: dict[str, Any]) -> None:
        # Counters in the database are the source of truth; nothing to do eagerly.
        return None

    def state(self) -> State:
        # Two driver-level reads on one pooled connection; the typed event row is reloaded only when
        # it changed (kizuna.services.hot).
        revs, ev = self.hot.state()
        return State(revs, ev, clock_of(ev).public_cutoff(self.ctx.now()))

    def _get(
        self,
        key: str,
        stamp: tuple[Any, ...],
        build: Callable[[], Any],
        serve: bool = True,
        bounded: bool = False,
        envelope: bool = True,
    ) -> Snapshot:
        """The snapshot ``key`` at ``stamp``, built once; ``serve``: also its JSON body and ETag
        (``envelope``: in CTFd's ``{"success", "data"}``, else the data alone); ``bounded``: one of
        the MAX_FILTERED most recently used filtered views."""
        snap = self._cache.get(key)
        if snap is not None and snap.stamp == stamp:
            return snap
        must_not_wait()  # never build (nor wait for the lock) on the event loop
        with self._lock:
            snap = self._cache.get(key)
            if snap is not None and snap.stamp == stamp:
                return snap
            data = build()
            body, etag, gzipped = b"", "", b""
            if serve:
                wrapped = {"success": True, "data": data} if envelope else data
                body = orjson.dumps(wrapped, option=orjson.OPT_NON_STR_KEYS)
                etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest() + '"'
                if len(body) >= GZIP_FROM:
                    gzipped = gzip.compress(body, compresslevel=6, mtime=0)
            snap = Snapshot(stamp, body, etag, data, gzipped)
            self._cache[key] = snap
            if bounded:
                self._filtered[key] = None
                self._filtered.move_to_end(key)
                while len(self._filtered) > MAX_FILTERED:
                    self._cache.pop(self._filtered.popitem(last=False)[0], None)
            return snap

    # --- scoreboard -----------------------------------------------------------------------------

    def schedule_epoch(self, state: State) -> int:
        """How many challenge release and close times have passed: part of the challenge list's and
        the scoreboard's keys, so a release (or close) changes them when its time comes, with no
        write, as the freeze time changes the public board's. The times are read once per
        challenge revision."""
        stamp = (state.revisions.get("challenges", 0),)
        times = self._get("schedule_times", stamp, self._build_schedule_times, serve=False)
        return boundaries_passed(times.data, self.ctx.now())

    def _build_schedule_times(self) -> list[datetime]:
        with self.ctx.db.read() as s:
            return q.schedule_times(s)

    def scoreboard(self, live: bool, state: State | None = None) -> Snapshot:
        state = state or self.state()
        cutoff = None if live else state.cutoff
        stamp = (state.revisions.get("scoreboard", 0), cutoff, state.event.mode, self.schedule_epoch(state))
        return self._get(f"scoreboard:{live}", stamp, lambda: self._build_scoreboard(cutoff))

    def _build_scoreboard(self, cutoff: datetime | None) -> list[dict[str, Any]]:
        board = scoreboard.standings(self.ctx, cutoff)
        kind = "team" if board.mode == "teams" else "user"
        out = []
        for row in board.rows:
            entry: dict[str, Any] = {
                "pos": row.pos,
                "account_id": row.account_id,
                "account_url": f"/{kind}s/{row.account_id}",
                "account_type": kind,
                "oauth_id": None,
                "name": row.name,
                "score": row.score,
                "bracket_id": row.bracket_id,
                "bracket_name": row.bracket_name,
                "last_scored_at": iso(row.last_scored_at),
                # Kizuna's additions, which boards are filtered by (ISO 3166-1 alpha-2, or "").
                "country": row.country,
                "affiliation": row.affiliation,
            }
            if board.mode == "teams":
                entry["members"] = [
                    {
                        "id": m.id,
                        "oauth_id": None,
                        "name": m.name,
                        "score": m.score,
                        "bracket_id": m.bracket_id,
                        "bracket_name": m.bracket_name,
                    }
                    for m in row.members
                ]
            out.append(entry)
        return out

    def standing(
        self, live: bool, account_id: int | None, state: State | None = None
    ) -> dict[str, Any] | None:
        """``account_id``'s row of the scoreboard snapshot (place and score), or None when it is not
        ranked (hidden, banned, staff, no account). The public board is the frozen one. A dictionary
        by account is built once per scoreboard snapshot, so a request only looks it up."""
        if account_id is None:
            return None
        state = state or self.state()
        board = self.scoreboard(live, state)
        key = f"standings:{live}"
        index = self._get(key, board.stamp, lambda: {r["account_id"]: r for r in board.data}, serve=False)
        found: dict[str, Any] | None = index.data.get(account_id)
        return found

    def board(self, live: bool, which: BoardFilter = ANY, state: State | None = None) -> Snapshot:
        """The board of the accounts ``which`` keeps, ranked from 1 among themselves. Derived from the
        full board's snapshot (its rows kept and numbered again, no query), so it follows the same
        revision and freeze: the public one is frozen at the freeze time."""
        state = state or self.state()
        full = self.scoreboard(live, state)
        if which.empty:
            return full
        return self._get(
            f"scoreboard:{live}:{which.key}",
            full.stamp,
            lambda: scoreboard.filtered(full.data, which),
            bounded=True,
        )

    def top(self, count: int, live: bool, state: State | None = None, which: BoardFilter = ANY) -> Snapshot:
        state = state or self.state()
        cutoff = None if live else state.cutoff
        stamp = (state.revisions.get("scoreboard", 0), cutoff, state.event.mode, self.schedule_epoch(state))
        key = f"top:{count}:{live}" + ("" if which.empty else f":{which.key}")
        return self._get(
            key, stamp, lambda: self._build_top(count, live, cutoff, state, which), bounded=not which.empty
        )

    def ctftime(self, which: BoardFilter = ANY, state: State | None = None) -> Snapshot:
        """CTFtime's scoreboard feed (https://ctftime.org/json-scoreboard-feed) of the public board:
        ``{"standings": [{"pos", "team", "score", "lastAccept"}]}``, without CTFd's envelope.
        Always the public board, frozen during the freeze, whoever asks."""
        state = state or self.state()
        rows = self.board(False, which, state)
        return self._get(
            "ctftime" + ("" if which.empty else f":{which.key}"),
            rows.stamp,
            lambda: {"standings": [_ctftime_entry(r) for r in rows.data]},
            bounded=not which.empty,
            envelope=False,
        )

    def _build_top(
        self, count: int, live: bool, cutoff: datetime | None, state: State, which: BoardFilter = ANY
    ) -> dict[str, Any]:
        rows = self.board(live, which, state).data[:count]
        events = scoreboard.score_events(self.ctx, [r["account_id"] for r in rows], cutoff)
        return {
            str(r["pos"]): {
                "id": r["account_id"],
                "account_url": r["account_url"],
                "name": r["name"],
                "score": r["score"],
                "bracket_id": r["bracket_id"],
                "bracket_name": r["bracket_name"],
                "solves": [
                    {
                        "challenge_id": e.challenge_id,
                        "account_id": e.account_id,
                        "team_id": e.team_id,
                        "user_id": e.user_id,
                        "value": e.value,
                        "date": iso(e.date),
                    }
                    for e in events[r["account_id"]]
                ],
            }
            for r in rows
        }

    # --- solve matrix -----------------------------------------------------------------------------

    def matrix(self, live: bool, locale: str, order: Sequence[str], state: State | None = None) -> Snapshot:
        """Ranked accounts × the challenges players see (visible and released), with each account's
        solves and each challenge's first solver: built once per language from the scoreboard and
        challenge-list snapshots and one query of the solves, so it follows the same revisions, the
        freeze and the schedule. Callers leave out challenges still locked for the reader
        (``matrix_for``)."""
        state = state or self.state()
        board = self.scoreboard(live, state)
        rows = self.challenges(live, state)
        stamp = (board.stamp, rows.stamp, tuple(order))
        cutoff = None if live else state.cutoff
        return self._get(
            f"matrix:{live}:{locale}",
            stamp,
            lambda: self._build_matrix(
                board.data, rows.data, self.challenge_texts(live, locale, order, state), cutoff
            ),
        )

    def _build_matrix(
        self,
        board: list[dict[str, Any]],
        rows: list[dict[str, Any]],
        texts: dict[int, dict[str, Any]],
        cutoff: datetime | None,
    ) -> dict[str, Any]:
        # A practice challenge is on no board, the matrix included.
        shown = [r for r in rows if listed_to_players(r) and not r.get("practice")]
        ids = {r["id"] for r in shown}
        with self.ctx.db.read() as s:
            pairs = scoreboard_queries.solved_pairs(s, cutoff, self.ctx.now())
        solved: dict[int, list[int]] = {}
        for account, challenge in pairs:
            if challenge in ids:
                solved.setdefault(account, []).append(challenge)
        ranked = {r["account_id"] for r in board}
        return {
            "challenges": [
                {
                    "id": r["id"],
                    "name": texts[r["id"]]["name"],
                    "category": texts[r["id"]]["category"],
                    "value": r["value"],
                    # Kept for the per-reader filter (``matrix_for``); not part of the answer.
                    "prerequisites": sorted((r["requirements"] or {}).get("prerequisites") or []),
                }
                for r in shown
            ],
            "accounts": [
                {
                    "account_id": r["account_id"],
                    "account_url": r["account_url"],
                    "name": r["name"],
                    "pos": r["pos"],
                    "score": r["score"],
                    "solves": solved.get(r["account_id"], []),
                }
                for r in board
            ],
            "first_bloods": {
                str(r["id"]): r["first_account"]
                for r in shown
                if r.get("first_account") is not None and r["first_account"] in ranked
            },
        }

    # --- challenge list ---------------------------------------------------------------------------

    def challenges(self, live: bool, state: State | None = None) -> Snapshot:
        """Every challenge with its solve count and tags; callers filter per viewer."""
        state = state or self.state()
        cutoff = None if live else state.cutoff
        stamp = (
            state.revisions.get("challenges", 0),
            state.revisions.get("scoreboard", 0),
            cutoff,
            self.schedule_epoch(state),
        )
        return self._get(f"challenges:{live}", stamp, lambda: self._build_challenges(cutoff))

    def _build_challenges(self, cutoff: datetime | None) -> list[dict[str, Any]]:
        now = self.ctx.now()
        with self.ctx.db.read() as s:
            rows = q.challenge_rows(s, cutoff)
        for r in rows:
            r["schedule_state"] = schedule_state(r["release_at"], r["close_at"], now)
        return rows

    def challenge_texts(
        self, live: bool, locale: str, order: Sequence[str], state: State | None = None
    ) -> dict[int, dict[str, Any]]:
        """Each listed challenge's texts in ``locale``: the resolved ``name`` and ``category``, its
        ``locale`` and ``translations`` (name and category display name in every language). Built
        once per language with the challenge list, so a request only looks them up."""
        state = state or self.state()
        rows = self.challenges(live, state)
        stamp = (rows.stamp, tuple(order))
        key = f"challenge_texts:{live}:{locale}"
        return self._get(key, stamp, lambda: _texts_in(rows.data, locale, order), serve=False).data

    def challenge_parts(
        self, live: bool, locale: str, order: Sequence[str], state: State | None = None
    ) -> list[ListPart]:
        """Each challenge's entry in the players' list, serialised once per language in its three
        forms (unsolved, solved, locked), so a request only picks and joins bytes."""
        state = state or self.state()
        rows = self.challenges(live, state)
        texts = self.challenge_texts(live, locale, order, state)
        stamp = (rows.stamp, tuple(order))
        key = f"challenge_parts:{live}:{locale}"
        return self._get(key, stamp, lambda: _parts(rows.data, texts), serve=False).data


def _ctftime_entry(row: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"pos": row["pos"], "team": row["name"], "score": row["score"]}
    last = row.get("last_scored_at")
    if last:
        # CTFtime's optional "lastAccept": Unix time of the team's last accepted answer.
        entry["lastAccept"] = int(datetime.fromisoformat(last.replace("Z", "+00:00")).timestamp())
    return entry


@dataclass(frozen=True)
class ListPart:
    id: int
    visible: bool  # "visible" and released (others are listed only to staff who see everything)
    prerequisites: frozenset[int]
    anonymize: bool  # shown as a locked "???" entry while its prerequisites are unsolved
    unsolved: bytes
    solved: bytes
    locked: bytes


def _parts(rows: list[dict[str, Any]], texts: dict[int, dict[str, Any]]) -> list[ListPart]:
    out = []
    for r in rows:
        text = texts[r["id"]]
        entry: dict[str, Any] = {
            "id": r["id"],
            "type": r["type"],
            "name": text["name"],
            "value": r["value"],
            "position": r["position"],
            "solves": r["solves"],
            "solved_by_me": False,
            "category": text["category"],
            "module_id": None,
            "tags": [{"value": v} for v in r["tags"]],
            "template": "",
            "script": "",
            "locale": text["locale"],
            "translations": text["translations"],
            # Its own schedule (Kizuna's addition): players only ever see "open" or "closed" ones.
            "schedule_state": r["schedule_state"],
            "close_at": iso(r["close_at"]),
            # Kizuna's addition: played for learning, on no board (kizuna.services.practice).
            "practice": bool(r.get("practice")),
        }
        # A locked ("???") entry reveals nothing, in no language.
        locked = {
            "id": r["id"],
            "type": "hidden",
            "name": "???",
            "value": 0,
            "position": r["position"],
            "solves": None,
            "solved_by_me": False,
            "category": "???",
            "module_id": None,
            "tags": [],
            "template": "",
            "script": "",
            "locale": None,
            "translations": {},
        }
        requirements = r["requirements"] or {}
        out.append(
            ListPart(
                id=r["id"],
                visible=listed_to_players(r),
                prerequisites=frozenset(requirements.get("prerequisites") or []),
                anonymize=bool(requirements.get("anonymize")),
                unsolved=orjson.dumps(entry),
                solved=orjson.dumps({**entry, "solved_by_me": True}),
                locked=orjson.dumps(locked),
            )
        )
    return out


def _texts_in(rows: list[dict[str, Any]], locale: str, order: Sequence[str]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        name = LocalizedText(r["locale"], r["texts"])
        category = category_text(r["category"], r["category_texts"])
        out[r["id"]] = {
            "name": name.get("name", locale, order).text or r["name"],
            "category": category.get("name", locale, order).text or r["category"],
            "locale": r["locale"],
            "translations": with_category(name.as_dict(), category),
        }
    return out
