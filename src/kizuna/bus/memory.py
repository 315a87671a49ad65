from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kizuna.bus import Event, Handler

log = logging.getLogger(__name__)


class MemoryBus:
    """Delivers each event synchronously to this process's subscribers."""

    def __init__(self) -> None:
        self._handlers: list[Handler] = []
        self._lock = threading.Lock()

    def publish(self, event: Event) -> None:
        with self._lock:
            handlers = list(self._handlers)
        for handler in handlers:
            try:
                handler(event)
            except Exception:
                # A failing subscriber must not undo or block a committed use case.
                log.exception("event handler failed for %s", event.get("type"))

    def subscribe(self, handler: Handler) -> Callable[[], None]:
        with self._lock:
            self._handlers.append(handler)

        def unsubscribe() -> None:
            with self._lock:
                if handler in self._handlers:
                    self._handlers.remove(handler)

        return unsubscribe

    def close(self) -> None:
        with self._lock:
            self._handlers.clear()
