"""Seeding the benchmark's event: fast (in-process, bulk) or through the API.

Both ways make the same event from the same random seed: challenges (a fifth of them decaying, as
CTFd's ``dynamic``), one static flag each, players (in team mode, teams of ``members`` users), and a
shuffled plan of solves and wrong attempts where solves follow a long-tail popularity (a few
challenges solved by most accounts, many by few).

* **fast** (:func:`seed_fast`, the default): challenges, flags and API tokens through Kizuna's
  services (``services.challenges``, ``services.content``, ``services.accounts.create_token``);
  users, teams, submissions, solves and their events in bulk with SQLAlchemy core on the project's
  tables, storing what the application would have stored: one argon2 hash made once and reused for
  every player, the submissions with their types (``correct``, ``incorrect``, ``already_solved``)
  in plan order, a solve per correct one, the ``submission``/``solve``/``scoreboard`` events and the
  revision counters bumped once per solve, then every decaying challenge's value recomputed by the
  service (``services.challenges.recompute_value``) in a unit of work that bumps the scoreboard and
  challenge revisions, so every snapshot is rebuilt. Attempts are dated over the two hours before
  the seeding, so none counts in the per-account rate limits' minute.
* **api** (:func:`seed_api`, ``--seed api``, individual mode only): every write through the HTTP API
  of a running server, as before (challenges, flags, users, tokens through ``/login`` and
  ``POST /api/v1/tokens``, every attempt through ``POST /api/v1/challenges/attempt``). Slow, but it
  exercises the real write paths; run it against a server without the attempt rate limit.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import random
import re
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import httpx

ADMIN_NAME = "bench-admin"
SEED_CONCURRENCY = 16
USER_CONCURRENCY = 2
REQUEST_TIMEOUT = 30.0
CATEGORIES = ["web", "crypto", "pwn", "forensics", "misc"]
ATTEMPT_SPAN = timedelta(hours=2)  # seeded attempts are dated over this span, ending ...
ATTEMPT_GAP = timedelta(minutes=5)  # ... this long before the seeding: outside any rate-limit window
WRONG_SHARE = 0.9  # of W4's attempts
RATE_WINDOW = 61.0  # seconds: the attempt limits' sliding minute, and one second to spare
Req = tuple[str, str, dict[str, str], bytes]  # method, path, headers, body (as bench/harness.py)
T = TypeVar("T")


@dataclass(frozen=True)
class Dataset:
    name: str
    accounts: int  # scoring accounts: users in individual mode, teams in team mode
    challenges: int
    solves: int
    wrong: int
    mode: str = "users"  # "users" | "teams"
    members: tuple[int, int] = (1, 1)  # users per team (team mode), inclusive range
    dynamic_share: float = 0.2  # this share of the challenges decays (CTFd "logarithmic")
    # Individual mode: the players beyond this many are seeded hidden, with no solves or wrong
    # answers of their own — extra players for W4's plan (``with_accounts``) that leave the
    # scoreboard and the seeded event at the dataset's size. None: every player is ranked.
    ranked: int | None = None

    @property
    def submissions(self) -> int:
        return self.solves + self.wrong


SMALL = Dataset("small", accounts=1_000, challenges=50, solves=10_000, wrong=30_000)
LARGE = Dataset(
    "large", accounts=5_000, challenges=100, solves=40_000, wrong=160_000, mode="teams", members=(1, 4)
)
QUICK = Dataset("quick", accounts=10, challenges=5, solves=20, wrong=60)
SCALES = {"small": SMALL, "large": LARGE, "quick": QUICK}


@dataclass(frozen=True)
class Player:
    user_id: int
    name: str
    account: int  # the team in team mode, the user in individual mode


@dataclass
class Seeded:
    mode: str = "users"
    admin_token: str = ""
    password: str = ""  # every bench player's password (a secret: never printed)
    challenge_ids: list[int] = field(default_factory=list)
    flags: dict[int, str] = field(default_factory=dict)
    players: list[Player] = field(default_factory=list)
    tokens: dict[int, str] = field(default_factory=dict)  # user id -> API token, for those who have one
    solved: set[tuple[int, int]] = field(default_factory=set)  # (account, challenge)
    through: dict[str, str] = field(default_factory=dict)  # what was seeded how
    statuses: Counter[str] = field(default_factory=Counter)  # submissions stored, by type
    seconds: float = 0.0
    hidden: set[int] = field(default_factory=set)  # user ids seeded hidden (Dataset.ranked)

    def summary(self) -> dict[str, Any]:
        """What the JSON report records (no secrets)."""
        return {
            "mode": self.mode,
            "accounts": len({p.account for p in self.players}),
            "users": len(self.players),
            "with_token": len(self.tokens),
            "challenges": len(self.challenge_ids),
            "solves": len(self.solved),
            "submissions": dict(self.statuses),
            "seconds": round(self.seconds, 1),
            "through": self.through,
        }


# --- shared ------------------------------------------------------------------------------------------


def local_context(env: dict[str, str]) -> Any:
    """Kizuna's services over the database ``env`` names."""
    from kizuna.settings import load_settings
    from kizuna.web.app import build_context

    return build_context(load_settings(environ=env))


def prepare(env: dict[str, str], mode: str = "users") -> str:
    """Migrate the database, set the event's mode and make an admin; returns the admin's API token.
    In-process, as ``kizuna db upgrade``, ``kizuna admin create`` and ``kizuna token create`` do."""
    from kizuna.bootstrap import prepare_database
    from kizuna.services import accounts, event

    ctx = local_context(env)
    try:
        prepare_database(ctx.db)
        event.update_event(ctx, {"mode": mode})
        admin = accounts.register_user(
            ctx, ADMIN_NAME, secrets.token_urlsafe(16), role="admin", by_admin=True
        )
        return accounts.create_token(ctx, admin.id, description="bench").value
    finally:
        ctx.db.dispose()
        ctx.bus.close()


def challenge_body(i: int, data: Dataset) -> dict[str, Any]:
    """Challenge ``i`` in CTFd's create shape (what ``POST /api/v1/challenges`` takes)."""
    body: dict[str, Any] = {
        "name": f"Challenge {i:03d}",
        "category": CATEGORIES[i % len(CATEGORIES)],
        "description": f"Benchmark challenge {i}. The flag is in another castle.",
        "state": "visible",
    }
    if i < round(data.challenges * data.dynamic_share):
        body.update(type="dynamic", initial=500, minimum=100, decay=max(data.accounts // 20, 1))
    else:
        body.update(type="standard", value=100 * (1 + i % 5))
    return body


def new_flag(challenge_id: int) -> str:
    return f"kizuna{{bench_{challenge_id}_{secrets.token_hex(6)}}}"


def wrong_flag(rng: random.Random) -> str:
    return f"kizuna{{wrong_{rng.getrandbits(32):08x}}}"


def player_name(i: int) -> str:
    return f"player{i:05d}" if i >= 10_000 else f"player{i:04d}"


def popularity(n: int, rng: random.Random) -> list[float]:
    """A long tail: a few challenges most accounts solve, many that few do."""
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(n)]
    rng.shuffle(weights)
    return weights


def pick_distinct(rng: random.Random, items: list[int], weights: list[float], k: int) -> list[int]:
    chosen: list[int] = []
    pool, w = list(items), list(weights)
    for _ in range(min(k, len(pool))):
        i = rng.choices(range(len(pool)), weights=w)[0]
        chosen.append(pool.pop(i))
        w.pop(i)
    return chosen


def plan(
    rng: random.Random, data: Dataset, accounts: list[int], challenge_ids: list[int]
) -> list[tuple[int, int, bool]]:
    """(account, challenge, right) in the order they are submitted: ``data.solves`` distinct solves
    spread evenly over the accounts, ``data.wrong`` wrong attempts, shuffled together."""
    weights = popularity(len(challenge_ids), rng)
    steps: list[tuple[int, int, bool]] = []
    per_account, extra = divmod(data.solves, len(accounts))
    for n, acct in enumerate(accounts):
        for cid in pick_distinct(rng, challenge_ids, weights, per_account + (1 if n < extra else 0)):
            steps.append((acct, cid, True))
    for _ in range(data.wrong):
        steps.append((rng.choice(accounts), rng.choices(challenge_ids, weights=weights)[0], False))
    rng.shuffle(steps)
    return steps


def team_sizes(data: Dataset, rng: random.Random) -> list[int]:
    low, high = data.members
    return [rng.randint(low, high) for _ in range(data.accounts)]


# --- fast ----------------------------------------------------------------------------------------------


def seed_fast(
    env: dict[str, str],
    data: Dataset,
    admin_token: str,
    rng: random.Random,
    token_holders: int | None = None,
    progress: Callable[[str], None] = lambda _m: None,
) -> Seeded:
    """Fill the prepared database ``env`` names (see the module's docstring). ``token_holders``: how
    many players get an API token (default: every player in individual mode, one per team first in
    team mode)."""
    from sqlalchemy import insert, update

    from kizuna.security import hash_password
    from kizuna.services import accounts, content
    from kizuna.services import challenges as challenge_service
    from kizuna.storage import tables as t
    from kizuna.storage.db import CHALLENGES, SCOREBOARD

    started = time.perf_counter()
    out = Seeded(mode=data.mode, admin_token=admin_token)
    ctx = local_context(env)
    try:
        progress(f"{data.challenges} challenges and their flags through the services")
        for i in range(data.challenges):
            out.challenge_ids.append(challenge_service.create_challenge(ctx, challenge_body(i, data)).id)
        for cid in out.challenge_ids:
            out.flags[cid] = new_flag(cid)
            content.create_flag(ctx, cid, "static", out.flags[cid], "")
        out.through["challenges"] = "services.challenges.create_challenge"
        out.through["flags"] = "services.content.create_flag"

        # The plan first, from the same random state as the API path's: the same event either way.
        ranked = data.accounts if data.ranked is None or data.mode == "teams" else data.ranked
        steps = plan(rng, data, list(range(ranked)), out.challenge_ids)
        structure = random.Random(rng.getrandbits(64))  # team sizes and who submits: separate stream

        out.password = secrets.token_urlsafe(12)
        password_hash = hash_password(out.password)  # one argon2 hash, reused by every player
        now = ctx.now()
        progress(f"{data.accounts} {'teams' if data.mode == 'teams' else 'players'} in bulk")
        with ctx.write() as uow:
            s = uow.session
            team_ids: list[int] = []
            if data.mode == "teams":
                rows = [
                    {
                        "name": f"team{i:04d}",
                        "name_key": f"team{i:04d}",
                        "invite_code": secrets.token_urlsafe(9),
                        "created_at": now,
                    }
                    for i in range(data.accounts)
                ]
                team_ids = _insert_ids(s, t.Team, rows)
                sizes = team_sizes(data, structure)
                owners: list[int | None] = [team_ids[n] for n, size in enumerate(sizes) for _ in range(size)]
            else:
                owners = [None] * data.accounts
            names = [player_name(i) for i in range(len(owners))]
            rows = [
                {
                    "name": name,
                    "name_key": name,
                    "email": f"{name}@bench.invalid",
                    "password_hash": password_hash,
                    "role": "player",
                    "team_id": team,
                    "email_verified_at": now,  # made by an admin: vouched for, as register_user does
                    "hidden": data.mode != "teams" and n >= ranked,
                    "created_at": now,
                }
                for n, (name, team) in enumerate(zip(names, owners, strict=True))
            ]
            user_ids = _insert_ids(s, t.User, rows)
            if data.mode == "teams":
                captains: dict[int, int] = {}
                for uid, team in zip(user_ids, owners, strict=True):
                    assert team is not None
                    captains.setdefault(team, uid)
                # ORM bulk UPDATE by primary key: one executemany.
                s.execute(update(t.Team), [{"id": tid, "captain_id": cap} for tid, cap in captains.items()])
                out.players = [
                    Player(uid, name, team or 0)
                    for uid, name, team in zip(user_ids, names, owners, strict=True)
                ]
            else:
                out.players = [Player(uid, name, uid) for uid, name in zip(user_ids, names, strict=True)]
                out.hidden = set(user_ids[ranked:])
            changed = user_ids + team_ids
            s.execute(
                insert(t.EventLog),
                [
                    {
                        "type": "account_changed",
                        "data": {"account_id": ident},
                        "audience": "staff",
                        "created_at": now,
                    }
                    for ident in changed
                ],
            )
            s.execute(
                insert(t.AuditEntry),
                [
                    {
                        "at": now,
                        "actor_role": "system",
                        "action": "account.created",
                        "target_type": "user",
                        "target_id": str(uid),
                        "after": {"name": name, "role": "player"},
                    }
                    for uid, name in zip(user_ids, names, strict=True)
                ],
            )
            uow.bump(SCOREBOARD)
        out.through["players"] = "bulk insert (users, teams), one argon2 hash for all"

        holders = _token_holders(out.players, data.mode, token_holders)
        progress(f"{len(holders)} API tokens through services.accounts.create_token")
        for player in holders:
            out.tokens[player.user_id] = accounts.create_token(ctx, player.user_id, description="bench").value
        out.through["tokens"] = "services.accounts.create_token"

        progress(f"{data.solves} solves and {data.wrong} wrong attempts in bulk")
        account_of = team_ids if data.mode == "teams" else [p.user_id for p in out.players]
        members: dict[int, list[int]] = {}
        for p in out.players:
            members.setdefault(p.account, []).append(p.user_id)
        _bulk_attempts(ctx, out, steps, account_of, members, structure, data.mode)
        out.through["solves and wrong attempts"] = "bulk insert (submissions, solves, events)"

        with ctx.write() as uow:
            for cid in out.challenge_ids:
                challenge_service.recompute_value(ctx, uow.session, cid)
            uow.bump(SCOREBOARD, CHALLENGES)
        out.through["values and revisions"] = "services.challenges.recompute_value, bump"
    finally:
        ctx.db.dispose()
        ctx.bus.close()
    out.seconds = time.perf_counter() - started
    return out


def _insert_ids(s: Any, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` and return their ids, in order (one multi-row statement per batch)."""
    from sqlalchemy import insert

    result = s.execute(insert(table).returning(table.id, sort_by_parameter_order=True), rows)
    return [int(i) for i in result.scalars()]


def _token_holders(players: list[Player], mode: str, count: int | None) -> list[Player]:
    if mode != "teams":
        return players if count is None else players[:count]
    firsts: list[Player] = []
    rest: list[Player] = []
    seen: set[int] = set()
    for p in players:
        (rest if p.account in seen else firsts).append(p)
        seen.add(p.account)
    ordered = firsts + rest
    return ordered[: count if count is not None else len(firsts)]


def _bulk_attempts(
    ctx: Any,
    out: Seeded,
    steps: list[tuple[int, int, bool]],
    account_of: list[int],
    members: dict[int, list[int]],
    rng: random.Random,
    mode: str,
) -> None:
    """Submissions, solves and their events for ``steps`` (account positions), as the attempt
    endpoint would have stored them one by one, in plan order."""
    from sqlalchemy import insert, select, update

    from kizuna.services.challenges import scoring_of
    from kizuna.storage import tables as t
    from kizuna.storage.db import CHALLENGES, SCOREBOARD

    with ctx.db.write() as s:
        scoring = {
            ch.id: (ctx.types.get(ch.type), scoring_of(ch), ch.state == "visible")
            for ch in s.scalars(select(t.Challenge).where(t.Challenge.id.in_(out.challenge_ids)))
        }
        revision = int(s.scalar(select(t.Revision.value).where(t.Revision.name == SCOREBOARD)) or 0)
        start = ctx.now() - ATTEMPT_SPAN - ATTEMPT_GAP
        step_time = ATTEMPT_SPAN / max(len(steps), 1)
        subs: list[dict[str, Any]] = []
        decided: list[tuple[int, int, int, str]] = []  # account, user, challenge, type
        for n, (position, cid, right) in enumerate(steps):
            acct = account_of[position]
            user = rng.choice(members[acct]) if mode == "teams" else acct
            if (acct, cid) in out.solved:
                kind = "already_solved"
            elif right:
                kind = "correct"
                out.solved.add((acct, cid))
            else:
                kind = "incorrect"
            out.statuses[kind] += 1
            subs.append(
                {
                    "challenge_id": cid,
                    "user_id": user,
                    "team_id": acct if mode == "teams" else None,
                    "account_id": acct,
                    "ip": "127.0.0.1",
                    "provided": out.flags[cid] if right else wrong_flag(rng),
                    "type": kind,
                    "late": False,
                    "date": start + step_time * n,
                }
            )
            decided.append((acct, user, cid, kind))
        sub_ids = _insert_ids(s, t.Submission, subs)
        solves: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        ranks: Counter[int] = Counter()
        for sub_id, row, (acct, user, cid, kind) in zip(sub_ids, subs, decided, strict=True):
            events.append(
                {
                    "type": "submission",
                    "data": {
                        "submission_id": sub_id,
                        "challenge_id": cid,
                        "account_id": acct,
                        "user_id": user,
                        "result": kind,
                        "address": row["ip"],
                    },
                    "audience": "staff",
                    "account_id": acct,
                    "created_at": row["date"],
                }
            )
            if kind != "correct":
                continue
            ranks[cid] += 1
            ctype, values, visible = scoring[cid]
            revision += 1
            solves.append(
                {
                    "submission_id": sub_id,
                    "challenge_id": cid,
                    "user_id": user,
                    "team_id": row["team_id"],
                    "account_id": acct,
                    "date": row["date"],
                }
            )
            events.append(
                {
                    "type": "solve",
                    "data": {
                        "challenge_id": cid,
                        "account_id": acct,
                        "user_id": user,
                        "first_blood": ranks[cid] if ranks[cid] <= 3 else 0,
                        "value": ctype.current_value(values, ranks[cid]),
                    },
                    "audience": "public" if visible else "staff",
                    "account_id": acct,
                    "created_at": row["date"],
                }
            )
            events.append(
                {
                    "type": "scoreboard",
                    "data": {"revision": revision},
                    "audience": "public",
                    "account_id": None,
                    "created_at": row["date"],
                }
            )
        if solves:
            s.execute(insert(t.Solve), solves)
        s.execute(insert(t.EventLog), events)
        for name in (SCOREBOARD, CHALLENGES):
            s.execute(
                update(t.Revision).where(t.Revision.name == name).values(value=t.Revision.value + len(solves))
            )


# --- planning the attempts (W4) -----------------------------------------------------------------------


@dataclass
class AttemptBook:
    """What W4 runs may still use: the unsolved (account, challenge) pairs for first solves (each
    used once, across runs), and each user's wrong answers that still count in the per-account
    limits' minute (so a later run gives them fewer, or other users)."""

    unsolved: dict[int, list[int]]
    limit: int  # wrong answers a minute per user (0: no limit)
    spent: dict[int, tuple[int, float]] = field(default_factory=dict)  # user -> (wrong, counted until)
    everyone_until: float = 0.0  # time.monotonic() until which every user's budget is used (API seeding)
    planned: Counter[int] = field(default_factory=Counter)  # wrong answers of the plan being run

    @classmethod
    def of(cls, seeded: Seeded, limit: int, rng: random.Random) -> AttemptBook:
        unsolved: dict[int, list[int]] = {}
        for account in sorted({p.account for p in seeded.players}):
            cids = [c for c in seeded.challenge_ids if (account, c) not in seeded.solved]
            rng.shuffle(cids)
            unsolved[account] = cids
        return cls(unsolved, limit)

    @property
    def budget(self) -> int:
        """Wrong answers one user may make in a minute here: one fewer than the limit, so that its
        correct answers (checked against the same limit) still go through."""
        return self.limit - 1 if self.limit > 0 else 1 << 30

    def available(self, user_id: int, now: float) -> int:
        if self.everyone_until > now:
            return 0
        wrong, until = self.spent.get(user_id, (0, 0.0))
        return self.budget - (wrong if until > now else 0)

    def wait_until_free(self, users: list[int], wanted: int) -> float:
        """Sleep, if ``users`` cannot make ``wanted`` wrong answers now, until earlier attempts leave
        the rate-limit window; returns the seconds waited."""
        now = time.monotonic()
        if sum(max(self.available(u, now), 0) for u in users) >= wanted:
            return 0.0
        ends = [until for _w, until in self.spent.values()] + [self.everyone_until]
        wait = max(ends) - now
        if wait > 0:
            print(f"Waiting {wait:.0f} s until earlier attempts leave the rate-limit window ...", flush=True)
            time.sleep(wait)
        return max(wait, 0.0)

    def ran(self) -> None:
        """The planned run is over: its wrong answers count for another minute."""
        until = time.monotonic() + RATE_WINDOW
        for user, wrong in self.planned.items():
            self.spent[user] = (wrong + self.available_spent(user), until)
        self.planned.clear()

    def available_spent(self, user_id: int) -> int:
        wrong, until = self.spent.get(user_id, (0, 0.0))
        return wrong if until > time.monotonic() else 0


def players_with_tokens(seeded: Seeded, exclude: frozenset[int] = frozenset()) -> list[Player]:
    return [p for p in seeded.players if p.user_id in seeded.tokens and p.user_id not in exclude]


def attempt_request(seeded: Seeded, user_id: int, cid: int, flag: str) -> Req:
    body = json.dumps({"challenge_id": cid, "submission": flag}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Token {seeded.tokens[user_id]}"}
    return ("POST", "/api/v1/challenges/attempt", headers, body)


def attempt_slices(
    seeded: Seeded,
    book: AttemptBook,
    total: int,
    threads: int,
    rng: random.Random,
    exclude: frozenset[int] = frozenset(),
) -> list[list[Req]]:
    """W4's requests, one list per wrk thread, ``total`` in all at most: each thread takes its own
    players in turn; one request in ten is a first solve (an unsolved pair, used once), the others
    wrong answers, at most ``book.budget`` per user and fewer than twice the limit per team and
    challenge — so no answer is refused by the per-account limits during the run."""
    players = players_with_tokens(seeded, exclude)
    book.wait_until_free([p.user_id for p in players], math.ceil(total * WRONG_SHARE))
    now = time.monotonic()
    groups = [players[k::threads] for k in range(threads)]
    team_limit = 2 * book.limit - 1 if book.limit > 0 else 1 << 30
    wrong_by_team_challenge: Counter[tuple[int, int]] = Counter()
    slices: list[list[Req]] = []
    for group in groups:
        out: list[Req] = []
        turn = 0
        exhausted = 0
        while len(out) < total // threads and group and exhausted < len(group):
            player = group[turn % len(group)]
            turn += 1
            if rng.random() < 1 - WRONG_SHARE and book.unsolved.get(player.account):
                cid = book.unsolved[player.account].pop()
                out.append(attempt_request(seeded, player.user_id, cid, seeded.flags[cid]))
                exhausted = 0
                continue
            if book.planned[player.user_id] >= book.available(player.user_id, now):
                exhausted += 1
                continue
            cid = rng.choice(seeded.challenge_ids)
            if seeded.mode == "teams" and wrong_by_team_challenge[(player.account, cid)] >= team_limit:
                exhausted += 1
                continue
            book.planned[player.user_id] += 1
            wrong_by_team_challenge[(player.account, cid)] += 1
            out.append(attempt_request(seeded, player.user_id, cid, wrong_flag(rng)))
            exhausted = 0
        slices.append(out)
    return slices


def challenge_slices(seeded: Seeded, total: int, threads: int, rng: random.Random) -> list[list[Req]]:
    players = players_with_tokens(seeded)
    out: list[list[Req]] = [[] for _ in range(threads)]
    for n in range(total):
        token = seeded.tokens[rng.choice(players).user_id]
        out[n % threads].append(("GET", "/api/v1/challenges", {"Authorization": f"Token {token}"}, b""))
    return out


def players_needed(requests: int, limit: int, reserved: int = 0) -> int:
    """Players with tokens that ``requests`` W4 requests need so that none passes the limit."""
    if limit <= 0:
        return reserved
    return math.ceil(requests * WRONG_SHARE / (limit - 1)) + reserved


# --- through the API -------------------------------------------------------------------------------------


def admin_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}", "Content-Type": "application/json"}


async def bounded(limit: int, items: Iterable[T], work: Callable[[T], Awaitable[Any]]) -> list[Any]:
    """Run ``work`` over ``items`` with at most ``limit`` in flight; results in input order."""
    gate = asyncio.Semaphore(limit)

    async def one(item: T) -> Any:
        async with gate:
            return await work(item)

    return list(await asyncio.gather(*(one(i) for i in items)))


def seed_api(base: str, data: Dataset, admin_token: str, rng: random.Random) -> Seeded:
    if data.mode != "users":
        raise ValueError("seeding through the API makes individual-mode events only")
    return asyncio.run(_seed_api(base, data, admin_token, rng))


async def _seed_api(base: str, data: Dataset, admin_token: str, rng: random.Random) -> Seeded:
    started = time.perf_counter()
    out = Seeded(mode="users", admin_token=admin_token)
    limits = httpx.Limits(max_connections=SEED_CONCURRENCY, max_keepalive_connections=SEED_CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT, limits=limits) as http:
        headers = admin_headers(admin_token)

        async def make_challenge(i: int) -> int:
            r = await http.post("/api/v1/challenges", json=challenge_body(i, data), headers=headers)
            r.raise_for_status()
            return int(r.json()["data"]["id"])

        out.challenge_ids = await bounded(SEED_CONCURRENCY, range(data.challenges), make_challenge)
        out.through["challenges"] = "POST /api/v1/challenges"
        out.flags = {cid: new_flag(cid) for cid in out.challenge_ids}

        async def make_flag(cid: int) -> None:
            r = await http.post(
                "/api/v1/flags",
                json={"challenge_id": cid, "content": out.flags[cid], "type": "static"},
                headers=headers,
            )
            r.raise_for_status()

        await bounded(SEED_CONCURRENCY, out.challenge_ids, make_flag)
        out.through["flags"] = "POST /api/v1/flags"

        # The plan first (the same random state as the fast path's), by account position.
        ranked = data.accounts if data.ranked is None or data.mode == "teams" else data.ranked
        steps = plan(rng, data, list(range(ranked)), out.challenge_ids)

        out.password = secrets.token_urlsafe(12)
        names = [player_name(i) for i in range(data.accounts)]

        async def make_user(name: str) -> int:
            r = await http.post(
                "/api/v1/users",
                json={"name": name, "email": f"{name}@bench.invalid", "password": out.password},
                headers=headers,
            )
            r.raise_for_status()
            return int(r.json()["data"]["id"])

        # Few at a time: registration hashes the password (argon2), which is CPU-bound.
        user_ids = await bounded(USER_CONCURRENCY, names, make_user)
        out.players = [Player(uid, name, uid) for uid, name in zip(user_ids, names, strict=True)]
        out.through["players"] = "POST /api/v1/users"

        # API tokens: each player makes its own, logged in through the login page, as CTFd users do.
        tokens = await bounded(
            USER_CONCURRENCY * 4, names, lambda name: player_token(base, name, out.password)
        )
        out.tokens = dict(zip(user_ids, tokens, strict=True))
        out.through["tokens"] = "POST /login, then POST /api/v1/tokens with the session"

        async def submit(step: tuple[int, int, bool]) -> None:
            position, cid, right = step
            uid = user_ids[position]
            flag = out.flags[cid] if right else wrong_flag(rng)
            r = await http.post(
                "/api/v1/challenges/attempt",
                json={"challenge_id": cid, "submission": flag},
                headers=admin_headers(out.tokens[uid]),
            )
            status = (
                r.json().get("data", {}).get("status", str(r.status_code)) if r.status_code < 500 else "5xx"
            )
            out.statuses[status] += 1
            if right and status == "correct":
                out.solved.add((uid, cid))

        await bounded(SEED_CONCURRENCY, steps, submit)
        out.through["solves and wrong attempts"] = "POST /api/v1/challenges/attempt"
    out.seconds = time.perf_counter() - started
    return out


CSRF = re.compile(r'name="csrf[-_]token" (?:content|value)="([^"]+)"')


async def player_token(base: str, name: str, password: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT, follow_redirects=True) as session:
        page = await session.get("/login")
        found = CSRF.search(page.text)
        if not found:
            raise SystemExit("no CSRF token on /login")
        page = await session.post(
            "/login", data={"name": name, "password": password, "csrf_token": found.group(1)}
        )
        found = CSRF.search(page.text) or CSRF.search((await session.get("/login")).text)
        if not found:
            raise SystemExit("no CSRF token after logging in")
        r = await session.post(
            "/api/v1/tokens",
            json={"description": "bench", "expiration": None},
            headers={"CSRF-Token": found.group(1)},
        )
        r.raise_for_status()
        return str(r.json()["data"]["value"])


def with_accounts(data: Dataset, accounts: int) -> Dataset:
    """``data`` with ``accounts`` players; in individual mode those beyond the dataset's own are
    hidden and play only in W4 (the scoreboard keeps the dataset's size)."""
    ranked = data.ranked if data.ranked is not None else data.accounts
    return dataclasses.replace(data, accounts=accounts, ranked=ranked)
