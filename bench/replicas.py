"""Kizuna replicas on PostgreSQL + Redis behind nginx, on loopback: the scaled recipe of
docs/deploy.md, run for real.

``start(n, env, data_dir, workers_per_replica=1)``:

1. creates a fresh PostgreSQL database ``kizuna_bench_<random>`` on the server of
   ``KIZUNA_TEST_POSTGRES_URL`` (default ``postgres@127.0.0.1:5432``) and claims an empty Redis
   database (1–14) on the server of ``KIZUNA_TEST_REDIS_URL`` (default ``127.0.0.1:6379``);
2. starts ``n`` replicas **together** on the empty database, each ``python -m kizuna.cli.main serve
   --host 127.0.0.1 --port P --workers W``: one migrates under the advisory lock
   (``kizuna.storage.migrate``), the others wait for the lock and then find the schema current;
3. renders ``deploy/nginx/kizuna.conf`` with the replicas as upstreams and runs nginx as our own
   process (``nginx -p <temp prefix> -c <conf> -g "daemon off; pid ...;"``): every path it writes is
   inside the temporary prefix, so it needs no privilege and touches nothing of the system's nginx;
4. waits until ``/readyz`` answers 200 on every replica and through nginx.

``ReplicaSet.stop()`` stops nginx and the replicas by their PIDs, drops the database and empties the
claimed Redis database. ``propagation()`` times how long a correct attempt made on one replica takes
to reach another replica's scoreboard and ``/events`` stream (and a stream opened through nginx).

Usage: ``.venv/bin/python bench/replicas.py --replicas 2 [--workers 1] [--rounds 5]`` starts a set,
measures propagation, prints the figures and stops everything. Traffic goes only to 127.0.0.1; every
wait has a deadline. Tokens and flags are never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "nginx" / "kizuna.conf"
PLACEHOLDERS = ("KIZUNA_LISTEN", "KIZUNA_UPSTREAMS", "KIZUNA_CLIENT_MAX_BODY_SIZE")
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379"
REDIS_DATABASES = range(1, 15)  # 0 is the default one, 15 the test suite's
CLAIM_KEY = "kizuna:replicas:claim"
MIGRATED = "Database migrated to the newest schema."
DEFAULT_MAX_UPLOAD = 100 * 1_048_576  # Settings.max_upload_bytes
BODY_MARGIN = 1_048_576  # multipart overhead above the upload limit
START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0


class ReplicaError(RuntimeError):
    """The replica set could not be prepared or started (the message says what and where)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# --- nginx -----------------------------------------------------------------------------------------


def render_site(upstreams: list[str], listen: str, max_upload_bytes: int = DEFAULT_MAX_UPLOAD) -> str:
    """``deploy/nginx/kizuna.conf`` with its placeholders filled in (as the ``envsubst`` line in it)."""
    values = {
        "KIZUNA_LISTEN": listen,
        "KIZUNA_UPSTREAMS": " ".join(f"server {u};" for u in upstreams),
        "KIZUNA_CLIENT_MAX_BODY_SIZE": str(max_upload_bytes + BODY_MARGIN),
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    # Only the header comment may still name the placeholders.
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    left = re.findall(r"\$\{[A-Z_]+\}", body)
    if left:
        raise ReplicaError(f"unfilled placeholders in {TEMPLATE.name}: {sorted(set(left))}")
    return text


def main_conf(site: Path, access_log: bool = False, worker_processes: int = 1) -> str:
    """The wrapper nginx runs with ``-p <prefix>``: every relative path is inside the prefix."""
    lines = [
        f"worker_processes {worker_processes};",
        "error_log logs/error.log warn;",
        "events { worker_connections 4096; }",
        "http {",
        "    client_body_temp_path temp/client_body;",
        "    proxy_temp_path temp/proxy;",
        "    fastcgi_temp_path temp/fastcgi;",
        "    uwsgi_temp_path temp/uwsgi;",
        "    scgi_temp_path temp/scgi;",
    ]
    if access_log:
        lines += [
            "    log_format kizuna '$status $request_method $uri $upstream_addr';",
            "    access_log logs/access.log kizuna;",
        ]
    else:
        lines.append("    access_log off;")
    lines += [f"    include {site};", "}"]
    if os.geteuid() == 0:
        # nginx started by root hands its workers to "nobody", who could not write the temp paths
        # inside our private prefix: keep them as the user who started it (a benchmark, not a server).
        lines.insert(0, "user root root;")
    return "\n".join(lines) + "\n"


def write_nginx_prefix(
    prefix: Path, upstreams: list[str], listen: str, max_upload_bytes: int, access_log: bool = False
) -> Path:
    """Lay out an nginx prefix (conf, logs, temp) and return the main configuration file."""
    for sub in ("conf", "logs", "temp"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    site = prefix / "conf" / "kizuna.conf"
    site.write_text(render_site(upstreams, listen, max_upload_bytes), encoding="utf-8")
    conf = prefix / "conf" / "nginx.conf"
    conf.write_text(main_conf(site, access_log), encoding="utf-8")
    return conf


def nginx_command(prefix: Path, conf: Path, *extra: str) -> list[str]:
    nginx = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if nginx is None:
        raise ReplicaError("nginx is not installed (Debian: apt-get install nginx)")
    return [
        nginx,
        "-p",
        f"{prefix}/",
        "-e",
        str(prefix / "logs" / "error.log"),
        "-c",
        str(conf),
        "-g",
        f"daemon off; pid {prefix / 'nginx.pid'};",
        *extra,
    ]


def check_nginx_conf(prefix: Path, conf: Path) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on a rendered configuration (starts nothing)."""
    return subprocess.run(  # noqa: S603 - our own nginx command line
        nginx_command(prefix, conf, "-t"), capture_output=True, text=True, timeout=30, check=False
    )


# --- PostgreSQL and Redis --------------------------------------------------------------------------


def _admin_dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(postgres_url: str) -> tuple[str, str]:
    """Create ``kizuna_bench_<random>`` next to ``postgres_url``; returns (name, SQLAlchemy URL)."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"kizuna_bench_{secrets.token_hex(6)}"
    with psycopg.connect(_admin_dsn(postgres_url), connect_timeout=5, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, make_url(postgres_url).set(database=name).render_as_string(hide_password=False)


def drop_database(postgres_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_admin_dsn(postgres_url), connect_timeout=5, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_exists(postgres_url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(_admin_dsn(postgres_url), connect_timeout=5, autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def _redis_server(url: str) -> str:
    """``redis://host:port`` of a Redis URL, without its database number."""
    return re.sub(r"/\d*$", "", url.rstrip("/"))


def claim_redis(redis_url: str) -> tuple[int, str]:
    """Claim an empty Redis database (1–14) with a marker key; returns (number, marker)."""
    import redis

    server = _redis_server(redis_url)
    marker = secrets.token_hex(8)
    for number in REDIS_DATABASES:
        client = redis.Redis.from_url(f"{server}/{number}", socket_connect_timeout=3, socket_timeout=3)
        try:
            if client.dbsize() == 0 and client.set(CLAIM_KEY, marker, nx=True):
                return number, marker
        finally:
            client.close()
    raise ReplicaError(f"no empty Redis database among {REDIS_DATABASES.start}–{REDIS_DATABASES.stop - 1}")


def release_redis(redis_url: str, number: int, marker: str) -> None:
    """Empty the claimed database, if it is still ours (its marker is there)."""
    import redis

    client = redis.Redis.from_url(
        f"{_redis_server(redis_url)}/{number}", socket_connect_timeout=3, socket_timeout=3
    )
    try:
        value = client.get(CLAIM_KEY)
        if value is not None and (value.decode() if isinstance(value, bytes) else value) == marker:
            client.flushdb()
    finally:
        client.close()


# --- processes -------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    """Direct children of ``pid``, from /proc (each thread's ``children`` list, else every ``stat``)."""
    tasks = Path(f"/proc/{pid}/task")
    with contextlib.suppress(OSError, ValueError):
        listings = [task / "children" for task in tasks.iterdir()]
        if listings and all(listing.exists() for listing in listings):
            return sorted({int(p) for listing in listings for p in listing.read_text().split()})
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            # The command name (2nd field) may hold spaces: the fields after its ")" are fixed.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@dataclass
class Replica:
    index: int
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: ``kizuna serve --workers N`` (N > 1) runs them as
        children (multiprocessing "spawn"; its resource tracker is not one); with one worker the
        replica process serves itself."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        workers = [pid for pid in children(self.proc.pid) if "spawn_main" in _cmdline(pid)]
        return workers or [self.proc.pid]


def _stop_process(proc: subprocess.Popen[Any] | None, sig: int, timeout: float) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


@dataclass
class ReplicaSet:
    """Replicas on a fresh PostgreSQL database and a claimed Redis database, behind our own nginx."""

    replicas: list[Replica]
    env: dict[str, str]  # the caller's env with the set's settings: use it to seed the same database
    run_dir: Path
    postgres_url: str
    database: str
    redis_url: str
    redis_db: int
    redis_marker: str
    nginx_port: int
    workers_per_replica: int = 1
    nginx: subprocess.Popen[bytes] | None = None
    access_log: bool = False
    started_at: float = 0.0
    ready_seconds: float = 0.0  # from the replicas' start until every one answered /readyz
    stopped: bool = False
    _own_pids: set[int] = field(default_factory=set)

    @property
    def base(self) -> str:
        """nginx's address: the one public address of the set."""
        return f"http://{HOST}:{self.nginx_port}"

    @property
    def replica_bases(self) -> list[str]:
        return [r.base for r in self.replicas]

    @property
    def nginx_prefix(self) -> Path:
        return self.run_dir / "nginx"

    def worker_pids(self) -> list[int]:
        """Every replica's worker processes (see :meth:`Replica.worker_pids`)."""
        pids = [pid for r in self.replicas for pid in r.worker_pids()]
        self._own_pids.update(pids)
        return pids

    def nginx_pids(self) -> list[int]:
        """nginx's master and workers."""
        if self.nginx is None or self.nginx.poll() is not None:
            return []
        return [self.nginx.pid, *children(self.nginx.pid)]

    def migrated_by(self) -> list[int]:
        """Indexes of the replicas whose output says they migrated the database."""
        return [r.index for r in self.replicas if MIGRATED in r.output()]

    # --- starting ----------------------------------------------------------------------------

    def launch(self) -> None:
        """Start every replica at once (no waiting: they race for the migration lock)."""
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("KIZUNA_")}
        child_env = {**inherited, **self.env, "PYTHONUNBUFFERED": "1"}
        self.started_at = time.monotonic()
        for replica in self.replicas:
            command = [
                sys.executable,
                "-m",
                "kizuna.cli.main",
                "serve",
                "--host",
                HOST,
                "--port",
                str(replica.port),
                "--workers",
                str(self.workers_per_replica),
            ]
            with replica.log.open("wb") as out:
                # The run directory as working directory: no kizuna.toml of the caller's is read.
                replica.proc = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
                    command, env=child_env, cwd=self.run_dir, stdout=out, stderr=subprocess.STDOUT
                )

    def wait_replicas(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until every replica answers ``/readyz`` with 200; raise if one exits or times out."""
        deadline = time.monotonic() + timeout
        waiting = list(self.replicas)
        while waiting:
            for replica in list(waiting):
                assert replica.proc is not None
                if replica.proc.poll() is not None:
                    raise ReplicaError(
                        f"replica {replica.index} exited with {replica.proc.returncode}:\n"
                        + replica.output()[-3000:]
                    )
                with contextlib.suppress(OSError):
                    if _get(f"{replica.base}/readyz", timeout=10)[0] == 200:
                        waiting.remove(replica)
            if waiting and time.monotonic() > deadline:
                raise ReplicaError(
                    f"replicas {[r.index for r in waiting]} not ready within {timeout:.0f}s:\n"
                    + "\n".join(r.output()[-1500:] for r in waiting)
                )
            if waiting:
                time.sleep(0.2)
        self.ready_seconds = time.monotonic() - self.started_at
        self.worker_pids()

    def start_nginx(self, timeout: float = 30.0) -> None:
        max_upload = int(self.env.get("KIZUNA_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD))
        prefix = self.nginx_prefix
        conf = write_nginx_prefix(
            prefix,
            [f"{HOST}:{r.port}" for r in self.replicas],
            f"{HOST}:{self.nginx_port}",
            max_upload,
            access_log=self.access_log,
        )
        checked = check_nginx_conf(prefix, conf)
        if checked.returncode != 0:
            raise ReplicaError(f"nginx -t refused the configuration:\n{checked.stderr}")
        out = (prefix / "logs" / "nginx.out").open("wb")
        try:
            self.nginx = subprocess.Popen(  # noqa: S603 - our own nginx command line
                nginx_command(prefix, conf), stdout=out, stderr=subprocess.STDOUT
            )
        finally:
            out.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.nginx.poll() is not None:
                raise ReplicaError(f"nginx exited with {self.nginx.returncode}:\n{self.nginx_errors()}")
            with contextlib.suppress(OSError):
                if _get(f"{self.base}/readyz", timeout=10)[0] == 200:
                    return
            if time.monotonic() > deadline:
                raise ReplicaError(f"nginx did not answer within {timeout:.0f}s:\n{self.nginx_errors()}")
            time.sleep(0.1)

    def nginx_errors(self) -> str:
        path = self.nginx_prefix / "logs" / "error.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def nginx_access(self) -> list[list[str]]:
        """The access log's lines (``status method uri upstream``) when started with ``access_log``."""
        path = self.nginx_prefix / "logs" / "access.log"
        if not path.exists():
            return []
        return [line.split() for line in path.read_text(errors="replace").splitlines() if line.strip()]

    # --- stopping ----------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop nginx and the replicas by PID, drop the database, empty the Redis database, remove
        the temporary directory. Safe to call more than once."""
        if self.stopped:
            return
        self.stopped = True
        errors: list[str] = []
        _stop_process(self.nginx, signal.SIGTERM, 10)
        for replica in self.replicas:
            # kizuna serve stops its workers on SIGTERM and waits for their graceful shutdown.
            with contextlib.suppress(Exception):
                _stop_process(replica.proc, signal.SIGTERM, STOP_TIMEOUT)
        # Any worker left behind (its supervisor was killed) is ours: stop it by its PID.
        for pid in self._own_pids:
            if any(r.proc is not None and r.proc.pid == pid for r in self.replicas):
                continue
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if "spawn_main" in _cmdline(pid):
                    os.kill(pid, signal.SIGKILL)
        try:
            drop_database(self.postgres_url, self.database)
        except Exception as exc:
            errors.append(f"could not drop database {self.database}: {type(exc).__name__}")
        try:
            release_redis(self.redis_url, self.redis_db, self.redis_marker)
        except Exception as exc:
            errors.append(f"could not empty Redis database {self.redis_db}: {type(exc).__name__}")
        shutil.rmtree(self.run_dir, ignore_errors=True)
        if errors:
            print("\n".join(errors), file=sys.stderr)

    def __enter__(self) -> ReplicaSet:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def prepare(
    n: int,
    env: dict[str, str],
    data_dir: Path,
    workers_per_replica: int = 1,
    *,
    postgres_url: str | None = None,
    redis_url: str | None = None,
    access_log: bool = False,
) -> ReplicaSet:
    """Everything :func:`start` does before starting a process: the database, the Redis database,
    the ports and the replicas' environment. Nothing runs yet (``launch``, ``wait_replicas`` and
    ``start_nginx`` follow); call ``stop()`` in any case."""
    if n < 1 or workers_per_replica < 1:
        raise ValueError("at least one replica of at least one worker")
    postgres_url = postgres_url or os.environ.get("KIZUNA_TEST_POSTGRES_URL") or DEFAULT_POSTGRES
    redis_url = redis_url or os.environ.get("KIZUNA_TEST_REDIS_URL") or DEFAULT_REDIS
    database, url = create_database(postgres_url)
    try:
        redis_db, marker = claim_redis(redis_url)
    except Exception:
        drop_database(postgres_url, database)
        raise
    run_dir = Path(tempfile.mkdtemp(prefix="kizuna-replicas-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = dict(env)
    settings.update(
        KIZUNA_DATA_DIR=str(env.get("KIZUNA_DATA_DIR") or data_dir),
        KIZUNA_DATABASE_URL=url,
        KIZUNA_REDIS_URL=f"{_redis_server(redis_url)}/{redis_db}",
        # nginx connects from 127.0.0.1: believe its X-Forwarded-For (kizuna.web.client).
        KIZUNA_TRUSTED_PROXIES=HOST,
    )
    # Every replica must sign sessions with the same key: one generated here unless given (a key
    # generated by each replica into the shared data directory would race).
    settings.setdefault("KIZUNA_SECRET_KEY", secrets.token_urlsafe(48))
    ports: set[int] = set()
    while len(ports) < n + 1:
        ports.add(free_port())
    nginx_port, *replica_ports = sorted(ports)
    replicas = [Replica(i, port, run_dir / f"replica-{i}.log") for i, port in enumerate(replica_ports)]
    return ReplicaSet(
        replicas=replicas,
        env=settings,
        run_dir=run_dir,
        postgres_url=postgres_url,
        database=database,
        redis_url=redis_url,
        redis_db=redis_db,
        redis_marker=marker,
        nginx_port=nginx_port,
        workers_per_replica=workers_per_replica,
        access_log=access_log,
    )


def start(
    n: int,
    env: dict[str, str],
    data_dir: Path,
    workers_per_replica: int = 1,
    *,
    postgres_url: str | None = None,
    redis_url: str | None = None,
    access_log: bool = False,
    timeout: float = START_TIMEOUT,
) -> ReplicaSet:
    """Start ``n`` replicas of ``workers_per_replica`` workers together on a fresh PostgreSQL
    database, with Redis, behind nginx; returns once every replica and nginx answer ``/readyz``.
    ``env`` is passed on to the replicas with the database, Redis, trusted proxies (and, unless
    given, a shared secret key) replaced; ``ReplicaSet.env`` is that environment."""
    rs = prepare(
        n,
        env,
        data_dir,
        workers_per_replica,
        postgres_url=postgres_url,
        redis_url=redis_url,
        access_log=access_log,
    )
    try:
        rs.launch()
        rs.wait_replicas(timeout)
        rs.start_nginx()
    except BaseException:
        rs.stop()
        raise
    return rs


# --- propagation -----------------------------------------------------------------------------------


class EventReader:
    """Reads ``GET /events`` in a thread, keeping each frame with the wall-clock time it arrived."""

    def __init__(self, base: str, timeout: float = 30.0) -> None:
        port = int(base.rsplit(":", 1)[1])
        self.frames: list[tuple[float, str, str]] = []  # (arrived, event, data)
        self.ended = False
        self._cond = threading.Condition()
        self._conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self._conn.request("GET", "/events", headers={"Accept": "text/event-stream"})
        self.response = self._conn.getresponse()
        if self.response.status != 200:
            raise ReplicaError(f"{base}/events answered {self.response.status}")
        self._thread = threading.Thread(target=self._run, name="event-reader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        buffer = b""
        try:
            while chunk := self.response.read1(65536):
                buffer += chunk
                while b"\n\n" in buffer:
                    raw, buffer = buffer.split(b"\n\n", 1)
                    event, data, retry = "", [], False
                    for line in raw.decode(errors="replace").split("\n"):
                        name, _sep, value = line.partition(":")
                        value = value[1:] if value.startswith(" ") else value
                        if name == "event":
                            event = value
                        elif name == "data":
                            data.append(value)
                        elif name == "retry":
                            retry = True
                    with self._cond:
                        self.frames.append((time.time(), "retry" if retry else event, "\n".join(data)))
                        self._cond.notify_all()
        except Exception:  # noqa: S110 - closed under it, or broken: the stream has ended
            pass
        finally:
            with self._cond:
                self.ended = True
                self._cond.notify_all()

    def wait_open(self, timeout: float) -> None:
        """Wait for the first frame (``retry:``): from then on the stream hears new events."""
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self.frames) or self.ended, timeout=timeout):
                raise ReplicaError(f"the stream sent nothing within {timeout:.0f}s")

    def wait_for(self, match: Callable[[str, Any], bool], timeout: float) -> float:
        """The arrival time of the first frame for which ``match(event, json)`` holds."""

        def found() -> float | None:
            for arrived, event, data in self.frames:
                if event and event != "retry" and match(event, json.loads(data or "null")):
                    return arrived
            return None

        with self._cond:
            if not self._cond.wait_for(lambda: found() is not None or self.ended, timeout=timeout):
                raise ReplicaError(f"no matching event within {timeout:.0f}s")
            arrived = found()
            if arrived is None:
                raise ReplicaError("the stream ended before the event came")
            return arrived

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if self._conn.sock is not None:
                self._conn.sock.shutdown(socket.SHUT_RDWR)
        self._conn.close()
        self._thread.join(timeout=10)


@dataclass(frozen=True)
class Propagation:
    """One correct attempt made on the writer replica, seen elsewhere; delays in seconds from the
    moment the attempt was sent (so they include the attempt's own answer time)."""

    writer: int
    reader: int
    answered: float  # the attempt's answer on the writer
    scoreboard: float  # on the reader replica's /api/v1/scoreboard
    stream: float  # on a /events stream held on the reader replica
    stream_via_nginx: float  # on a /events stream held through nginx

    @property
    def worst(self) -> float:
        return max(self.scoreboard, self.stream, self.stream_via_nginx)


def _probe_setup(env: dict[str, str], rounds: int) -> tuple[int, list[tuple[int, str]], str]:
    """In-process, on the set's database: one challenge and, per round, a new player (with a team in
    team mode) and an API token. Returns (challenge id, [(account id, token)], flag)."""
    from kizuna.services import accounts, challenges, content, teams
    from kizuna.services.event import get_event
    from kizuna.settings import load_settings
    from kizuna.web.app import build_context

    ctx = build_context(load_settings(environ=env))
    try:
        flag = f"flag{{{secrets.token_hex(8)}}}"
        tag = secrets.token_hex(3)
        ch = challenges.create_challenge(
            ctx, {"name": f"Propagation {tag}", "category": "bench", "value": 100}
        )
        content.create_flag(ctx, ch.id, "static", flag, "")
        team_mode = get_event(ctx).mode == "teams"
        players = []
        for n in range(rounds):
            user = accounts.register_user(
                ctx, f"probe-{tag}-{n}", secrets.token_urlsafe(16), role="player", by_admin=True
            )
            account = teams.create_team(ctx, f"probe-team-{tag}-{n}", user.id).id if team_mode else user.id
            players.append((account, accounts.create_token(ctx, user.id).value))
        return ch.id, players, flag
    finally:
        ctx.bus.close()
        ctx.db.dispose()


def _on_board(base: str, account: int, deadline: float) -> float:
    while True:
        with contextlib.suppress(OSError, ValueError):
            status, body = _get(f"{base}/api/v1/scoreboard", timeout=10)
            if status == 200 and any(
                row.get("account_id") == account and row.get("score", 0) > 0
                for row in json.loads(body).get("data", [])
            ):
                return time.time()
        if time.monotonic() > deadline:
            raise ReplicaError(f"account not on {base}/api/v1/scoreboard in time")
        time.sleep(0.01)


def propagation(
    rs: ReplicaSet, writer: int = 0, reader: int = 1, rounds: int = 3, timeout: float = 10.0
) -> list[Propagation]:
    """Per round: hold a stream on replica ``reader`` and one through nginx, send a correct attempt
    to replica ``writer``, and time its arrival on the reader's scoreboard and on both streams."""
    if len(rs.replicas) < 2:
        raise ValueError("propagation needs two replicas")
    challenge, players, flag = _probe_setup(rs.env, rounds)
    writer_base, reader_base = rs.replica_bases[writer], rs.replica_bases[reader]
    results = []
    for account, token in players:
        streams = [EventReader(reader_base), EventReader(rs.base)]
        try:
            for stream in streams:
                stream.wait_open(timeout)
            body = json.dumps({"challenge_id": challenge, "submission": flag}).encode()
            request = urllib.request.Request(  # noqa: S310 - loopback
                f"{writer_base}/api/v1/challenges/attempt",
                data=body,
                method="POST",
                headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
            )
            sent = time.time()
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
                answer = json.loads(response.read())
            answered = time.time()
            if answer.get("data", {}).get("status") != "correct":
                raise ReplicaError(f"the attempt was not accepted: {answer.get('data', {}).get('status')}")
            deadline = time.monotonic() + timeout
            board = _on_board(reader_base, account, deadline)

            def solve(event: str, data: Any, account: int = account) -> bool:
                d = (data or {}).get("data", {}) if isinstance(data, dict) else {}
                return (
                    event == "solve" and d.get("challenge_id") == challenge and d.get("account_id") == account
                )

            direct = streams[0].wait_for(solve, max(0.1, deadline - time.monotonic()))
            proxied = streams[1].wait_for(solve, max(0.1, deadline - time.monotonic()))
            results.append(
                Propagation(writer, reader, answered - sent, board - sent, direct - sent, proxied - sent)
            )
        finally:
            for stream in streams:
                stream.close()
    return results


# --- the command -----------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def report(rs: ReplicaSet, results: list[Propagation]) -> str:
    lines = [
        f"replicas: {len(rs.replicas)} x {rs.workers_per_replica} worker(s), "
        "PostgreSQL + Redis, behind nginx",
        f"started together; migrated by replica(s) {rs.migrated_by()}; "
        f"all ready after {rs.ready_seconds:.1f} s",
        f"worker pids: {rs.worker_pids()}",
        "",
        "| round | writer -> reader | attempt answered (ms) | reader scoreboard (ms) | reader stream (ms) "
        "| stream via nginx (ms) |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for n, p in enumerate(results, 1):
        lines.append(
            f"| {n} | {p.writer} -> {p.reader} | {_ms(p.answered)} | {_ms(p.scoreboard)} | "
            f"{_ms(p.stream)} | {_ms(p.stream_via_nginx)} |"
        )
    worst = [p.worst for p in results]
    lines += [
        "",
        "delay from sending the attempt to the last of the three: "
        f"median {_ms(statistics.median(worst))} ms, max {_ms(max(worst))} ms (target: under 1 s)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="worker processes per replica")
    parser.add_argument("--rounds", type=int, default=5, help="attempts per direction")
    parser.add_argument("--timeout", type=float, default=10.0, help="patience per propagation, seconds")
    args = parser.parse_args(argv)
    if args.replicas < 2:
        parser.error("--replicas must be at least 2 to measure propagation")
    # Stopped from outside: unwind through the finally blocks, which stop what we started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    data_dir = Path(tempfile.mkdtemp(prefix="kizuna-replicas-data-"))
    env = {"KIZUNA_ENVIRONMENT": "test", "KIZUNA_LOG_LEVEL": "warning"}
    try:
        try:
            rs = start(args.replicas, env, data_dir, args.workers)
        except ReplicaError as exc:
            print(f"could not start the replicas: {exc}", file=sys.stderr)
            return 1
        try:
            results = propagation(rs, 0, 1, args.rounds, args.timeout)
            results += propagation(rs, 1, 0, args.rounds, args.timeout)
            print(report(rs, results))
        finally:
            rs.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
