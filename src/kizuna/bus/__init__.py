"""The event bus: the unit of work publishes the events it appended to the stored log, after commit.

Two implementations with one contract (``tests/contract/test_bus.py``): ``MemoryBus`` delivers inside
this process (the default) and ``RedisBus`` goes through Redis pub/sub so every replica hears every
event. The bus only wakes readers up: the ``events`` table is the source of truth, so a message lost
between commit and publication loses nothing. Messages are plain dicts (``storage.uow.event_dict``)
with a ``type`` key and JSON-serialisable values — never finished sentences.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from kizuna.domain.events import EVENT_TYPES

Event = dict[str, Any]
Handler = Callable[[Event], None]

# The event types live in the domain (the stored log's types); re-exported for bus users.
__all__ = ["EVENT_TYPES", "Bus", "Event", "Handler", "make_bus"]


class Bus(Protocol):
    def publish(self, event: Event) -> None: ...

    def subscribe(self, handler: Handler) -> Callable[[], None]:
        """Register ``handler``; the returned function unsubscribes it."""
        ...

    def close(self) -> None: ...


# A bus may also offer ``ping() -> bool`` (``RedisBus``: whether Redis answers), which ``/readyz``
# reports; ``MemoryBus`` has nothing to reach, so it has none.


def make_bus(redis_url: str) -> Bus:
    if redis_url:
        from kizuna.bus.redis import RedisBus

        return RedisBus(redis_url)
    from kizuna.bus.memory import MemoryBus

    return MemoryBus()
