"""The reference row "bare ASGI" of ``bench/load.py``: the bytes of ``/static/kizuna.css`` served by the
smallest ASGI app, under uvicorn run the way ``kizuna serve`` runs Kizuna (uvloop and httptools when
installed, no access log; with ``--workers N`` one process per worker, each on its own
``SO_REUSEPORT`` socket, as ``kizuna.web.serving`` does). What W5 does on top of this is Kizuna's own
cost on a static file.

With ``--headers FILE`` (a JSON list of ``[name, value]`` pairs) it sends those headers instead of
its two: ``bench/load.py`` gives it the ones Kizuna sent for that file (the security headers
included), so the row "same bytes and headers" shows what is left of Kizuna's cost once the
headers' own cost in uvicorn is taken out. With ``--body FILE`` it sends that file's bytes as JSON
instead (``bench/load.py`` gives it W1's scoreboard: the most that uvicorn and the load generator
move of that size on this machine).

Usage: ``python bench/bare_asgi.py --host 127.0.0.1 --port 8001 --workers 2 [--headers FILE]
[--body FILE]``
(stops on SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import signal
import sys
import time
from pathlib import Path
from typing import Any

BODY = (Path(__file__).resolve().parents[1] / "src/kizuna/web/static/kizuna.css").read_bytes()
HEADERS = [(b"content-type", b"text/css; charset=utf-8"), (b"content-length", str(len(BODY)).encode())]


def use_body(path: str) -> None:
    """Send the bytes of ``path`` as JSON."""
    global BODY, HEADERS
    BODY = Path(path).read_bytes()
    HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


def use_headers(path: str) -> None:
    """Send the headers listed in the JSON file ``path`` (their ``content-length`` must be the body's)."""
    global HEADERS
    pairs = [(str(k).lower(), str(v)) for k, v in json.loads(Path(path).read_text())]
    if dict(pairs).get("content-length") != str(len(BODY)):
        raise SystemExit(f"{path}: content-length is not {len(BODY)}, the file's size")
    HEADERS = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":  # lifespan: nothing to start
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


OPTIONS: dict[str, Any] = {"log_level": "warning", "access_log": False, "lifespan": "off"}


def _worker(host: str, port: int, headers: str | None, body: str | None) -> None:
    import uvicorn

    if body:
        use_body(body)
    if headers:
        use_headers(headers)

    from kizuna.web.serving import listening_socket

    uvicorn.Server(uvicorn.Config(app, **OPTIONS)).run(sockets=[listening_socket(host, port)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--headers", help="a JSON list of [name, value]: the headers to send")
    parser.add_argument("--body", help="a file whose bytes to send as JSON instead of the style sheet")
    args = parser.parse_args(argv)
    if args.body:
        use_body(args.body)
    if args.headers:
        use_headers(args.headers)
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
    procs = [
        spawn.Process(target=_worker, args=(args.host, args.port, args.headers, args.body))
        for _ in range(args.workers)
    ]
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
