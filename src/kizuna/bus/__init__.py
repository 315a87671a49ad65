"""The event bus: services publish domain events after their transaction commits.

Two implementations with one contract (``tests/contract/test_bus.py``): ``MemoryBus`` delivers inside
this process (the default) and ``RedisBus`` goes through Redis pub/sub so every replica hears every
event. Events are plain dicts with a ``type`` key and JSON-serialisable values — never finished
sentences, so each reader can render them in their own language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

Event = dict[str, Any]
Handler = Callable[[Event], None]

# Every event type, with the keys it carries (checked by tests/meta).
EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "solve": ("challenge_id", "account_id", "user_id", "first_blood"),
    "award": ("account_id", "value"),
    "unlock": ("account_id", "hint_id"),
    "challenge_changed": ("challenge_id",),
    "account_changed": ("account_id",),
    "event_changed": (),
    "notification": ("notification_id",),
}


class Bus(Protocol):
    def publish(self, event: Event) -> None: ...

    def subscribe(self, handler: Handler) -> Callable[[], None]:
        """Register ``handler``; the returned function unsubscribes it."""
        ...

    def close(self) -> None: ...


def make_bus(redis_url: str) -> Bus:
    if redis_url:
        from kizuna.bus.redis import RedisBus

        return RedisBus(redis_url)
    from kizuna.bus.memory import MemoryBus

    return MemoryBus()
