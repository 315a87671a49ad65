"""In-process micro-benchmark of one flag attempt (issue 9, W4) — the service, not the HTTP layer.

Builds a throw-away database with a small event (players, challenges with static flags, past solves
and wrong attempts), then calls ``submissions.submit_flag`` N times on one thread: 90 % wrong
answers spread over many players (so no rate limit is reached) and 10 % first solves. Prints the
wall and CPU microseconds per call and the SQL statements per call (counted with SQLAlchemy's
``before_cursor_execute``, and those run on SQLite's driver cursor), overall and per outcome.

    .venv/bin/python bench/attempt_profile.py                     # SQLite in a temp directory
    .venv/bin/python bench/attempt_profile.py --postgres          # a fresh PostgreSQL database
    .venv/bin/python bench/attempt_profile.py --profile           # + cProfile's top functions
    KIZUNA_DATABASE_URL=postgresql+psycopg://…/empty_db .venv/bin/python bench/attempt_profile.py

``--postgres`` creates ``kizuna_attempt_<random>`` next to ``KIZUNA_TEST_POSTGRES_URL`` (default
postgresql+psycopg://postgres@127.0.0.1:5432/test) and drops it at the end. A database given by
``KIZUNA_DATABASE_URL`` must be empty or disposable: the benchmark migrates it and adds rows.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from kizuna.bootstrap import prepare_database  # noqa: E402
from kizuna.challenge_types import ChallengeTypeRegistry  # noqa: E402
from kizuna.services import challenges, content, submissions  # noqa: E402
from kizuna.services import event as event_service  # noqa: E402
from kizuna.services.accounts import Principal  # noqa: E402
from kizuna.services.context import Context  # noqa: E402
from kizuna.storage import tables as t  # noqa: E402
from kizuna.storage.db import CHALLENGES, SCOREBOARD, Database, bump  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WRONG_PER_PLAYER = 8  # below the default limit of 10 wrong answers a minute per user


class NullBus:
    def publish(self, event: Any) -> None:
        pass

    def subscribe(self, handler: Any) -> Any:
        return lambda: None

    def close(self) -> None:
        pass


@contextmanager
def database(args: argparse.Namespace) -> Iterator[Database]:
    url = os.environ.get("KIZUNA_DATABASE_URL", "")
    if args.postgres:
        import psycopg
        from sqlalchemy.engine import make_url

        base = make_url(os.environ.get("KIZUNA_TEST_POSTGRES_URL", PG_DEFAULT))
        name = f"kizuna_attempt_{uuid.uuid4().hex[:12]}"
        admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, connect_timeout=3, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        db = Database(base.set(database=name).render_as_string(hide_password=False))
        try:
            yield db
        finally:
            db.dispose()
            with psycopg.connect(admin, connect_timeout=3, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    if url:
        db = Database(url)
        try:
            yield db
        finally:
            db.dispose()
        return
    tmp = Path(tempfile.mkdtemp(prefix="kizuna-attempt-"))
    db = Database(f"sqlite:///{tmp / 'kizuna.db'}")
    try:
        yield db
    finally:
        db.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


def seed(ctx: Context, args: argparse.Namespace, rng: random.Random) -> tuple[list[int], dict[int, str]]:
    """Players, challenges with one static flag each, past solves and wrong attempts (older than the
    rate window). Users are inserted directly (no password hashing); challenges and flags go through
    the services."""
    prepare_database(ctx.db)
    event_service.update_event(ctx, {"mode": "users"})
    flags: dict[int, str] = {}
    for i in range(args.challenges):
        ch = challenges.create_challenge(
            ctx, {"name": f"bench{i}", "category": "misc", "value": 100, "max_attempts": 0}
        )
        flags[ch.id] = f"flag{{bench-{i}-{rng.randrange(10**9)}}}"
        content.create_flag(ctx, ch.id, "static", flags[ch.id], "")
    cids = list(flags)
    with ctx.db.write() as s:
        s.execute(
            insert(t.User),
            [
                {"name": f"p{i}", "name_key": f"p{i}", "password_hash": "x", "role": "player"}
                for i in range(args.players)
            ],
        )
        users = [u for (u,) in s.query(t.User.id).filter(t.User.role == "player").order_by(t.User.id)]
        past = ctx.now() - timedelta(hours=1)
        pairs: set[tuple[int, int]] = set()
        while len(pairs) < min(args.solves, len(users) * len(cids) // 2):
            pairs.add((rng.choice(users), rng.choice(cids)))
        subs = [
            {
                "challenge_id": c,
                "user_id": u,
                "account_id": u,
                "provided": flags[c],
                "type": "correct",
                "date": past + timedelta(seconds=rng.random() * 3000),
            }
            for u, c in sorted(pairs)
        ]
        subs += [
            {
                "challenge_id": rng.choice(cids),
                "user_id": (u := rng.choice(users)),
                "account_id": u,
                "provided": f"wrong{n}",
                "type": "incorrect",
                "date": past + timedelta(seconds=rng.random() * 3000),
            }
            for n in range(args.wrong)
        ]
        if subs:
            s.execute(insert(t.Submission), subs)
        if pairs:
            s.execute(
                insert(t.Solve),
                [{"challenge_id": c, "user_id": u, "account_id": u, "date": past} for u, c in sorted(pairs)],
            )
        bump(s, SCOREBOARD, CHALLENGES)
    return users, flags


def plan(
    ctx: Context, users: list[int], flags: dict[int, str], n: int, rng: random.Random
) -> list[tuple[int, int, str, str]]:
    """(user, challenge, guess, expected status): 10 % first solves, the rest wrong, each player
    answering wrong at most WRONG_PER_PLAYER times."""
    with ctx.db.read() as s:
        solved = {(int(a), int(c)) for a, c in s.query(t.Solve.account_id, t.Solve.challenge_id)}
    cids = list(flags)
    steps: list[tuple[int, int, str, str]] = []
    wrong_left = {u: WRONG_PER_PLAYER for u in users}
    if len(users) * WRONG_PER_PLAYER < n:
        raise SystemExit(f"--players too small for {n} calls ({WRONG_PER_PLAYER} wrong answers each)")
    for i in range(n):
        if i % 10 == 9:
            for _ in range(1000):
                u, c = rng.choice(users), rng.choice(cids)
                if (u, c) not in solved:
                    solved.add((u, c))
                    steps.append((u, c, flags[c], "correct"))
                    break
            continue
        u = rng.choice([x for x in rng.sample(users, min(20, len(users))) if wrong_left[x] > 0] or users)
        wrong_left[u] -= 1
        c = rng.choice(cids)
        steps.append((u, c, f"flag{{nope-{i}}}", "already_solved" if (u, c) in solved else "incorrect"))
    return steps


def run(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    with database(args) as db:
        ctx = Context(db=db, types=ChallengeTypeRegistry.from_entry_points(), bus=NullBus())
        t0 = time.perf_counter()
        users, flags = seed(ctx, args, rng)
        print(
            f"backend {db.engine.dialect.name}; seeded {len(users)} players, {len(flags)} challenges, "
            f"{args.solves} solves, {args.wrong} wrong attempts in {time.perf_counter() - t0:.1f} s",
        )
        steps = plan(ctx, users, flags, args.calls + args.warmup, rng)
        statements = [0]

        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(*_a: Any) -> None:
            statements[0] += 1

        # Statements run on SQLite's driver cursor (kizuna.storage.raw) pass no SQLAlchemy event.
        from kizuna.storage.raw import Raw

        run_raw = Raw._run

        def _raw(self: Raw, session: Any, values: dict[str, Any]) -> Any:
            statements[0] += 1
            compiled, cursor = run_raw(self, session, values)
            if args.show_sql:
                trace.append(" ".join(compiled.sql.split())[:160] + "  [driver]")
            return compiled, cursor

        Raw._run = _raw  # type: ignore[method-assign]
        trace: list[str] = []
        if args.show_sql:

            @event.listens_for(db.engine, "before_cursor_execute")
            def _show(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
                trace.append(" ".join(statement.split())[:160])

        principals = {u: Principal(u, f"p{u}", "player", None) for u in users}
        wall: dict[str, list[float]] = defaultdict(list)
        cpu: dict[str, list[float]] = defaultdict(list)
        queries: dict[str, list[int]] = defaultdict(list)
        outcomes: Counter[str] = Counter()
        profiler = cProfile.Profile() if args.profile else None
        for i, (u, c, guess, expected) in enumerate(steps):
            measured = i >= args.warmup
            if profiler is not None and measured:
                profiler.enable()
            q0, w0, c0 = statements[0], time.perf_counter(), time.process_time()
            result = submissions.submit_flag(ctx, principals[u], c, guess, ip="127.0.0.1")
            w1, c1, q1 = time.perf_counter(), time.process_time(), statements[0]
            if profiler is not None and measured:
                profiler.disable()
            if result.status != expected:
                raise SystemExit(f"call {i}: expected {expected}, got {result.status} ({result.message})")
            if args.show_sql and i in (args.warmup, args.warmup + 9):
                print(f"--- statements of one {expected} attempt:")
                print("\n".join(f"    {line}" for line in trace))
            trace.clear()
            if not measured:
                continue
            outcomes[expected] += 1
            for key in ("all", expected):
                wall[key].append((w1 - w0) * 1e6)
                cpu[key].append((c1 - c0) * 1e6)
                queries[key].append(q1 - q0)
        print(f"{args.calls} calls after {args.warmup} warm-up calls: {dict(outcomes)}")
        print(
            f"{'outcome':<16}{'calls':>7}{'wall µs mean':>14}{'median':>9}{'p99':>9}{'CPU µs':>9}{'stmts':>7}"
        )
        for key in ("all", "incorrect", "correct", "already_solved"):
            if not wall[key]:
                continue
            ws = sorted(wall[key])
            print(
                f"{key:<16}{len(ws):>7}{statistics.fmean(ws):>14.0f}{statistics.median(ws):>9.0f}"
                f"{ws[min(len(ws) - 1, int(len(ws) * 0.99))]:>9.0f}{statistics.fmean(cpu[key]):>9.0f}"
                f"{statistics.fmean(queries[key]):>7.1f}"
            )
        if profiler is not None:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
            print(out.getvalue())


def _worker(url: str, slices: list[list[tuple[int, int, str, str]]], out: Any) -> None:
    """One process: its threads released together, each submitting its slice of the plan."""
    import threading

    db = Database(url)
    ctx = Context(db=db, types=ChallengeTypeRegistry.from_entry_points(), bus=NullBus())
    gate = threading.Barrier(len(slices))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    spans: list[tuple[float, float]] = []

    def thread(steps: list[tuple[int, int, str, str]]) -> None:
        mine: list[float] = []
        seen: Counter[str] = Counter()
        gate.wait()
        start = time.time()
        for u, c, guess, _expected in steps:
            t0 = time.perf_counter()
            try:
                status = submissions.submit_flag(
                    ctx, Principal(u, f"p{u}", "player", None), c, guess, ip="127.0.0.1"
                ).status
            except Exception as exc:  # counted, the run goes on
                status = f"error {type(exc).__name__}: {str(exc).splitlines()[0][:80]}"
            mine.append((time.perf_counter() - t0) * 1e3)
            seen[status] += 1
        with lock:
            latencies.extend(mine)
            statuses.update(seen)
            spans.append((start, time.time()))

    cpu0 = time.process_time()
    threads = [threading.Thread(target=thread, args=(steps,)) for steps in slices]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    out.put((latencies, dict(statuses), spans, time.process_time() - cpu0))
    db.dispose()


def run_concurrent(args: argparse.Namespace) -> None:
    """``--processes`` processes of ``--threads`` threads submitting at once, as workers would: the
    write lock's contention, not one call's cost."""
    import multiprocessing

    rng = random.Random(args.seed)
    with database(args) as db:
        ctx = Context(db=db, types=ChallengeTypeRegistry.from_entry_points(), bus=NullBus())
        users, flags = seed(ctx, args, rng)
        steps = plan(ctx, users, flags, args.calls, rng)
        url = db.engine.url.render_as_string(hide_password=False)
        db.dispose()
        n = args.processes * args.threads
        slices = [steps[i::n] for i in range(n)]
        mp = multiprocessing.get_context("spawn")
        out = mp.Queue()
        procs = [
            mp.Process(target=_worker, args=(url, slices[p * args.threads : (p + 1) * args.threads], out))
            for p in range(args.processes)
        ]
        for proc in procs:
            proc.start()
        results = [out.get(timeout=600) for _ in procs]
        for proc in procs:
            proc.join(timeout=60)
    latencies = sorted(x for r in results for x in r[0])
    statuses: Counter[str] = Counter()
    for r in results:
        statuses.update(r[1])
    spans = [span for r in results for span in r[2]]
    elapsed = max(e for _, e in spans) - min(s for s, _ in spans)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))]

    print(
        f"{args.processes} processes x {args.threads} threads, {len(latencies)} attempts in {elapsed:.2f} s: "
        f"{len(latencies) / elapsed:.0f} attempts/s; latency ms p50 {pct(0.5):.1f} p90 {pct(0.9):.1f} "
        f"p99 {pct(0.99):.1f} max {latencies[-1]:.1f}; CPU s per process "
        + ", ".join(f"{r[3]:.2f}" for r in results)
    )
    print(f"outcomes: {dict(statuses)}")
    if any(k.startswith("error") for k in statuses):
        raise SystemExit(1)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, default=2000, help="measured attempts (default 2000)")
    p.add_argument("--warmup", type=int, default=200, help="attempts before measuring (default 200)")
    p.add_argument("--players", type=int, default=1000)
    p.add_argument("--challenges", type=int, default=50)
    p.add_argument("--solves", type=int, default=10_000, help="past solves seeded")
    p.add_argument("--wrong", type=int, default=30_000, help="past wrong attempts seeded")
    p.add_argument("--seed", type=int, default=9)
    p.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database, dropped at the end")
    p.add_argument("--profile", action="store_true", help="cProfile the measured calls")
    p.add_argument("--sort", default="cumulative", help="cProfile sort key (default cumulative)")
    p.add_argument("--top", type=int, default=30, help="cProfile rows (default 30)")
    p.add_argument(
        "--show-sql", action="store_true", help="print the statements of one wrong and one right attempt"
    )
    p.add_argument(
        "--processes",
        type=int,
        default=0,
        help="run concurrently in this many processes (0: one call at a time)",
    )
    p.add_argument("--threads", type=int, default=16, help="threads per process with --processes")
    args = p.parse_args(argv)
    if args.processes:
        run_concurrent(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
