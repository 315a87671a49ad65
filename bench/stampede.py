"""The start whistle (``bench/load.py --stampede``): accounts log in through the form and load the
challenge list, page and API, all at once, while other connections poll the scoreboard.

Each account, on a keep-alive connection of its own, as a browser does:

1. ``GET /login`` — the session cookie and the form's CSRF token;
2. ``POST /login`` with ``name``, ``password`` and ``csrf_token`` (form-encoded, with the cookie) —
   a success is a redirect (303) to the challenges; anything else is a failed log-in;
3. ``GET /challenges`` (the page) with the new session cookie;
4. ``GET /api/v1/challenges`` with the same cookie (what the page's script fetches).

``concurrency`` accounts are in flight at a time (new ones start as others finish), so the server
sees a steady crowd, not a single burst that would only measure its queue; meanwhile ``pollers``
connections fetch ``GET /api/v1/scoreboard`` once every ``poll_seconds`` each. Every request has a
timeout; the run gives up starting new accounts after ``LIMIT_SECONDS``. Reports errors and
p50/p99 per step, failed log-ins (must be 0), the total time (target: 60 s for 1,000 accounts) and
the workers' CPU and memory. Passwords and cookies are never printed.

Run it through ``bench/load.py --stampede [--stampede-accounts 1000]``, which seeds the event (every
bench player shares one password) and starts the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import harness
import seed as seeding
from harness import Load, Target

STEPS = ("GET /login", "POST /login", "GET /challenges", "GET /api/v1/challenges")
POLL = "GET /api/v1/scoreboard (polling)"
CSRF = re.compile(rb'name="csrf[-_]token" (?:content|value)="([^"]+)"')
LIMIT_SECONDS = 600.0  # no account starts after this long
TARGET_SECONDS = 60.0
REQUEST_TIMEOUT = 30.0


@dataclass
class Step:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float | None:
            if not ordered:
                return None
            return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1)

        return {
            "requests": len(ordered) + sum(self.errors.values()),
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "p50_ms": pct(0.5),
            "p99_ms": pct(0.99),
            "max_ms": round(ordered[-1] * 1000, 1) if ordered else None,
        }


class Browser:
    """One account's connection and cookies."""

    def __init__(self, port: int) -> None:
        self.conn = harness.Connection(port)
        self.cookies: dict[str, str] = {}

    async def fetch(
        self, step: Step, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> harness.Response | None:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        began = time.perf_counter()
        try:
            response = await asyncio.wait_for(self.conn.fetch(method, path, sent, body), REQUEST_TIMEOUT)
        except TimeoutError:
            step.errors["timeout"] += 1
            await self.conn.close()
            return None
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            step.errors["connection"] += 1
            await self.conn.close()
            return None
        step.latencies.append(time.perf_counter() - began)
        self.cookies.update(response.cookies())
        return response


async def one_account(port: int, name: str, password: str, steps: dict[str, Step]) -> bool:
    """Log ``name`` in and load the challenges; whether the log-in succeeded."""
    browser = Browser(port)
    try:
        page = await browser.fetch(steps[STEPS[0]], "GET", "/login")
        if page is None or page.status != 200:
            if page is not None:
                steps[STEPS[0]].errors[str(page.status)] += 1
            return False
        found = CSRF.search(page.body)
        if not found:
            steps[STEPS[0]].errors["no CSRF token"] += 1
            return False
        form = urlencode({"name": name, "password": password, "csrf_token": found.group(1).decode()})
        answer = await browser.fetch(
            steps[STEPS[1]],
            "POST",
            "/login",
            {"Content-Type": "application/x-www-form-urlencoded"},
            form.encode(),
        )
        if answer is None:
            return False
        if answer.status not in (302, 303) or "/login" in (answer.header("location") or ""):
            steps[STEPS[1]].errors[str(answer.status)] += 1
            return False
        for path, step in ((STEPS[2], "/challenges"), (STEPS[3], "/api/v1/challenges")):
            got = await browser.fetch(steps[path], "GET", step, {"Accept": "text/html, application/json"})
            if got is not None and got.status != 200:
                steps[path].errors[str(got.status)] += 1
        return True
    finally:
        await browser.conn.close()


async def _run(
    port: int,
    players: list[seeding.Player],
    password: str,
    concurrency: int,
    pollers: int,
    poll_seconds: float,
) -> dict[str, Any]:
    steps = {name: Step() for name in (*STEPS, POLL)}
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    started = loop.time()
    pending = list(reversed(players))
    outcomes: Counter[str] = Counter()
    finished_at: list[float] = []

    async def account_worker() -> None:
        while pending and loop.time() - started < LIMIT_SECONDS:
            player = pending.pop()
            ok = await one_account(port, player.name, password, steps)
            outcomes["logged_in" if ok else "failed"] += 1
            finished_at.append(loop.time() - started)

    async def poller(n: int) -> None:
        browser = Browser(port)
        await asyncio.sleep(poll_seconds * n / max(pollers, 1))  # spread over the interval
        try:
            while not stop.is_set():
                got = await browser.fetch(steps[POLL], "GET", "/api/v1/scoreboard")
                if got is not None and got.status != 200:
                    steps[POLL].errors[str(got.status)] += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll_seconds)
        finally:
            await browser.conn.close()

    polling = [asyncio.create_task(poller(n)) for n in range(pollers)]
    try:
        await asyncio.gather(*(account_worker() for _ in range(min(concurrency, len(players)) or 1)))
    finally:
        stop.set()
        await asyncio.gather(*polling, return_exceptions=True)
    total = loop.time() - started
    return {
        "accounts": len(players),
        "logged_in": outcomes["logged_in"],
        "failed_logins": outcomes["failed"] + len(pending),
        "not_started": len(pending),
        "total_seconds": round(total, 1),
        "within_target": total <= TARGET_SECONDS and not pending,
        "target_seconds": TARGET_SECONDS,
        "half_done_seconds": round(sorted(finished_at)[len(finished_at) // 2], 1) if finished_at else None,
        "concurrency": concurrency,
        "pollers": pollers,
        "poll_seconds": poll_seconds,
        "steps": {name: step.summary() for name, step in steps.items()},
    }


def run(
    target: Target,
    seeded: seeding.Seeded,
    accounts: int,
    load: Load,
    pollers: int = 16,
    poll_seconds: float = 1.0,
) -> dict[str, Any]:
    """The stampede against ``target`` with ``accounts`` of the seeded players (all share the seeded
    password); prints a table and returns the figures."""
    players = seeded.players[:accounts]
    # Log-ins in flight from one address count against its failed-log-in limit until they succeed
    # (100 per 15 minutes, services.throttle): stay well under it.
    concurrency = max(1, min(load.connections, 32))
    print(
        f"Stampede: {len(players)} accounts log in through the form and load /challenges (page and "
        f"API), {concurrency} at a time, while {pollers} connections poll the scoreboard every "
        f"{poll_seconds:g} s ...",
        flush=True,
    )
    pids = target.worker_pids()
    meter = harness.CpuMeter(pids)
    load_before = [round(x, 2) for x in os.getloadavg()]
    outcome = asyncio.run(_run(_port(target), players, seeded.password, concurrency, pollers, poll_seconds))
    outcome["cpu_percent"] = meter.stop()
    outcome["rss_mb"] = [harness.rss_mb(p) for p in pids]
    outcome["load_before"] = load_before
    print()
    print(table(outcome))
    return outcome


def ok(outcome: dict[str, Any]) -> bool:
    """No failed log-in and no error in any step (the time is reported, not enforced)."""
    return outcome["failed_logins"] == 0 and all(s["errors"] == 0 for s in outcome["steps"].values())


def table(outcome: dict[str, Any]) -> str:
    lines = [
        f"Stampede: {outcome['logged_in']} of {outcome['accounts']} accounts logged in and loaded the "
        f"challenges in {outcome['total_seconds']} s (target {outcome['target_seconds']:g} s; half of them "
        f"by {outcome['half_done_seconds']} s); failed log-ins: {outcome['failed_logins']}; "
        f"server CPU % per worker {outcome.get('cpu_percent')}, RSS MB {outcome.get('rss_mb')}.",
        "",
        "| step | requests | errors | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, s in outcome["steps"].items():
        lines.append(
            f"| {name} | {s['requests']} | {s['errors']} | {s['p50_ms']} | {s['p99_ms']} | {s['max_ms']} |"
        )
    return "\n".join(lines)


def _port(target: Target) -> int:
    return int(target.base.rsplit(":", 1)[1].split("/", 1)[0])
