"""The reference row "bare ASGI" of ``bench/load.py``: the bytes of ``/static/kizuna.css`` served by the
smallest ASGI app, under uvicorn run the way ``kizuna serve`` runs Kizuna (uvloop and httptools when
installed, no access log; with ``--workers N`` one process per worker, each on its own
``SO_REUSEPORT`` socket, as ``kizuna.web.serving`` does). What W5 does on top of this is Kizuna's own
cost on a static file.

Usage: ``python bench/bare_asgi.py --host 127.0.0.1 --port 8001 --workers 2`` (stops on SIGTERM).
"""

from __future__ import annotations

import argparse
import multiprocessing
import signal
import sys
import time
from pathlib import Path
from typing import Any

BODY = (Path(__file__).resolve().parents[1] / "src/kizuna/web/static/kizuna.css").read_bytes()
HEADERS = [(b"content-type", b"text/css; charset=utf-8"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":  # lifespan: nothing to start
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


OPTIONS: dict[str, Any] = {"log_level": "warning", "access_log": False, "lifespan": "off"}


def _worker(host: str, port: int) -> None:
    import uvicorn

    from kizuna.web.serving import listening_socket

    uvicorn.Server(uvicorn.Config(app, **OPTIONS)).run(sockets=[listening_socket(host, port)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    if args.workers <= 1:
        import uvicorn

        uvicorn.run(app, host=args.host, port=args.port, **OPTIONS)
        return 0
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    spawn = multiprocessing.get_context("spawn")
    procs = [spawn.Process(target=_worker, args=(args.host, args.port)) for _ in range(args.workers)]
    for proc in procs:
        proc.start()
    while not stopping and all(p.is_alive() for p in procs):
        time.sleep(0.2)
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout=15)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=5)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bare_asgi  # this file as a module, so that spawned workers find ``_worker`` by name

    sys.exit(bare_asgi.main())
