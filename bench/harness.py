"""What the benchmark's modes share: the server under test and its worker processes (CPU and memory
from ``/proc``), a small keep-alive HTTP/1.1 client, the two load engines (``wrk`` and a Python
fallback) and the result rows.

Everything here talks only to 127.0.0.1, is bounded in time, and stops only the processes it
started, by their PIDs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

HOST = "127.0.0.1"
BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
LUA = BENCH / "wrk" / "kizuna.lua"
READY_TIMEOUT = 90.0
SHARED_SOCKET_GRACE = 10.0
Req = tuple[str, str, dict[str, str], bytes]  # method, path, headers, body


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a server under test: this one without any KIZUNA_ setting, plus a private
    data directory and SQLite database, a random secret and warnings-only logging. The attempt rate
    limit is the default one (10 wrong answers a minute per user) unless ``extra`` says otherwise."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIZUNA_")}
    env.update(
        KIZUNA_DATA_DIR=str(data_dir),
        KIZUNA_DATABASE_URL=f"sqlite:///{data_dir / 'kizuna.db'}",
        KIZUNA_SECRET_KEY=secrets.token_urlsafe(32),
        KIZUNA_ENVIRONMENT="test",
        KIZUNA_LOG_LEVEL="warning",
    )
    env.update(extra)
    return env


# --- processes -------------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    return raw[raw.rindex(")") + 2 :].split()


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc; empty elsewhere)."""
    out = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                out.append(int(entry.name))
    return sorted(out)


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def worker_pids(serve_pid: int) -> list[int]:
    """The processes that serve requests: the children of the serve process (multiprocessing's
    resource tracker left out), or the serve process itself when it has none (one worker)."""
    found = [p for p in children(serve_pid) if "resource_tracker" not in cmdline(p)]
    return found or [serve_pid]


def cpu_ticks(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[11]) + int(fields[12]) if fields is not None else None  # utime + stime


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return float("nan")


class CpuMeter:
    """CPU used by each of ``pids`` between ``__init__`` and :meth:`stop`, in % of one core."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = list(pids)
        self.before = {p: cpu_ticks(p) for p in self.pids}
        self.started = time.monotonic()

    def stop(self) -> list[float]:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        out = []
        for p in self.pids:
            after, before = cpu_ticks(p), self.before[p]
            if after is None or before is None:
                out.append(float("nan"))
            else:
                out.append(round((after - before) / CLOCK_TICKS / elapsed * 100, 1))
        return out


class Target(Protocol):
    """What the modes measure: a base URL on 127.0.0.1 and the processes behind it."""

    base: str
    env: dict[str, str]

    def worker_pids(self) -> list[int]: ...

    def stop(self) -> None: ...


class Process:
    """A server process we started (its output in ``log``); stopped by its PID, whatever happens."""

    def __init__(self, command: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.port = port
        self.base = f"http://{HOST}:{port}"
        self.env = env
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
                command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
            )

    def wait_ready(self, path: str = "/healthz", timeout: float = READY_TIMEOUT, workers: int = 1) -> None:
        """Until ``path`` answers 200 and every worker listens: with ``SO_REUSEPORT`` each worker has
        a listening socket of its own, and connections made before a worker listens all go to the
        others (a server that shares one socket among its workers is waited for a few seconds)."""
        deadline = time.monotonic() + timeout
        healthy_at: float | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited with code {self.proc.returncode}:\n{self.tail()}")
            if healthy_at is None and status_of(self.port, path) == 200:
                healthy_at = time.monotonic()
            if healthy_at is not None:
                if listeners(self.port) >= workers:
                    return
                if time.monotonic() - healthy_at > SHARED_SOCKET_GRACE:
                    return  # one socket shared by the workers (no SO_REUSEPORT): nothing to count
            time.sleep(0.2)
        raise SystemExit(f"the server did not start within {timeout:g} s:\n{self.tail()}")

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def worker_pids(self) -> list[int]:
        return worker_pids(self.proc.pid)

    def stop(self) -> None:
        """SIGTERM to the serve process (it stops its workers), SIGKILL after a grace period."""
        if self.proc.poll() is None:
            workers = self.worker_pids()
            self.proc.terminate()
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
                for pid in workers:  # orphans of a supervisor that did not stop them
                    if pid != self.proc.pid:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, 9)


def kizuna_server(env: dict[str, str], workers: int, log: Path) -> Process:
    port = free_port()
    command = [sys.executable, "-m", "kizuna.cli.main", "serve", "--host", HOST, "--port", str(port)]
    server = Process([*command, "--workers", str(workers)], env, port, log)
    server.wait_ready(workers=workers if workers > 1 else 1)
    return server


def bare_server(workers: int, log: Path, headers: Path | None = None, body: Path | None = None) -> Process:
    """``bench/bare_asgi.py``; ``headers``: a JSON file of the headers it is to send instead of its two;
    ``body``: a file whose bytes it is to send instead of the style sheet."""
    port = free_port()
    command = [sys.executable, str(BENCH / "bare_asgi.py"), "--host", HOST, "--port", str(port)]
    if headers is not None:
        command += ["--headers", str(headers)]
    if body is not None:
        command += ["--body", str(body)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIZUNA_")}
    server = Process([*command, "--workers", str(workers)], env, port, log)
    server.wait_ready("/", workers=workers if workers > 1 else 1)
    return server


def listeners(port: int) -> int:
    """Listening TCP sockets on ``port`` (Linux ``/proc/net/tcp`` and ``tcp6``)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


def status_of(port: int, path: str) -> int | None:
    try:
        with socket.create_connection((HOST, port), timeout=2) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
            head = s.recv(64)
        return int(head.split(b" ", 2)[1])
    except (OSError, ValueError, IndexError):
        return None


# What uvicorn adds to every answer by itself, and the connection's own header: not the app's.
SERVER_HEADERS = {"date", "server", "connection", "keep-alive"}


def app_answer(port: int, path: str) -> tuple[list[tuple[str, str]], bytes]:
    """The headers the app sent with ``GET path`` (in order, without :data:`SERVER_HEADERS`) and
    the body (read to the connection's end: no chunked encoding expected)."""
    with socket.create_connection((HOST, port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    raw_head, _, body = data.partition(b"\r\n\r\n")
    head = raw_head.decode("latin-1").split("\r\n")
    if not head[0].startswith("HTTP/1.1 200"):
        raise SystemExit(f"GET {path} answered {head[0]!r}")
    pairs = [line.split(":", 1) for line in head[1:]]
    headers = [(k.strip().lower(), v.strip()) for k, v in pairs if k.strip().lower() not in SERVER_HEADERS]
    if dict(headers).get("content-length") != str(len(body)):
        raise SystemExit(f"GET {path}: the body is not the length announced")
    return headers, body


# --- a small HTTP/1.1 client ---------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    def cookies(self) -> dict[str, str]:
        out = {}
        for key, value in self.headers:
            if key == "set-cookie":
                pair = value.split(";", 1)[0]
                name, _eq, val = pair.partition("=")
                out[name.strip()] = val.strip()
        return out


class Connection:
    """A minimal HTTP/1.1 keep-alive client. The load generator shares the machine with the server,
    so it must cost as little as possible: this does far less work per request than a full client."""

    def __init__(self, port: int, host: str = HOST) -> None:
        self.port, self.host = port, host
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def fetch(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Response:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None and self.writer is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(head.encode("latin-1") + b"\r\n" + body)
        await self.writer.drain()
        status_line, _sep, rest = (await self.reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        fields = []
        for line in rest.decode("latin-1").split("\r\n"):
            key, colon, value = line.partition(":")
            if colon:
                fields.append((key.strip().lower(), value.strip()))
        given = dict(fields)
        data = b""
        if "content-length" in given:
            data = await self.reader.readexactly(int(given["content-length"]))
        elif given.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunks.append((await self.reader.readexactly(size + 2))[:-2])
                if size == 0:
                    break
            data = b"".join(chunks)
        if given.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, fields, data)


# --- results ------------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    engine: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # non-2xx/3xx answers + socket errors and timeouts
    error_kinds: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)  # only where counted (W4)
    wrapped: int = 0  # times a thread ran past the end of its request list
    cpu_percent: list[float] = field(default_factory=list)  # per worker process, % of one core
    rss_mb: list[float] = field(default_factory=list)  # per worker process, at the end of the row
    load_before: list[float] = field(default_factory=list)  # the machine's load average before the row
    ratio_to_ceiling: float | None = None


def table(results: Sequence[Result]) -> str:
    lines = [
        "| row | req/s | p50 ms | p99 ms | errors | CPU % per worker | RSS MB per worker | ÷ W5 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = f"{r.ratio_to_ceiling:.2f}" if r.ratio_to_ceiling is not None else "–"
        cpu = " / ".join(f"{c:.0f}" for c in r.cpu_percent) or "–"
        rss = " / ".join(f"{m:.0f}" for m in r.rss_mb) or "–"
        cells = [r.name, f"{r.rps:.0f}", f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}", str(r.errors), cpu, rss, ratio]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- engines ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """How hard to push: connections, duration, and (wrk) threads; a request slower than
    ``timeout`` seconds counts as an error."""

    connections: int = 64
    seconds: float = 10.0
    threads: int = 2
    timeout: float = 10.0


def lua_string(value: str) -> str:
    out = []
    for ch in value:
        code = ord(ch)
        if ch in '\\"':
            out.append("\\" + ch)
        elif 32 <= code < 127:
            out.append(ch)
        else:
            out.extend(f"\\{b}" for b in ch.encode("utf-8"))
    return '"' + "".join(out) + '"'


def slice_bytes(requests: Sequence[Req]) -> bytes:
    """One wrk thread's requests as ``bench/wrk/kizuna.lua`` reads them at start: per request a line
    with its field count, then each field (method, path, body, then header names and values) as a
    line with its length in bytes followed by those bytes. (A data file, not Lua constants: Lua
    refuses a script with more than 65,536 constants, which a long W4 row reached.)"""
    out = bytearray()
    for method, path, headers, body in requests:
        fields = [method.encode(), path.encode(), body]
        for k, v in headers.items():
            fields += [k.encode("latin-1"), v.encode("latin-1")]
        out += f"{len(fields)}\n".encode()
        for item in fields:
            out += f"{len(item)}\n".encode() + item
    return bytes(out)


class PrivateDir:
    """A temporary directory only we may read (0700) for scripts that hold tokens and flags (each
    0600); removed by :meth:`close`."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="kizuna-bench-private-"))
        self.path.chmod(0o700)

    def write(self, name: str, text: str | bytes) -> Path:
        target = self.path / name
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(text.encode("utf-8") if isinstance(text, str) else text)
        return target

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def wrk_script(private: PrivateDir, name: str, slices: Sequence[Sequence[Req]], count_statuses: bool) -> Path:
    """A wrk script of ``slices`` (one list of requests per thread, each in a data file of its own
    beside the script, in the private directory)."""
    files = [private.write(f"{name}.slice{k}", slice_bytes(part)) for k, part in enumerate(slices, 1)]
    body = ["SLICE_FILES = {" + ", ".join(lua_string(str(f)) for f in files) + "}"]
    body.append(f"COUNT_STATUSES = {'true' if count_statuses else 'false'}")
    body.append(LUA.read_text())
    return private.write(name, "\n".join(body) + "\n")


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(name: str, url: str, load: Load, script: Path | None = None) -> Result:
    threads = max(1, min(load.threads, load.connections))
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{load.connections}",
        f"-d{max(1, round(load.seconds))}s",
        f"--timeout={max(1, round(load.timeout))}s",
        "--latency",
        "-s",
        str(script or LUA),
        url,
    ]
    done = subprocess.run(  # noqa: S603 - wrk from PATH, our arguments
        command, capture_output=True, text=True, timeout=load.seconds + load.timeout + 60, check=False
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("KIZUNA_WRK ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    data = json.loads(line.split(" ", 1)[1])
    seconds = data["duration_us"] / 1e6
    kinds = {k: int(data[k]) for k in ("connect", "read", "write", "timeout", "status") if data[k]}
    return Result(
        name=name,
        engine="wrk",
        requests=int(data["requests"]),
        seconds=round(seconds, 2),
        rps=data["requests"] / seconds if seconds else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        errors=sum(kinds.values()),
        error_kinds=kinds,
        statuses={str(k): int(v) for k, v in sorted(data["statuses"].items())},
        wrapped=int(data["wrapped"]),
    )


def run_python(
    name: str,
    port: int,
    requests: Sequence[Req] | Callable[[], Req],
    load: Load,
    count_statuses: bool = False,
) -> Result:
    """The fallback engine: ``load.connections`` keep-alive connections on one asyncio loop, each
    sending the next request of ``requests`` (cycled) as soon as the previous one is answered."""
    return asyncio.run(_python(name, port, requests, load, count_statuses))


async def _python(
    name: str, port: int, requests: Sequence[Req] | Callable[[], Req], load: Load, count_statuses: bool
) -> Result:
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    kinds: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    wrapped = 0
    position = 0

    def next_request() -> Req:
        nonlocal position, wrapped
        if callable(requests):
            return requests()
        if position >= len(requests):
            position, wrapped = 0, wrapped + 1
        position += 1
        return requests[position - 1]

    conns = [Connection(port) for _ in range(load.connections)]
    deadline = loop.time() + load.seconds

    async def worker(conn: Connection) -> None:
        while loop.time() < deadline:
            req = next_request()
            began = time.perf_counter()
            try:
                response = await asyncio.wait_for(conn.fetch(*req), load.timeout)
            except TimeoutError:
                kinds["timeout"] += 1
                await conn.close()
                continue
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                kinds["read"] += 1
                await conn.close()
                continue
            latencies.append(time.perf_counter() - began)
            if count_statuses:
                statuses[str(response.status)] += 1
            if response.status >= 400:
                kinds["status"] += 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(c) for c in conns))
    finally:
        elapsed = time.perf_counter() - started
        await asyncio.gather(*(c.close() for c in conns))
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return float("nan")
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return Result(
        name=name,
        engine="python",
        requests=len(latencies),
        seconds=round(elapsed, 2),
        rps=len(latencies) / elapsed,
        p50_ms=pct(0.50),
        p90_ms=pct(0.90),
        p99_ms=pct(0.99),
        max_ms=latencies[-1] * 1000 if latencies else float("nan"),
        errors=sum(kinds.values()),
        error_kinds=dict(kinds),
        statuses=dict(sorted(statuses.items())),
        wrapped=wrapped,
    )


def measure(
    name: str,
    target: Target,
    path: str,
    load: Load,
    engine: str,
    private: PrivateDir | None = None,
    slices: Sequence[Sequence[Req]] | None = None,
    count_statuses: bool = False,
) -> Result:
    """One row: the machine's load average before, the workers' CPU during, their memory at the end.
    ``slices``: varied requests, one list per wrk thread (the Python engine takes them in turn)."""
    load_before = [round(x, 2) for x in os.getloadavg()]
    pids = target.worker_pids()
    meter = CpuMeter(pids)
    host_port = target.base.split("://", 1)[1]
    if engine == "wrk":
        script = None
        if slices is not None:
            assert private is not None
            script = wrk_script(private, "requests.lua", slices, count_statuses)
        try:
            result = run_wrk(name, f"{target.base}{path}", load, script)
        finally:
            if script is not None:
                script.unlink(missing_ok=True)
    else:
        port = int(host_port.rsplit(":", 1)[1])
        listed: Sequence[Req] | Callable[[], Req]
        if slices is not None:
            listed = [r for group in zip_longest_nonempty(slices) for r in group]
        else:
            listed = [("GET", path, {}, b"")]
        result = run_python(name, port, listed, load, count_statuses)
    result.cpu_percent = meter.stop()
    result.rss_mb = [rss_mb(p) for p in pids]
    result.load_before = load_before
    return result


def zip_longest_nonempty(slices: Sequence[Sequence[Req]]) -> Iterator[list[Req]]:
    """The slices interleaved (first of each, then second of each …), as wrk's threads would send them."""
    longest = max((len(s) for s in slices), default=0)
    for i in range(longest):
        yield [s[i] for s in slices if i < len(s)]


def machine() -> dict[str, Any]:
    import platform
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for package in (
        "kizuna",
        "uvicorn",
        "starlette",
        "fastapi",
        "sqlalchemy",
        "uvloop",
        "httptools",
        "orjson",
    ):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    wrk = shutil.which("wrk")
    if wrk:
        shown = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)  # noqa: S603
        versions["wrk"] = (
            (shown.stdout or shown.stderr).splitlines()[0] if (shown.stdout or shown.stderr) else "?"
        )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout.strip()
    model = ""
    with contextlib.suppress(OSError):
        model = next(
            (
                ln.split(":", 1)[1].strip()
                for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")
            ),
            "",
        )
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "system": platform.platform(),
        "versions": versions,
        "commit": commit,
    }
