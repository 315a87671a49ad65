"""Open streams (``bench/load.py --sse N``): N ``GET /events`` streams on one worker receive a
scoreboard change within a second while W4 runs, and W4 keeps its p99.

1. W4 (``POST /api/v1/challenges/attempt``, 90 % wrong, 10 % first solves) with no stream open;
2. N anonymous streams opened (``batch`` at a time) in a holder process of their own that reads
   every byte as a browser would — so reading them never takes the load generator's time;
3. W4 again with every stream open (after the per-account limits' minute has passed, so that the
   same players may attempt again), and meanwhile *probes*: about once a second a correct first
   solve by one of a few players kept out of W4 (through a connection of its own), whose public
   ``solve`` event every stream must receive. The delay is from sending the probe's attempt to the
   event's arrival in the holder, per stream and probe: p50, p99, max, how many arrived later than
   a second, and how many never arrived within ``ARRIVAL_TIMEOUT`` (missed);
4. the streams still open at the end, the worker's memory before and with the streams.

The server runs one worker by default (``--workers``), so every stream is on that worker. Runnable
alone: ``.venv/bin/python bench/streams.py [--streams 2000] [--seconds 10] [--quick]`` is
``bench/load.py --sse N`` with the JSON in ``bench/results/streams.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import re
import resource
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # bench/harness.py
import seed as seeding  # bench/seed.py
from harness import Load, Result, Target

OPEN_TIMEOUT = 30.0
ARRIVAL_TIMEOUT = 10.0  # after the last probe, how long to wait for stragglers before counting them missed
PROBE_PLAYERS = 4
TARGET_SECONDS = 1.0
ACCOUNT = re.compile(rb'"account_id":\s*(\d+)')
W4_BEFORE = "W4 POST /api/v1/challenges/attempt (90% wrong), no stream"


# --- the holder process -----------------------------------------------------------------------------


class Stream:
    """One open stream, read until closed; remembers when each probe's solve arrived."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, probes: set[int]) -> None:
        self.reader, self.writer, self.probes = reader, writer, probes
        self.received = 0
        self.ended = False
        self.arrivals: dict[str, float] = {}  # "account:challenge" -> wall clock
        self.task: asyncio.Task[None] | None = None

    async def pump(self) -> None:
        buffer = b""
        try:
            while True:
                chunk = await self.reader.read(65536)
                if not chunk:
                    break
                self.received += len(chunk)
                buffer += chunk
                if b"\n\n" not in buffer:
                    continue
                *blocks, buffer = buffer.split(b"\n\n")
                for block in blocks:
                    if b"event: solve" in block:
                        self.note(block)
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self.ended = True

    def note(self, block: bytes) -> None:
        found = ACCOUNT.search(block)
        if found is None or int(found.group(1)) not in self.probes:
            return
        for line in block.split(b"\n"):
            if line.startswith(b"data: "):
                try:
                    data = json.loads(line[6:])["data"]
                    key = f"{int(data['account_id'])}:{int(data['challenge_id'])}"
                except (ValueError, KeyError, TypeError):
                    return
                self.arrivals.setdefault(key, time.time())

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except OSError:
            pass


async def open_stream(port: int, probes: set[int]) -> Stream:
    reader, writer = await asyncio.open_connection(harness.HOST, port)
    writer.write(
        f"GET /events HTTP/1.1\r\nHost: {harness.HOST}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if status != 200:
        writer.close()
        raise ConnectionError(f"status {status}")
    stream = Stream(reader, writer, probes)
    stream.task = asyncio.get_running_loop().create_task(stream.pump())
    return stream


def hold(port: int, count: int, batch: int, probes: list[int], conn: Any) -> None:
    """The stream holder. Commands on ``conn``: ``("arrivals", keys)`` answers, per open stream, the
    arrival time of each key (None when not yet); ``("status",)`` how many are still open and the
    median bytes read; ``("close",)`` closes them all and ends."""

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        watched = set(probes)
        streams: list[Stream] = []
        failed = 0
        started = time.perf_counter()
        for first in range(0, count, batch):
            size = min(batch, count - first)
            done = await asyncio.gather(
                *(asyncio.wait_for(open_stream(port, watched), OPEN_TIMEOUT) for _ in range(size)),
                return_exceptions=True,
            )
            for item in done:
                if isinstance(item, Stream):
                    streams.append(item)
                else:
                    failed += 1
        took = time.perf_counter() - started
        conn.send({"opened": len(streams), "failed": failed, "open_seconds": round(took, 1)})
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if command[0] == "arrivals":
                conn.send([[s.arrivals.get(k) for k in command[1]] for s in streams if not s.ended])
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


def raise_fd_limit(needed: int) -> int:
    """Raise this process's soft limit on open files (children inherit it) towards ``needed``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return 1 << 30 if soft == resource.RLIM_INFINITY else soft


# --- probes --------------------------------------------------------------------------------------------


async def _probe(
    port: int, seeded: seeding.Seeded, pairs: list[tuple[int, int, int]], gap: float, until: float
) -> list[tuple[str, float, int]]:
    """Send the probes' correct attempts ``gap`` seconds apart until ``until`` (monotonic); returns
    [(key, sent wall clock, status)]."""
    conn = harness.Connection(port)
    sent: list[tuple[str, float, int]] = []
    try:
        for user_id, account, cid in pairs:
            if time.monotonic() >= until:
                break
            method, path, headers, body = seeding.attempt_request(seeded, user_id, cid, seeded.flags[cid])
            began = time.time()
            try:
                response = await asyncio.wait_for(conn.fetch(method, path, headers, body), 30)
                status = response.status
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
                status = 0
                await conn.close()
            sent.append((f"{account}:{cid}", began, status))
            await asyncio.sleep(max(0.0, gap - (time.time() - began)))
    finally:
        await conn.close()
    return sent


def probe_pairs(
    seeded: seeding.Seeded, book: seeding.AttemptBook, players: list[seeding.Player]
) -> list[tuple[int, int, int]]:
    """(user, account, challenge) first solves for the probe players, taken from the book."""
    out = []
    for player in players:
        for cid in book.unsolved.get(player.account, []):
            out.append((player.user_id, player.account, cid))
        book.unsolved[player.account] = []
    random.Random(len(out)).shuffle(out)
    return out


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1)


# --- the run ------------------------------------------------------------------------------------------------


def run_sse(
    target: Target,
    seeded: seeding.Seeded,
    book: seeding.AttemptBook,
    load: Load,
    engine: str,
    private: harness.PrivateDir,
    count: int,
    w4_requests: int,
    rng: random.Random,
    batch: int = 100,
) -> dict[str, Any]:
    soft = raise_fd_limit(count + load.connections + 1024)
    if soft < count + load.connections + 256:
        raise SystemExit(f"the open-file limit ({soft}) is too low for {count} streams")
    port = int(target.base.rsplit(":", 1)[1].split("/", 1)[0])
    # Players on the scoreboard (a hidden player's solve is no news to the streams), kept out of W4.
    probes = [p for p in seeding.players_with_tokens(seeded) if p.user_id not in seeded.hidden][
        -PROBE_PLAYERS:
    ]
    probe_ids = frozenset(p.user_id for p in probes)
    pairs = probe_pairs(seeded, book, probes)
    pids = target.worker_pids()
    out: dict[str, Any] = {
        "streams_asked": count,
        "workers": len(pids),
        "rss_mb_idle": [harness.rss_mb(p) for p in pids],
        "probe_players": len(probes),
        "probe_pairs_available": len(pairs),
    }

    def w4(name: str) -> Result:
        slices = seeding.attempt_slices(seeded, book, w4_requests, load.threads, rng, exclude=probe_ids)
        print(f"Measuring {name} for {load.seconds:g} s, {load.connections} connections ...", flush=True)
        result = harness.measure(
            name, target, "/api/v1/challenges/attempt", load, engine, private, slices, True
        )
        book.ran()
        print(
            f"  {result.rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
            f"errors {result.errors}",
            flush=True,
        )
        return result

    before = w4(W4_BEFORE)
    print(f"Opening {count} streams, {batch} at a time, in a holder process ...", flush=True)
    spawn = multiprocessing.get_context("spawn")
    ours, theirs = spawn.Pipe()
    holder = spawn.Process(
        target=hold, args=(port, count, batch, sorted({p.account for p in probes}), theirs)
    )
    holder.start()
    results = [before]
    try:
        opened = ours.recv()
        out.update(streams=opened)
        print(
            f"  {opened['opened']} opened in {opened['open_seconds']} s, {opened['failed']} failed",
            flush=True,
        )
        out["rss_mb_with_streams"] = [harness.rss_mb(p) for p in pids]
        name = f"W4 POST /api/v1/challenges/attempt (90% wrong), {opened['opened']} streams open"
        measured: list[Result] = []
        runner = threading.Thread(target=lambda: measured.append(w4(name)), daemon=True)
        runner.start()
        time.sleep(min(1.0, load.seconds / 4))  # W4 under way
        gap = 1.0 if load.seconds >= 4 else max(load.seconds / 4, 0.2)
        until = time.monotonic() + max(load.seconds - 1.5, 0.5)
        sent = asyncio.run(_probe(port, seeded, pairs, gap, until))
        runner.join(timeout=load.seconds + load.timeout + 120)
        results += measured
        keys = [key for key, _t, status in sent if status == 200]
        deadline = time.monotonic() + ARRIVAL_TIMEOUT
        while True:
            ours.send(("arrivals", keys))
            rows = ours.recv()
            if all(t is not None for row in rows for t in row) or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        began = {key: t for key, t, _s in sent}
        delays = [t - began[k] for row in rows for k, t in zip(keys, row, strict=True) if t is not None]
        missed = sum(1 for row in rows for t in row if t is None)
        out["probes"] = {
            "sent": len(sent),
            "accepted": len(keys),
            "statuses": sorted({s for _k, _t, s in sent}),
            "deliveries": len(delays),
            "expected_deliveries": len(keys) * len(rows),
            "missed": missed,
            "streams_missing_some": sum(1 for row in rows if any(t is None for t in row)),
            "later_than_1s": sum(1 for d in delays if d > TARGET_SECONDS),
            "p50_ms": pct(delays, 0.5),
            "p99_ms": pct(delays, 0.99),
            "max_ms": round(max(delays) * 1000, 1) if delays else None,
        }
        ours.send(("status",))
        out["streams"].update(ours.recv())
        out["rss_mb_after"] = [harness.rss_mb(p) for p in pids]
        ours.send(("close",))
        ours.recv()
    finally:
        holder.join(timeout=30)
        if holder.is_alive():
            holder.terminate()
            holder.join(timeout=10)
    out["results"] = [r.__dict__ for r in results]
    print()
    print(summary(out))
    print()
    print(harness.table(results))
    return out


def ok(out: dict[str, Any]) -> bool:
    """Every stream opened and stayed open, every probe accepted and delivered to every stream, and
    no W4 error. The delays are reported, not enforced (a loaded machine decides them)."""
    streams, probes = out.get("streams", {}), out.get("probes", {})
    return (
        streams.get("failed") == 0
        and streams.get("still_open") == streams.get("opened") == out["streams_asked"]
        and probes.get("accepted", 0) > 0
        and probes.get("accepted") == probes.get("sent")
        and probes.get("missed") == 0
        and all(r["errors"] == 0 for r in out["results"])
    )


def summary(out: dict[str, Any]) -> str:
    s, p = out.get("streams", {}), out.get("probes", {})
    return (
        f"{s.get('opened')} of {out['streams_asked']} streams opened in {s.get('open_seconds')} s "
        f"({s.get('failed')} failed), {s.get('still_open')} still open at the end, on {out['workers']} "
        f"worker(s); worker memory {out['rss_mb_idle']} MB idle, {out.get('rss_mb_with_streams')} MB with "
        f"the streams.\nA solve reached every stream (from sending the attempt to the arrival in the "
        f"holder): {p.get('accepted')} probes, {p.get('deliveries')} of {p.get('expected_deliveries')} "
        f"deliveries, p50 {p.get('p50_ms')} ms, p99 {p.get('p99_ms')} ms, max {p.get('max_ms')} ms, "
        f"later than 1 s: {p.get('later_than_1s')}, missed: {p.get('missed')} "
        f"({p.get('streams_missing_some')} streams missing some)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--streams", type=int, default=2000, help="streams to open (default 2000)")
    parser.add_argument("--batch", type=int, default=100, help="streams opened at a time (default 100)")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each W4 run (default 10)")
    parser.add_argument("--concurrency", type=int, default=64, help="W4 connections (default 64)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--quick", action="store_true", help="a tiny dataset, for a smoke test")
    parser.add_argument("--engine", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--output", type=Path, default=harness.ROOT / "bench" / "results" / "streams.json")
    args = parser.parse_args(argv)
    import load  # bench/load.py

    forwarded = [
        "--sse", str(args.streams), "--sse-batch", str(args.batch), "--seconds", str(args.seconds),
        "--concurrency", str(args.concurrency), "--workers", str(args.workers), "--engine", args.engine,
        "--output", str(args.output),
    ]  # fmt: skip
    return load.main([*forwarded, *(["--quick"] if args.quick else [])])


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
