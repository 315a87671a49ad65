"""Load benchmark for Kizuna's hot paths.

Starts Kizuna with uvicorn on a free port of 127.0.0.1 over a temporary SQLite database, seeds an
event through the API (1,000 players in individual mode, 50 challenges, 10,000 solves and 30,000
wrong attempts by default), then measures requests per second and p50/p99 latency of:

* ``GET /api/v1/scoreboard`` and ``GET /api/v1/scoreboard/top/10`` (anonymous),
* ``GET /api/v1/challenges`` as a random player,
* ``POST /api/v1/challenges/attempt`` (90 % wrong flags, 10 % first correct solves),
* ``GET /static/kizuna.css`` — the ceiling of the stack (uvicorn + Starlette, no Kizuna code).

Every phase is bounded: ``--seconds`` per endpoint, ``--concurrency`` connections, a timeout per
request; the server is stopped (by its own PID) at the end. Traffic goes only to 127.0.0.1.
Prints a markdown table and writes ``bench/results/latest.json`` (or ``--output``).

Usage: ``.venv/bin/python bench/load.py [--quick] [--seconds 10] [--concurrency 32] [--workers 1]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "latest.json"
SEED_CONCURRENCY = 16
USER_CONCURRENCY = 2
REQUEST_TIMEOUT = 30.0
ADMIN_NAME = "bench-admin"
T = TypeVar("T")


@dataclass(frozen=True)
class Dataset:
    accounts: int
    challenges: int
    solves: int
    wrong: int
    dynamic_share: float = 0.2  # this share of the challenges decays (CTFd "logarithmic")


FULL = Dataset(accounts=1_000, challenges=50, solves=10_000, wrong=30_000)
QUICK = Dataset(accounts=10, challenges=5, solves=20, wrong=60)


@dataclass
class Seeded:
    admin_token: str = ""
    challenge_ids: list[int] = field(default_factory=list)
    flags: dict[int, str] = field(default_factory=dict)
    player_ids: list[int] = field(default_factory=list)
    tokens: dict[int, str] = field(default_factory=dict)
    solved: set[tuple[int, int]] = field(default_factory=set)
    through: dict[str, str] = field(default_factory=dict)  # what was seeded how
    statuses: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


@dataclass(frozen=True)
class Result:
    name: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


# --- the server ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIZUNA_")}
    env.update(
        KIZUNA_DATA_DIR=str(data_dir),
        KIZUNA_DATABASE_URL=f"sqlite:///{data_dir / 'kizuna.db'}",
        KIZUNA_SECRET_KEY=secrets.token_urlsafe(32),
        KIZUNA_ENVIRONMENT="test",
        KIZUNA_ATTEMPT_RATE_LIMIT="0",  # 0 = no limit: the benchmark submits far faster than people
        KIZUNA_LOG_LEVEL="warning",
    )
    return env


def prepare(env: dict[str, str]) -> str:
    """Migrate the empty database, switch the event to individual mode and make an admin; returns the
    admin's API token. In-process, as ``kizuna db upgrade``, ``kizuna admin create`` and ``kizuna token
    create`` would do it (there is no event-settings API yet), to keep the smoke test short."""
    from kizuna.bootstrap import prepare_database
    from kizuna.services import accounts, event

    ctx = local_context(env)
    try:
        prepare_database(ctx.db)
        event.update_event(ctx, {"mode": "users"})
        admin = accounts.register_user(
            ctx, ADMIN_NAME, secrets.token_urlsafe(16), role="admin", by_admin=True
        )
        return accounts.create_token(ctx, admin.id, description="bench").value
    finally:
        ctx.db.dispose()


class Server:
    def __init__(self, env: dict[str, str], port: int, workers: int) -> None:
        self.port = port
        self.base = f"http://{HOST}:{port}"
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "kizuna.web.asgi:create",
            "--host",
            HOST,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        if workers > 1:
            command += ["--workers", str(workers)]
        self.proc = subprocess.Popen(command, env=env)  # noqa: S603 - fixed command, our interpreter

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited with code {self.proc.returncode}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("the server did not start in time")

    def stop(self) -> None:
        """Stop the server we started, by its PID (uvicorn stops its own workers on SIGTERM)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


# --- seeding through the API -------------------------------------------------------------------------


def admin_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}", "Content-Type": "application/json"}


async def bounded(limit: int, items: Iterable[T], work: Callable[[T], Awaitable[Any]]) -> list[Any]:
    """Run ``work`` over ``items`` with at most ``limit`` in flight; results in input order."""
    gate = asyncio.Semaphore(limit)

    async def one(item: T) -> Any:
        async with gate:
            return await work(item)

    return list(await asyncio.gather(*(one(i) for i in items)))


def local_context(env: dict[str, str]) -> Any:
    """Kizuna's services over the same database, for what the API cannot seed yet."""
    from kizuna.settings import load_settings
    from kizuna.web.app import build_context

    return build_context(load_settings(environ=env))


def popularity(n: int, rng: random.Random) -> list[float]:
    """A long tail: a few challenges most players solve, many that few do."""
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


async def seed(base: str, env: dict[str, str], data: Dataset, admin_token: str, rng: random.Random) -> Seeded:
    started = time.perf_counter()
    out = Seeded(admin_token=admin_token)
    ctx: Any = None  # a local Context, made only if some step has to use the services
    limits = httpx.Limits(max_connections=SEED_CONCURRENCY, max_keepalive_connections=SEED_CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT, limits=limits) as http:
        headers = admin_headers(admin_token)

        # Challenges: CTFd's create shape, a fifth of them decaying.
        n_dynamic = round(data.challenges * data.dynamic_share)

        async def make_challenge(i: int) -> int:
            body: dict[str, Any] = {
                "name": f"Challenge {i:03d}",
                "category": ["web", "crypto", "pwn", "forensics", "misc"][i % 5],
                "description": f"Benchmark challenge {i}. The flag is in another castle.",
                "state": "visible",
            }
            if i < n_dynamic:
                body.update(type="dynamic", initial=500, minimum=100, decay=max(data.accounts // 20, 1))
            else:
                body.update(type="standard", value=100 * (1 + i % 5))
            r = await http.post("/api/v1/challenges", json=body, headers=headers)
            r.raise_for_status()
            return int(r.json()["data"]["id"])

        out.challenge_ids = await bounded(SEED_CONCURRENCY, range(data.challenges), make_challenge)
        out.through["challenges"] = "POST /api/v1/challenges"
        out.flags = {cid: f"kizuna{{bench_{cid}_{secrets.token_hex(6)}}}" for cid in out.challenge_ids}

        first = out.challenge_ids[0]
        probe = await http.post(
            "/api/v1/flags",
            json={"challenge_id": first, "content": out.flags[first], "type": "static"},
            headers=headers,
        )
        if probe.status_code in (404, 405):
            ctx = ctx or local_context(env)
            from kizuna.services import content

            for cid, flag in out.flags.items():
                content.create_flag(ctx, cid, "static", flag, "")
            out.through["flags"] = "services (POST /api/v1/flags is not there yet)"
        else:
            probe.raise_for_status()

            async def make_flag(cid: int) -> None:
                r = await http.post(
                    "/api/v1/flags",
                    json={"challenge_id": cid, "content": out.flags[cid], "type": "static"},
                    headers=headers,
                )
                r.raise_for_status()

            await bounded(SEED_CONCURRENCY, out.challenge_ids[1:], make_flag)
            out.through["flags"] = "POST /api/v1/flags"

        # Players (individual mode), each with a password of its own.
        password = secrets.token_urlsafe(12)
        names = [f"player{i:04d}" for i in range(data.accounts)]
        probe = await http.post(
            "/api/v1/users",
            json={"name": names[0], "email": f"{names[0]}@bench.invalid", "password": password},
            headers=headers,
        )
        if probe.status_code in (404, 405):
            ctx = ctx or local_context(env)
            from kizuna.services import accounts

            def register(name: str) -> int:
                return int(
                    accounts.register_user(
                        ctx, name, password, email=f"{name}@bench.invalid", by_admin=True
                    ).id
                )

            # One at a time: registration hashes the password inside the write transaction, so
            # parallel registrations only queue on SQLite's lock (and can starve past its timeout).
            out.player_ids = await bounded(1, names, lambda n: asyncio.to_thread(register, n))
            out.through["players"] = "services (POST /api/v1/users is not there yet)"
        else:
            probe.raise_for_status()

            async def make_user(name: str) -> int:
                r = await http.post(
                    "/api/v1/users",
                    json={"name": name, "email": f"{name}@bench.invalid", "password": password},
                    headers=headers,
                )
                r.raise_for_status()
                return int(r.json()["data"]["id"])

            out.player_ids = [int(probe.json()["data"]["id"])]
            # Few at a time, for the same reason as above: argon2 inside the write transaction.
            out.player_ids += await bounded(USER_CONCURRENCY, names[1:], make_user)
            out.through["players"] = "POST /api/v1/users"

        # API tokens: each player makes its own, logged in through the login page, as CTFd users do.
        probe = await http.get("/api/v1/tokens", headers=headers)
        if probe.status_code in (404, 405):
            ctx = ctx or local_context(env)
            from kizuna.services import accounts

            def token_for(uid: int) -> str:
                return accounts.create_token(ctx, uid, description="bench").value

            tokens = await bounded(1, out.player_ids, lambda uid: asyncio.to_thread(token_for, uid))
            out.through["tokens"] = "services (POST /api/v1/tokens is not there yet)"
        else:

            async def login_and_mint(name: str) -> str:
                return await player_token(base, name, password)

            tokens = await bounded(SEED_CONCURRENCY, names, login_and_mint)
            out.through["tokens"] = "POST /login, then POST /api/v1/tokens with the session"
        out.tokens = dict(zip(out.player_ids, tokens, strict=True))

        # Solves and wrong attempts, interleaved, through the attempt endpoint.
        weights = popularity(len(out.challenge_ids), rng)
        plan: list[tuple[int, int, bool]] = []
        per_player, extra = divmod(data.solves, data.accounts)
        for n, uid in enumerate(out.player_ids):
            for cid in pick_distinct(rng, out.challenge_ids, weights, per_player + (1 if n < extra else 0)):
                plan.append((uid, cid, True))
        for _ in range(data.wrong):
            plan.append(
                (rng.choice(out.player_ids), rng.choices(out.challenge_ids, weights=weights)[0], False)
            )
        rng.shuffle(plan)

        async def submit(step: tuple[int, int, bool]) -> None:
            uid, cid, right = step
            flag = out.flags[cid] if right else f"kizuna{{wrong_{secrets.token_hex(4)}}}"
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

        await bounded(SEED_CONCURRENCY, plan, submit)
        out.through["solves and wrong attempts"] = "POST /api/v1/challenges/attempt"
    if ctx is not None:
        ctx.db.dispose()
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


# --- measuring ---------------------------------------------------------------------------------------


class Connection:
    """A minimal HTTP/1.1 keep-alive client. The load generator shares the machine with the server,
    so it must cost as little as possible: this does far less work per request than a full client."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> int:
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(head.encode("latin-1") + b"\r\n" + body)
        await self.writer.drain()
        status_line, _sep, rest = (await self.reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        fields = {}
        for line in rest.decode("latin-1").split("\r\n"):
            key, _colon, value = line.partition(":")
            fields[key.strip().lower()] = value.strip().lower()
        if "content-length" in fields:
            await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding") == "chunked":
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        if fields.get("connection") == "close":
            await self.close()
        return status


Request = tuple[str, str, dict[str, str], bytes]


async def measure(
    name: str,
    port: int,
    make: Callable[[random.Random], Request],
    seconds: float,
    concurrency: int,
    seed: int,
) -> Result:
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors = 0
    rngs = [random.Random(seed * 1000 + n) for n in range(concurrency)]
    conns = [Connection(port) for _ in range(concurrency)]
    # One untimed request per connection first: connecting and first-request caches are not measured.
    await asyncio.gather(
        *(asyncio.wait_for(c.request(*make(r)), REQUEST_TIMEOUT) for c, r in zip(conns, rngs, strict=True))
    )
    deadline = loop.time() + seconds

    async def worker(conn: Connection, rng: random.Random) -> None:
        nonlocal errors
        while loop.time() < deadline:
            req = make(rng)
            began = time.perf_counter()
            try:
                status = await asyncio.wait_for(conn.request(*req), REQUEST_TIMEOUT)
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
                errors += 1
                await conn.close()
                continue
            latencies.append(time.perf_counter() - began)
            if status >= 400:
                errors += 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(c, r) for c, r in zip(conns, rngs, strict=True)))
    finally:
        elapsed = time.perf_counter() - started
        await asyncio.gather(*(c.close() for c in conns))
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return float("nan")
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return Result(name, len(latencies), len(latencies) / elapsed, pct(0.50), pct(0.99), errors)


def scenarios(seeded: Seeded, rng: random.Random) -> list[tuple[str, Callable[[random.Random], Request]]]:
    json_headers = {"Content-Type": "application/json"}
    players = list(seeded.tokens)
    # Fresh (player, challenge) pairs for the 10 % correct answers: first solves, not repeats.
    unsolved = [(u, c) for u in players for c in seeded.challenge_ids if (u, c) not in seeded.solved]
    rng.shuffle(unsolved)

    def scoreboard(_r: random.Random) -> Request:
        return ("GET", "/api/v1/scoreboard", {}, b"")

    def top(_r: random.Random) -> Request:
        return ("GET", "/api/v1/scoreboard/top/10", {}, b"")

    def challenge_list(r: random.Random) -> Request:
        token = seeded.tokens[r.choice(players)]
        return ("GET", "/api/v1/challenges", {**json_headers, "Authorization": f"Token {token}"}, b"")

    def attempt(r: random.Random) -> Request:
        if r.random() < 0.1 and unsolved:
            uid, cid = unsolved.pop()
            flag = seeded.flags[cid]
        else:
            uid, cid = r.choice(players), r.choice(seeded.challenge_ids)
            flag = f"kizuna{{wrong_{r.getrandbits(32):08x}}}"
        body = json.dumps({"challenge_id": cid, "submission": flag}).encode()
        return (
            "POST",
            "/api/v1/challenges/attempt",
            {**json_headers, "Authorization": f"Token {seeded.tokens[uid]}"},
            body,
        )

    def static(_r: random.Random) -> Request:
        return ("GET", "/static/kizuna.css", {}, b"")

    return [
        ("GET /api/v1/scoreboard", scoreboard),
        ("GET /api/v1/scoreboard/top/10", top),
        ("GET /api/v1/challenges (player)", challenge_list),
        ("POST /api/v1/challenges/attempt (90% wrong)", attempt),
        ("GET /static/kizuna.css (ceiling)", static),
    ]


# --- report -------------------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    lines = [
        "| endpoint | requests | req/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.requests} | {r.rps:.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a small dataset, for a smoke test")
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="duration of each measurement (default 10)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=32, help="connections per measurement (default 32)"
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    parser.add_argument("--seed", type=int, default=20260301, help="random seed for the dataset and the load")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON results")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 600 or not 0 < args.concurrency <= 1024 or not 0 < args.workers <= 64:
        parser.error("--seconds must be in (0, 600], --concurrency in 1..1024, --workers in 1..64")
    data = QUICK if args.quick else FULL
    rng = random.Random(args.seed)

    work = Path(tempfile.mkdtemp(prefix="kizuna-bench-"))
    env = server_env(work / "data")
    server: Server | None = None
    try:
        admin_token = prepare(env)
        server = Server(env, free_port(), args.workers)
        server.wait_ready()
        print(
            f"Seeding {data.accounts} players, {data.challenges} challenges, {data.solves} solves and "
            f"{data.wrong} wrong attempts through the API ...",
            flush=True,
        )
        seeded = asyncio.run(seed(server.base, env, data, admin_token, rng))
        print(f"Seeded in {seeded.seconds:.1f} s; attempt answers: {dict(seeded.statuses)}", flush=True)

        results = []
        for n, (name, make) in enumerate(scenarios(seeded, rng)):
            print(
                f"Measuring {name} for {args.seconds:g} s at concurrency {args.concurrency} ...", flush=True
            )
            results.append(
                asyncio.run(measure(name, server.port, make, args.seconds, args.concurrency, args.seed + n))
            )
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "dataset": asdict(data) | {"quick": args.quick},
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "database": "sqlite",
        "seeding": {
            "seconds": round(seeded.seconds, 1),
            "through": seeded.through,
            "attempt_answers": dict(seeded.statuses),
        },
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "system": platform.platform(),
        },
        "results": [asdict(r) for r in results],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(
        f"Kizuna, {args.workers} worker(s), SQLite; {data.accounts} accounts, {data.challenges} challenges, "
        f"{len(seeded.solved)} solves; {args.seconds:g} s per row at concurrency {args.concurrency}; "
        f"{os.cpu_count()} CPUs shared by server and load generator."
    )
    print()
    print(table(results))
    expected_solves = data.solves
    if seeded.statuses.get("correct", 0) != expected_solves or seeded.statuses.get("5xx", 0):
        print(f"\nwarning: expected {expected_solves} correct seed attempts, got {dict(seeded.statuses)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
