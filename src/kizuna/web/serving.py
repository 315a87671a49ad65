"""``kizuna serve``: one uvicorn server per worker process, each on its own listening socket.

With ``--workers N`` uvicorn's own supervisor shares one listening socket among its workers, and
whichever worker wakes first accepts: under a burst of keep-alive connections one worker took all of
them while the other idled (measured in issue 9: 107 % and 0 % CPU). Here every worker binds its own
socket with ``SO_REUSEPORT`` (Linux, the BSDs), so the kernel spreads new connections over the
workers by a hash of the client's address and port.

The supervisor (the ``kizuna serve`` process) never listens itself: a socket that listened but never
accepted would get its share of connections and leave them hanging. It checks that the address is
free, starts the workers, restarts one that dies (at most :data:`MAX_RESTARTS` a minute, then it gives
up and stops, so a broken installation does not loop), and on SIGTERM or SIGINT stops them all and
waits for their graceful shutdown. Only the user running Kizuna can bind the same port with
``SO_REUSEPORT`` too (the kernel checks the user), so no other user can take connections.

Where ``SO_REUSEPORT`` does not exist, uvicorn's supervisor is used as before.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import time
from collections import deque
from typing import Any

log = logging.getLogger("kizuna.serve")
APP = "kizuna.web.asgi:create"
MAX_RESTARTS = 5  # a worker death this many times within RESTART_WINDOW stops the server
RESTART_WINDOW = 60.0
STOP_GRACE = 30.0  # seconds a worker gets to finish its requests on stop


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int, *, listen: bool = True) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT`` (listening unless told not to)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host.strip("[]"), port))
        if listen:
            sock.listen(2048)
        sock.set_inheritable(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _worker(host: str, port: int, options: dict[str, Any]) -> None:
    """A worker process: its own socket, one uvicorn server (uvloop and httptools when installed)."""
    import uvicorn

    sock = listening_socket(host, port)
    config = uvicorn.Config(APP, factory=True, **options)
    uvicorn.Server(config).run(sockets=[sock])


def serve(host: str, port: int, workers: int, options: dict[str, Any]) -> int:
    """Run ``workers`` worker processes until SIGTERM/SIGINT; returns the exit code."""
    import uvicorn

    if workers <= 1:
        uvicorn.run(APP, factory=True, host=host, port=port, **options)
        return 0
    if not reuse_port_supported():
        uvicorn.run(APP, factory=True, host=host, port=port, workers=workers, **options)
        return 0
    # The address must be free (a listener without SO_REUSEPORT, or another user's, refuses the bind).
    listening_socket(host, port, listen=False).close()
    return Supervisor(host, port, workers, options).run()


class Supervisor:
    def __init__(self, host: str, port: int, workers: int, options: dict[str, Any]) -> None:
        self.host, self.port, self.count, self.options = host, port, workers, options
        self.spawn = multiprocessing.get_context("spawn")
        self.procs: list[Any] = []
        self.deaths: deque[float] = deque()
        self.stopping = False

    def _start_one(self) -> Any:
        proc = self.spawn.Process(
            target=_worker, args=(self.host, self.port, self.options), name="kizuna-worker"
        )
        proc.start()
        return proc

    def _on_signal(self, _signum: int, _frame: Any) -> None:
        self.stopping = True

    def run(self) -> int:
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        code = 0
        try:
            self.procs = [self._start_one() for _ in range(self.count)]
            log.info("Started %d workers (pids %s)", self.count, [p.pid for p in self.procs])
            while not self.stopping:
                time.sleep(0.2)
                for i, proc in enumerate(self.procs):
                    if proc.is_alive() or self.stopping:
                        continue
                    now = time.monotonic()
                    self.deaths.append(now)
                    while self.deaths and now - self.deaths[0] > RESTART_WINDOW:
                        self.deaths.popleft()
                    if len(self.deaths) > MAX_RESTARTS:
                        log.error("Workers keep dying (%d in a minute): stopping", len(self.deaths))
                        self.stopping, code = True, 1
                        break
                    log.warning("Worker %s exited with code %s: starting another", proc.pid, proc.exitcode)
                    proc.join(timeout=0)
                    self.procs[i] = self._start_one()
        finally:
            self._stop_all()
            for s, handler in previous.items():
                signal.signal(s, handler)
        return code

    def _stop_all(self) -> None:
        for proc in self.procs:
            if proc.is_alive() and proc.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for proc in self.procs:
            proc.join(timeout=max(0.1, deadline - time.monotonic()))
        for proc in self.procs:
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
