"""Reading ``text/event-stream`` responses in tests: a parser, a reader for the TestClient's streamed
responses and a threaded reader for real servers. Every wait has a deadline; none sleeps blindly."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Frame:
    """One dispatched block of the stream: an event, a ``retry:`` line or a ``:`` comment."""

    event: str = ""
    id: str = ""
    data: str = ""
    retry: str = ""
    comment: str = ""
    received: float = field(default_factory=time.time)  # wall clock, to compare with the event's "at"

    @property
    def json(self) -> Any:
        return json.loads(self.data)


def parse_block(lines: list[str]) -> Frame:
    frame = Frame()
    data: list[str] = []
    for line in lines:
        if line.startswith(":"):
            frame.comment = line[1:].strip()
            continue
        name, _sep, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name in ("event", "id", "retry"):
            setattr(frame, name, value)
    frame.data = "\n".join(data)
    return frame


def frames_of(lines: Iterator[str]) -> Iterator[Frame]:
    block: list[str] = []
    for line in lines:
        if line == "":
            if block:
                yield parse_block(block)
            block = []
        else:
            block.append(line)


def read_until(response: Any, done: Callable[[list[Frame]], bool], timeout: float = 15.0) -> list[Frame]:
    """Frames of a TestClient stream until ``done(frames)`` or the stream ends; fails at the
    deadline. The app under test sends keep-alives often, so a line always comes soon."""
    frames: list[Frame] = []
    deadline = time.monotonic() + timeout
    # One frame iterator per response, kept on it: a second ``iter_lines`` would start over.
    source = getattr(response, "_sse_frames", None)
    if source is None:
        source = frames_of(response.iter_lines())
        response._sse_frames = source
    for frame in source:
        frames.append(frame)
        if done(frames):
            return frames
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout}s; got {[(f.event, f.id) for f in frames]}")
    return frames


def events_only(frames: list[Frame]) -> list[Frame]:
    return [f for f in frames if f.event]


def has_event(
    kind: str, predicate: Callable[[Frame], bool] = lambda f: True
) -> Callable[[list[Frame]], bool]:
    return lambda frames: any(f.event == kind and predicate(f) for f in frames)


class StreamReader:
    """Reads a stream from a real server in a background thread, keeping every frame with the wall
    clock time it arrived."""

    def __init__(self, url: str, headers: dict[str, str] | None = None, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        self.frames: list[Frame] = []
        self.ended = False
        self._cond = threading.Condition()
        self._conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        self._conn.request("GET", path, headers={"Accept": "text/event-stream", **(headers or {})})
        self.response = self._conn.getresponse()
        self.status = self.response.status
        self._thread = threading.Thread(target=self._run, name="sse-reader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        buffer = b""
        try:
            while True:
                chunk = self.response.read1(65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\n\n" in buffer:
                    raw, buffer = buffer.split(b"\n\n", 1)
                    frame = parse_block(raw.decode().split("\n"))
                    with self._cond:
                        self.frames.append(frame)
                        self._cond.notify_all()
        except Exception:  # noqa: S110 - closed under it (close() races the read) or broken: the stream ended
            pass
        finally:
            with self._cond:
                self.ended = True
                self._cond.notify_all()

    def wait_for(self, done: Callable[[list[Frame]], bool], timeout: float = 20.0) -> list[Frame]:
        with self._cond:
            if not self._cond.wait_for(lambda: done(self.frames) or self.ended, timeout=timeout):
                raise AssertionError(
                    f"gave up after {timeout}s; got {[(f.event, f.id) for f in self.frames]}"
                )
            return list(self.frames)

    def close(self) -> None:
        sock = self._conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._conn.close()
        self._thread.join(timeout=10)
