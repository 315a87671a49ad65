"""How many open ``GET /events`` streams one Kizuna worker holds while flag attempts keep their latency.

Starts Kizuna (one uvicorn worker by default) on a free port of 127.0.0.1 over a temporary SQLite
database and seeds a small event through the API (``bench/load.py``'s seeding), then:

1. measures ``POST /api/v1/challenges/attempt`` with no stream open, twice: 90 % wrong and 10 % first
   solves (as ``bench/load.py``), then all wrong;
2. opens ``--streams`` anonymous streams (default 2,000), ``--batch`` at a time, in a process of
   their own that reads every byte as a browser would (so that reading them never delays the
   attempt measurements' event loop);
3. measures both again with every stream open — each correct answer makes a public ``solve`` and a
   ``scoreboard`` event that the server writes to every stream; wrong answers make only a staff
   ``submission`` event that no anonymous stream receives;
4. posts announcements and times how long each takes to reach every stream (from the announcement's
   creation to its arrival in the holder process), and checks that no stream was dropped;
5. closes the streams, stops the server by its PID and removes the temporary directory.

Everything is bounded: traffic only to 127.0.0.1, ``--seconds`` per measurement, at most 10,000
streams, a timeout on every wait. Prints a markdown table and writes ``bench/results/streams.json``.

Usage: ``.venv/bin/python bench/streams.py [--streams 2000] [--seconds 10] [--concurrency 16]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # bench/load.py, next to this file

HOST = load.HOST
DEFAULT_OUTPUT = load.ROOT / "bench" / "results" / "streams.json"
DATASET = load.Dataset(accounts=100, challenges=20, solves=500, wrong=1500)
QUICK = load.Dataset(accounts=10, challenges=5, solves=20, wrong=60)
OPEN_TIMEOUT = 30.0
ANNOUNCEMENTS = 5


@dataclass
class Stream:
    """One open stream, read until closed; remembers when each announcement arrived."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    received: int = 0  # bytes
    ended: bool = False
    arrivals: dict[int, float] = field(default_factory=dict)  # notification id -> wall clock
    task: asyncio.Task[None] | None = None

    async def pump(self) -> None:
        buffer = b""
        try:
            while True:
                chunk = await self.reader.read(65536)
                if not chunk:
                    break
                self.received += len(chunk)
                buffer += chunk
                # Only announcements are timed; everything else is drained and counted.
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    if b"event: notification" in block:
                        for line in block.split(b"\n"):
                            if line.startswith(b"data: "):
                                try:
                                    ident = int(json.loads(line[6:])["id"])
                                except (ValueError, KeyError, TypeError):
                                    continue
                                self.arrivals.setdefault(ident, time.time())
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self.ended = True

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except OSError:
            pass


async def open_stream(port: int) -> Stream:
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(
        f"GET /events HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode("latin-1")
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if status != 200:
        writer.close()
        raise ConnectionError(f"status {status}")
    stream = Stream(reader, writer)
    stream.task = asyncio.get_running_loop().create_task(stream.pump())
    return stream


async def open_streams(port: int, count: int, batch: int) -> tuple[list[Stream], int, float]:
    """Open ``count`` streams, ``batch`` at a time; returns them, the failures and the seconds taken."""
    streams: list[Stream] = []
    failed = 0
    started = time.perf_counter()
    for first in range(0, count, batch):
        size = min(batch, count - first)
        done = await asyncio.gather(
            *(asyncio.wait_for(open_stream(port), OPEN_TIMEOUT) for _ in range(size)), return_exceptions=True
        )
        for item in done:
            if isinstance(item, Stream):
                streams.append(item)
            else:
                failed += 1
    return streams, failed, time.perf_counter() - started


def rss_mb(pid: int) -> float:
    """Resident memory of the server process (Linux), in MB; NaN elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def raise_fd_limit(needed: int) -> tuple[int, int]:
    """Raise this process's soft limit on open files (the server inherits it) towards ``needed``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def hold(port: int, count: int, batch: int, conn: Any) -> None:
    """The stream holder, in a process of its own so that reading thousands of streams never delays
    the attempt measurements' own event loop. Commands on ``conn``: ``("arrivals", ids)`` answers
    each stream's arrival times for those announcement ids; ``("status",)`` answers how many are
    still open and the median bytes read; ``("close",)`` closes them all and ends."""

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        streams, failed, took = await open_streams(port, count, batch)
        conn.send({"opened": len(streams), "failed": failed, "open_seconds": round(took, 1)})
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if command[0] == "arrivals":
                conn.send([[s.arrivals.get(i) for i in command[1]] for s in streams if not s.ended])
            elif command[0] == "status":
                received = [s.received for s in streams]
                conn.send(
                    {
                        "still_open": sum(1 for s in streams if not s.ended),
                        "bytes_received_median": int(statistics.median(received)) if received else 0,
                    }
                )
            else:
                await asyncio.gather(*(s.close() for s in streams), return_exceptions=True)
                conn.send("closed")
                return

    asyncio.run(serve())


async def announce_and_time(base: str, admin_token: str, conn: Any, rounds: int) -> tuple[list[float], int]:
    """Post announcements; each one's delivery time to every stream, in seconds (from its creation to
    its arrival in the holder process), and how many deliveries were missing after 30 s."""
    loop = asyncio.get_running_loop()
    made: dict[int, float] = {}
    async with httpx.AsyncClient(base_url=base, timeout=load.REQUEST_TIMEOUT) as http:
        for n in range(rounds):
            r = await http.post(
                "/api/v1/notifications",
                json={"title": f"Bench {n}", "content": "Fan-out timing."},
                headers=load.admin_headers(admin_token),
            )
            r.raise_for_status()
            data = r.json()["data"]
            made[int(data["id"])] = datetime.fromisoformat(data["date"].replace("Z", "+00:00")).timestamp()
            await asyncio.sleep(1.0)
    ids = list(made)
    deadline = time.monotonic() + 30
    while True:
        conn.send(("arrivals", ids))
        rows = await loop.run_in_executor(None, conn.recv)
        if all(t is not None for row in rows for t in row) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    delays = [t - made[i] for row in rows for i, t in zip(ids, row, strict=True) if t is not None]
    missed = sum(1 for row in rows for t in row if t is None)
    return delays, missed


def attempt_kinds(seeded: load.Seeded, rng: random.Random) -> list[tuple[str, Any]]:
    """The attempt mixes measured: load.py's (90 % wrong, 10 % first solves: each solve is a public
    event every stream receives) and all wrong (no event any anonymous stream receives)."""
    mixed = next(make for name, make in load.scenarios(seeded, rng) if name.startswith("POST"))
    players = list(seeded.tokens)

    def wrong(r: random.Random) -> load.Request:
        uid, cid = r.choice(players), r.choice(seeded.challenge_ids)
        body = json.dumps({"challenge_id": cid, "submission": f"kizuna{{wrong_{r.getrandbits(32):08x}}}"})
        headers = {"Content-Type": "application/json", "Authorization": f"Token {seeded.tokens[uid]}"}
        return ("POST", "/api/v1/challenges/attempt", headers, body.encode())

    return [("90% wrong", mixed), ("all wrong", wrong)]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def measure_attempts(
    args: argparse.Namespace, server: load.Server, kinds: list[tuple[str, Any]], where: str, seed: int
) -> list[load.Result]:
    results = []
    for n, (kind, make) in enumerate(kinds):
        name = f"POST /api/v1/challenges/attempt ({kind}), {where}"
        print(f"Measuring {name} for {args.seconds:g} s at concurrency {args.concurrency} ...", flush=True)
        results.append(await load.measure(name, server.port, make, args.seconds, args.concurrency, seed + n))
    return results


async def run(
    args: argparse.Namespace, server: load.Server, seeded: load.Seeded, rng: random.Random
) -> dict[str, Any]:
    kinds = attempt_kinds(seeded, rng)
    out: dict[str, Any] = {"rss_mb": {"idle": round(rss_mb(server.proc.pid), 1)}}
    before = await measure_attempts(args, server, kinds, "no stream", args.seed)
    print(f"Opening {args.streams} streams, {args.batch} at a time, in a holder process ...", flush=True)
    loop = asyncio.get_running_loop()
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    holder = multiprocessing.get_context("spawn").Process(
        target=hold, args=(server.port, args.streams, args.batch, theirs), daemon=True
    )
    holder.start()
    try:
        opened = await loop.run_in_executor(None, ours.recv)
        out["streams"] = {"asked": args.streams, **opened}
        await asyncio.sleep(1.0)
        out["rss_mb"]["with_streams"] = round(rss_mb(server.proc.pid), 1)
        during = await measure_attempts(
            args, server, kinds, f"{opened['opened']} streams open", args.seed + len(kinds)
        )
        print(f"Timing {ANNOUNCEMENTS} announcements to every stream ...", flush=True)
        delays, missed = await announce_and_time(server.base, seeded.admin_token, ours, ANNOUNCEMENTS)
        out["announcements"] = {
            "count": ANNOUNCEMENTS,
            "deliveries": len(delays),
            "missed": missed,
            "p50_ms": round(pct(delays, 0.5) * 1000, 1),
            "p99_ms": round(pct(delays, 0.99) * 1000, 1),
            "max_ms": round(max(delays) * 1000, 1) if delays else None,
        }
        ours.send(("status",))
        out["streams"].update(await loop.run_in_executor(None, ours.recv))
        out["rss_mb"]["after"] = round(rss_mb(server.proc.pid), 1)
        ours.send(("close",))
        await loop.run_in_executor(None, ours.recv)
    finally:
        holder.join(timeout=30)
        if holder.is_alive():
            holder.terminate()
            holder.join(timeout=10)
    out["results"] = [asdict(r) for r in before + during]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--streams", type=int, default=2000, help="streams to open (default 2000)")
    parser.add_argument("--batch", type=int, default=100, help="streams opened at a time (default 100)")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each attempt measurement")
    parser.add_argument("--concurrency", type=int, default=16, help="attempt connections (default 16)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    parser.add_argument("--quick", action="store_true", help="a tiny dataset, for a smoke test")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if not 0 < args.streams <= 10_000 or not 0 < args.batch <= 1000 or not 0 < args.seconds <= 600:
        parser.error("--streams in 1..10000, --batch in 1..1000, --seconds in (0, 600]")
    if not 0 < args.concurrency <= 256 or not 0 < args.workers <= 8:
        parser.error("--concurrency in 1..256, --workers in 1..8")
    limits = raise_fd_limit(args.streams + args.concurrency + 1024)
    if limits[0] != resource.RLIM_INFINITY and limits[0] < args.streams + args.concurrency + 256:
        parser.error(f"the open-file limit ({limits[0]}) is too low for {args.streams} streams")
    data = QUICK if args.quick else DATASET
    rng = random.Random(args.seed)

    work = Path(tempfile.mkdtemp(prefix="kizuna-bench-streams-"))
    env = load.server_env(work / "data")
    server: load.Server | None = None
    try:
        admin_token = load.prepare(env)
        server = load.Server(env, load.free_port(), args.workers)
        server.wait_ready()
        print(
            f"Seeding {data.accounts} players, {data.challenges} challenges through the API ...", flush=True
        )
        seeded = asyncio.run(load.seed(server.base, env, data, admin_token, rng))
        measured = asyncio.run(run(args, server, seeded, rng))
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "dataset": asdict(data),
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "database": "sqlite",
        "open_file_limit": limits[0],
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "system": platform.platform(),
        },
        **measured,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    streams, ann = measured["streams"], measured.get("announcements", {})
    print()
    print(
        f"Kizuna, {args.workers} worker(s), SQLite; {streams['opened']} of {streams['asked']} streams "
        f"opened in {streams['open_seconds']} s ({streams['failed']} failed), "
        f"{streams.get('still_open', 0)} still open after the measurements; "
        f"server memory {measured['rss_mb']}; {os.cpu_count()} CPUs shared by "
        "server and load generator."
    )
    print()
    print(load.table([load.Result(**r) for r in measured["results"]]))
    print()
    print(
        f"Announcement fan-out to {streams['opened']} streams: p50 {ann.get('p50_ms')} ms, "
        f"p99 {ann.get('p99_ms')} ms, max {ann.get('max_ms')} ms, missed {ann.get('missed')}"
    )
    ok = streams["failed"] == 0 and streams.get("still_open") == streams["opened"] and not ann.get("missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
