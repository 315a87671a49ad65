"""Load benchmark of Kizuna's hot paths (issue 9): W1–W5 and the ceiling, or a stampede, or open streams.

Seeds an event into a temporary database (``--scale small``: 1,000 accounts, 50 challenges, 10,000
solves and 30,000 wrong attempts in individual mode; ``--scale large``: 5,000 teams of 1–4 members,
100 challenges, 200,000 submissions; ``--quick``: a tiny event for the smoke test), starts
``kizuna serve --workers N`` on a free port of 127.0.0.1 (or ``--replicas N`` behind nginx, see
``bench/replicas.py``) and measures, with ``wrk`` when it is installed (else a Python client):

* W1 ``GET /api/v1/scoreboard`` and W2 ``GET /api/v1/scoreboard/top/10`` (anonymous),
* W3 ``GET /api/v1/challenges`` as a random player (``Authorization: Token …``),
* W4 ``POST /api/v1/challenges/attempt``: 90 % wrong, 10 % first correct solves, random players,
  within the server's default per-account limit (more accounts are seeded when the planned rate
  needs them; a 429 counts as an error),
* W5 ``GET /static/kizuna.css`` — Kizuna's ceiling — and "bare ASGI": the same bytes from a 10-line
  ASGI app under the same uvicorn and worker count (``bench/bare_asgi.py``), once with its own two
  headers and once with the headers Kizuna sent for that file (what is left is Kizuna's own cost);
  and "bare ASGI, W1's bytes": the scoreboard's bytes from that app, the most this machine moves of
  that size (W1's own ceiling: W1 carries 70 times W5's bytes).

Each row reports req/s, p50/p99, errors, each worker's CPU during the row and memory at its end, and
its ratio to W5. ``--stampede`` (``bench/stampede.py``) logs 1,000 accounts in through the form
instead; ``--sse N`` (``bench/streams.py``) times a solve's arrival on N open streams while W4 runs.

Everything is bounded: traffic only to 127.0.0.1, ``--seconds`` per row, a timeout per request; the
servers are stopped by their PIDs and the temporary directories removed whatever happens. Tokens,
flags and passwords are never printed (the wrk scripts that hold them live in a 0700 directory).
Prints a markdown table and writes ``bench/results/latest.json`` (or ``--output``).

Usage: ``.venv/bin/python bench/load.py [--scale small|large] [--quick] [--seconds 10]
[--concurrency 64] [--threads 2] [--workers 2] [--seed fast|api] [--stampede] [--sse N] [--replicas N]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # bench/harness.py, next to this file
import seed as seeding  # bench/seed.py
from harness import Load, Req, Result, Target

DEFAULT_OUTPUT = harness.ROOT / "bench" / "results" / "latest.json"
W1 = "W1 GET /api/v1/scoreboard"
W1Z = "W1 GET /api/v1/scoreboard, gzip (as browsers ask)"
W2 = "W2 GET /api/v1/scoreboard/top/10"
W3 = "W3 GET /api/v1/challenges (player)"
W4 = "W4 POST /api/v1/challenges/attempt (90% wrong)"
W5 = "W5 GET /static/kizuna.css (ceiling)"
BARE = "bare ASGI, same bytes (reference)"
BARE_SAME = "bare ASGI, same bytes and headers (reference)"
BARE_W1 = "bare ASGI, W1's bytes (reference)"
ROWS = [W1, W1Z, W2, W3, W4, W5]
ROW_KEYS = dict(zip(["W1", "W1Z", "W2", "W3", "W4", "W5"], ROWS, strict=True))
ONLY: set[str] = set()  # --only: the rows to measure (all when empty)


# --- the rows ---------------------------------------------------------------------------------------------


async def _warm(port: int, requests: Sequence[Req]) -> None:
    for req in requests:  # a fresh connection each, so every worker is likely to get some
        conn = harness.Connection(port)
        try:
            await asyncio.wait_for(conn.fetch(*req), 30)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            await conn.close()


def warm(target: Target, requests: Sequence[Req]) -> None:
    """Untimed requests before a row, so snapshots built on first use are not what is measured."""
    asyncio.run(_warm(port_of(target), requests))


def wait_for_jobs(env: dict[str, str], limit: float = 300.0) -> float | None:
    """Wait (at most ``limit`` seconds) until the server's background jobs that read the event log —
    badges, learning statistics — have read the seeded events, so the rows measure the steady state
    and not a first catch-up (a real server does that once, after an upgrade); how long it took."""
    from sqlalchemy import create_engine, text

    engine = create_engine(env["KIZUNA_DATABASE_URL"])
    started = time.monotonic()
    try:
        with engine.connect() as c:
            newest = int(c.execute(text("SELECT coalesce(max(id), 0) FROM events")).scalar_one())
        while time.monotonic() - started < limit:
            with engine.connect() as c:
                rows = dict(c.execute(text("SELECT name, last_event_id FROM job_cursors")).all())
            if all(int(rows.get(name, 0)) >= newest for name in ("badges", "learning_stats")):
                took = time.monotonic() - started
                print(f"Background jobs read the {newest} seeded events in {took:.1f} s", flush=True)
                return took
            time.sleep(0.5)
    finally:
        engine.dispose()
    print(
        f"Background jobs still reading the seeded events after {limit:.0f} s; measuring anyway", flush=True
    )
    return None


def port_of(target: Target) -> int:
    return int(target.base.rsplit(":", 1)[1].split("/", 1)[0])


def run_rows(
    target: Target,
    seeded: seeding.Seeded,
    book: seeding.AttemptBook,
    load: Load,
    engine: str,
    private: harness.PrivateDir,
    w4_requests: int,
    rng: random.Random,
) -> list[Result]:
    workers = len(target.worker_pids())
    results: list[Result] = []

    def row(name: str, path: str, **extra: Any) -> None:
        if ONLY and name not in ONLY:
            return
        print(f"Measuring {name} for {load.seconds:g} s, {load.connections} connections ...", flush=True)
        result = harness.measure(name, target, path, load, engine, private, **extra)
        results.append(result)
        print(
            f"  {result.rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
            f"errors {result.errors}, CPU {result.cpu_percent}",
            flush=True,
        )

    warm_n = max(8, 4 * workers)
    warm(target, [("GET", "/api/v1/scoreboard", {}, b"")] * warm_n)
    row(W1, "/api/v1/scoreboard")
    gz: seeding.Req = ("GET", "/api/v1/scoreboard", {"Accept-Encoding": "gzip"}, b"")
    row(W1Z, "/api/v1/scoreboard", slices=[[gz]] * load.threads)
    warm(target, [("GET", "/api/v1/scoreboard/top/10", {}, b"")] * warm_n)
    row(W2, "/api/v1/scoreboard/top/10")
    w3 = seeding.challenge_slices(seeded, min(max(w4_requests, 1000), 20_000), load.threads, rng)
    warm(target, [r for part in w3 for r in part[:4]])
    row(W3, "/api/v1/challenges", slices=w3)
    w4 = seeding.attempt_slices(seeded, book, w4_requests, load.threads, rng)
    row(W4, "/api/v1/challenges/attempt", slices=w4, count_statuses=True)
    book.ran()
    if results and results[-1].name == W4 and results[-1].wrapped:
        print(
            f"warning: W4 ran past the end of its {sum(map(len, w4))} planned requests "
            f"({results[-1].wrapped} times): raise --w4-max-rate",
            flush=True,
        )
    warm(target, [("GET", "/static/kizuna.css", {}, b"")] * warm_n)
    row(W5, "/static/kizuna.css")
    return results


def ratios(results: list[Result]) -> None:
    ceiling = next((r.rps for r in results if r.name == W5), 0.0)
    for r in results:
        r.ratio_to_ceiling = round(r.rps / ceiling, 2) if ceiling else None


# --- main ---------------------------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--scale", choices=["small", "large"], default="small", help="dataset (default small)"
    )
    parser.add_argument("--quick", action="store_true", help="a tiny dataset, for the smoke test")
    parser.add_argument(
        "--seed",
        choices=["fast", "api"],
        default="fast",
        help="seed in bulk in-process (fast, default) or through the HTTP API (api; individual mode)",
    )
    parser.add_argument("--random-seed", type=int, default=20260301, help="for the dataset and the load")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each row (default 10)")
    parser.add_argument("--concurrency", type=int, default=64, help="connections (default 64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--timeout", type=float, default=10.0, help="a slower request is an error (s)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default 2; --sse: 1)")
    parser.add_argument("--engine", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--w4-max-rate",
        type=float,
        default=2500.0,
        help="attempts a second W4's plan is sized for (default 2500): more accounts are seeded if the "
        "per-account limit needs them",
    )
    parser.add_argument("--stampede", action="store_true", help="log accounts in through the form instead")
    parser.add_argument("--stampede-accounts", type=int, default=1000, help="accounts that log in (1000)")
    parser.add_argument("--sse", type=int, default=0, metavar="N", help="time a solve on N open streams")
    parser.add_argument("--sse-batch", type=int, default=100, help="streams opened at a time (100)")
    parser.add_argument("--replicas", type=int, default=0, metavar="N", help="N replicas behind nginx")
    parser.add_argument(
        "--only", default="", metavar="ROWS", help="measure only these rows, e.g. W3,W4 (W1Z: W1 gzip)"
    )
    parser.add_argument("--no-bare", action="store_true", help="skip the bare ASGI reference row")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON results")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 600 or not 0 < args.concurrency <= 4096 or not 0 < args.threads <= 64:
        parser.error("--seconds must be in (0, 600], --concurrency in 1..4096, --threads in 1..64")
    if args.workers is None:
        args.workers = 1 if args.sse else 2
    if not 0 < args.workers <= 64 or not 0 <= args.replicas <= 16 or not 0 <= args.sse <= 10_000:
        parser.error("--workers in 1..64, --replicas in 0..16, --sse in 0..10000")
    if args.stampede and args.sse:
        parser.error("--stampede and --sse are separate runs")
    keys = [k.strip().upper() for k in args.only.split(",") if k.strip()]
    if any(k not in ROW_KEYS for k in keys):
        parser.error(f"--only takes rows among {', '.join(ROW_KEYS)}")
    ONLY.clear()
    ONLY.update(ROW_KEYS[k] for k in keys)
    if args.seed == "api" and ((args.scale == "large" and not args.quick) or args.replicas):
        parser.error(
            "--seed api seeds an individual-mode event on one server (not --scale large or --replicas)"
        )
    if args.engine == "wrk" and not harness.wrk_available():
        parser.error("--engine wrk: wrk is not on PATH")
    args.engine = "wrk" if args.engine == "auto" and harness.wrk_available() else args.engine
    if args.engine == "auto":
        args.engine = "python"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    replicas: Any = None
    if args.replicas:
        try:
            import replicas  # bench/replicas.py
        except ImportError:
            print("--replicas is not available: bench/replicas.py is not there", file=sys.stderr)
            return 2
    data = seeding.QUICK if args.quick else seeding.SCALES[args.scale]
    rng = random.Random(args.random_seed)
    load = Load(args.concurrency, args.seconds, args.threads, args.timeout)
    w4_requests = math.ceil(args.w4_max_rate * args.seconds)
    work = Path(tempfile.mkdtemp(prefix="kizuna-bench-"))
    private = harness.PrivateDir()
    env = harness.server_env(work / "data")
    from kizuna.settings import load_settings

    limit = load_settings(environ=env).attempt_rate_limit
    probes = 4 if args.sse else 0
    runs = 2 if args.sse else 1  # W4 runs close together: each gets players of its own
    needed = runs * seeding.players_needed(w4_requests, limit) + probes if not args.stampede else 0
    planned = {
        "w4_requests_planned": w4_requests,
        "attempt_rate_limit": limit,
        "players_needed": needed,
        "accounts_added": 0,
    }
    if data.mode == "users" and needed > data.accounts:
        planned["accounts_added"] = needed - data.accounts
        print(
            f"W4 at up to {args.w4_max_rate:g} req/s for {args.seconds:g} s needs {needed} players under the "
            f"limit of {limit} wrong answers a minute: seeding {needed - data.accounts} more accounts, "
            f"hidden ({needed} in all; the scoreboard keeps {data.accounts})",
            flush=True,
        )
        data = seeding.with_accounts(data, needed)
    if args.stampede and data.mode == "users" and args.stampede_accounts > data.accounts and not args.quick:
        planned["accounts_added"] = args.stampede_accounts - data.accounts
        data = seeding.with_accounts(data, args.stampede_accounts)
    holders = None if data.mode == "users" else max(needed, data.accounts)
    target: Any = None
    report: dict[str, Any] = {}
    code = 0
    try:
        if args.replicas:
            print(f"Starting {args.replicas} replicas behind nginx (bench/replicas.py) ...", flush=True)
            target = replicas.start(args.replicas, env, work / "data", workers_per_replica=args.workers)
            env = dict(target.env)
        print(f"Seeding ({args.seed}) {describe(data)} ...", flush=True)
        admin_token = seeding.prepare(env, data.mode)
        if args.seed == "fast":
            seeded = seeding.seed_fast(
                env, data, admin_token, rng, holders, progress=lambda m: print(f"  {m}", flush=True)
            )
        else:
            # The attempts go through a server of their own without the attempt limit (the seeding
            # submits far faster than people); the measured server keeps the default limits.
            seeder = harness.kizuna_server({**env, "KIZUNA_ATTEMPT_RATE_LIMIT": "0"}, 2, work / "seeder.log")
            try:
                seeded = seeding.seed_api(seeder.base, data, admin_token, rng)
            finally:
                seeder.stop()
            seeded_until = time.monotonic() + seeding.RATE_WINDOW
        print(f"Seeded in {seeded.seconds:.1f} s: {seeded.summary()['submissions']}", flush=True)
        if target is None:
            print(f"Starting kizuna serve --workers {args.workers} ...", flush=True)
            target = harness.kizuna_server(env, args.workers, work / "server.log")
        caught_up = wait_for_jobs(env)
        book = seeding.AttemptBook.of(seeded, limit, random.Random(args.random_seed + 1))
        if args.seed == "api":
            book.everyone_until = seeded_until  # the seeding's own wrong answers still count
        report = {
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "mode": "stampede" if args.stampede else "sse" if args.sse else "rows",
            "dataset": asdict(data) | {"quick": args.quick},
            "load": asdict(load) | {"engine": args.engine},
            "workers": args.workers,
            "replicas": args.replicas,
            "database": "postgresql" if env["KIZUNA_DATABASE_URL"].startswith("postgres") else "sqlite",
            "seeding": seeded.summary() | {"way": args.seed},
            "jobs_caught_up_seconds": caught_up,
            "planning": planned,
            "machine": harness.machine(),
        }
        if args.stampede:
            import stampede  # bench/stampede.py

            outcome = stampede.run(target, seeded, args.stampede_accounts, load)
            report["stampede"] = outcome
            code = 0 if stampede.ok(outcome) else 1
        elif args.sse:
            import streams  # bench/streams.py

            outcome = streams.run_sse(
                target, seeded, book, load, args.engine, private, args.sse, w4_requests, rng, args.sse_batch
            )
            report["sse"] = outcome
            code = 0 if streams.ok(outcome) else 1
        else:
            results = run_rows(target, seeded, book, load, args.engine, private, w4_requests, rng)
            if not args.replicas and not args.no_bare:
                sent = work / "static-headers.json"
                sent.write_text(json.dumps(harness.app_answer(target.port, "/static/kizuna.css")[0]))
                board = work / "scoreboard.json"
                board.write_bytes(harness.app_answer(target.port, "/api/v1/scoreboard")[1])
                target.stop()
                target = None
                for name, headers, body in (
                    (BARE, None, None),
                    (BARE_SAME, sent, None),
                    (BARE_W1, None, board),
                ):
                    print(f"Measuring {name} (bench/bare_asgi.py, {args.workers} worker(s)) ...", flush=True)
                    bare = harness.bare_server(args.workers, work / "bare.log", headers, body)
                    try:
                        results.append(harness.measure(name, bare, "/static/kizuna.css", load, args.engine))
                    finally:
                        bare.stop()
            ratios(results)
            report["results"] = [asdict(r) for r in results]
            code = 0 if all(r.errors == 0 for r in results) else 1
            print()
            print(headline(args, data, seeded))
            print()
            print(harness.table(results))
    finally:
        if target is not None:
            target.stop()
        private.close()
        if code:
            show_log(work / "server.log")
        shutil.rmtree(work, ignore_errors=True)
    if report:
        report["exit_code"] = code
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"\nJSON: {args.output}")
    return code


def show_log(path: Path, lines: int = 40) -> None:
    """The end of the server's log after a failed run: the traceback of a 5xx says why."""
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return
    if text:
        print(f"\nThe server's log (last {min(lines, len(text))} lines):", file=sys.stderr)
        print("\n".join(text[-lines:]), file=sys.stderr)


def describe(data: seeding.Dataset) -> str:
    if data.mode == "teams":
        who = f"{data.accounts} teams"
    elif data.ranked is not None and data.ranked < data.accounts:
        who = f"{data.ranked} players (+{data.accounts - data.ranked} hidden, for W4 only)"
    else:
        who = f"{data.accounts} players"
    return f"{who}, {data.challenges} challenges, {data.solves} solves, {data.wrong} wrong attempts"


def headline(args: argparse.Namespace, data: seeding.Dataset, seeded: seeding.Seeded) -> str:
    where = f"{args.replicas} replicas behind nginx" if args.replicas else "one server"
    return (
        f"Kizuna, {where}, {args.workers} worker(s) each; {describe(data)} ({len(seeded.players)} users); "
        f"{args.engine}, {args.concurrency} connections, {args.threads} threads, {args.seconds:g} s per row; "
        f"{os.cpu_count()} CPUs shared by the server and the load generator; load average before: "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}."
    )


if __name__ == "__main__":
    sys.exit(main())
