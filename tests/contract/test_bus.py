"""One contract for every event bus: ``MemoryBus`` and ``RedisBus`` must behave the same way.

RedisBus delivers from a listener thread, so every check waits (briefly) for delivery instead of
assuming it is synchronous. Each Redis test uses its own channel: pub/sub channels are shared by
every database of a Redis server, so a fixed name would hear other test runs.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kizuna.bus import EVENT_TYPES, Bus, make_bus
from kizuna.bus.memory import MemoryBus
from kizuna.bus.redis import CHANNEL, RedisBus

WAIT = 5.0
BusFactory = Callable[[], Bus]


class Inbox:
    """A subscriber that records events and lets a test wait for them."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._cond = threading.Condition()

    def __call__(self, event: dict[str, Any]) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = WAIT) -> list[dict[str, Any]]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.events) >= count, timeout=timeout)
            return list(self.events)


def settle(bus: Bus) -> None:
    """Give an asynchronous bus time to deliver anything still in flight (to prove a negative)."""
    if isinstance(bus, RedisBus):
        marker = Inbox()
        stop = bus.subscribe(marker)
        bus.publish({"type": "event_changed", "marker": True})
        marker.wait_for(1)
        stop()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def new_bus(request: pytest.FixtureRequest) -> Iterator[BusFactory]:
    """A factory of buses of one kind; Redis buses made by one factory share a private channel."""
    made: list[Bus] = []
    channel = f"kizuna:test:{uuid.uuid4().hex}"
    url = request.getfixturevalue("redis_url") if request.param == "redis" else ""

    def factory() -> Bus:
        bus: Bus = RedisBus(url, channel=channel) if url else MemoryBus()
        made.append(bus)
        return bus

    yield factory
    for bus in made:
        bus.close()


def test_subscribers_receive_published_events(new_bus: BusFactory) -> None:
    bus = new_bus()
    first, second = Inbox(), Inbox()
    bus.subscribe(first)
    bus.subscribe(second)
    event = {"type": "solve", "challenge_id": 3, "account_id": 7, "user_id": 9, "first_blood": True}
    bus.publish(event)
    assert first.wait_for(1) == [event]
    assert second.wait_for(1) == [event]


def test_events_arrive_in_publication_order(new_bus: BusFactory) -> None:
    bus = new_bus()
    inbox = Inbox()
    bus.subscribe(inbox)
    for i in range(20):
        bus.publish({"type": "award", "account_id": i, "value": i})
    assert [e["account_id"] for e in inbox.wait_for(20)] == list(range(20))


def test_unsubscribe_stops_delivery(new_bus: BusFactory) -> None:
    bus = new_bus()
    kept, dropped = Inbox(), Inbox()
    bus.subscribe(kept)
    unsubscribe = bus.subscribe(dropped)
    unsubscribe()
    unsubscribe()  # a second call is harmless
    bus.publish({"type": "event_changed"})
    assert kept.wait_for(1) == [{"type": "event_changed"}]
    settle(bus)
    assert dropped.events == []


def test_a_failing_handler_does_not_stop_the_others(
    new_bus: BusFactory, caplog: pytest.LogCaptureFixture
) -> None:
    bus = new_bus()
    before, after = Inbox(), Inbox()

    def broken(_event: dict[str, Any]) -> None:
        raise RuntimeError("subscriber bug")

    bus.subscribe(before)
    bus.subscribe(broken)
    bus.subscribe(after)
    with caplog.at_level(logging.ERROR, logger="kizuna.bus"):
        bus.publish({"type": "challenge_changed", "challenge_id": 1})
        bus.publish({"type": "challenge_changed", "challenge_id": 2})
        assert [e["challenge_id"] for e in after.wait_for(2)] == [1, 2]
    assert [e["challenge_id"] for e in before.events] == [1, 2]
    assert any("handler failed" in r.getMessage() for r in caplog.records)


def test_close_stops_delivery(new_bus: BusFactory) -> None:
    bus = new_bus()
    inbox = Inbox()
    bus.subscribe(inbox)
    bus.close()
    bus.publish({"type": "event_changed"})  # after close: neither delivered nor raised
    time.sleep(0.2)
    assert inbox.events == []
    bus.close()  # idempotent


def test_every_documented_event_type_round_trips(new_bus: BusFactory) -> None:
    bus = new_bus()
    inbox = Inbox()
    bus.subscribe(inbox)
    sent = [{"type": kind, **{key: 1 for key in keys}} for kind, keys in EVENT_TYPES.items()]
    for event in sent:
        bus.publish(event)
    assert inbox.wait_for(len(sent)) == sent


# --- Redis only: what a process-local bus cannot do --------------------------------------------


@pytest.mark.redis
def test_two_replicas_both_receive_an_event_published_by_one(redis_url: str) -> None:
    channel = f"kizuna:test:{uuid.uuid4().hex}"
    one, two = RedisBus(redis_url, channel=channel), RedisBus(redis_url, channel=channel)
    try:
        inbox_one, inbox_two = Inbox(), Inbox()
        one.subscribe(inbox_one)
        two.subscribe(inbox_two)
        one.publish({"type": "solve", "challenge_id": 1, "account_id": 2, "user_id": 3, "first_blood": False})
        two.publish({"type": "award", "account_id": 2, "value": 5})
        for inbox in (inbox_one, inbox_two):
            assert [e["type"] for e in inbox.wait_for(2)] == ["solve", "award"]
    finally:
        one.close()
        two.close()


@pytest.mark.redis
def test_make_bus_uses_redis_when_configured(redis_url: str) -> None:
    bus = make_bus(redis_url)
    try:
        assert isinstance(bus, RedisBus)
        assert bus.channel == CHANNEL
    finally:
        bus.close()
    assert isinstance(make_bus(""), MemoryBus)


def test_redis_publish_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    """After a commit, publishing must not fail the request: errors are logged, values are not."""
    # Nothing listens on port 1: the bus starts, publishing fails, and both are only logged.
    bus = RedisBus("redis://127.0.0.1:1/0", channel=f"kizuna:test:{uuid.uuid4().hex}")
    try:
        with caplog.at_level(logging.WARNING, logger="kizuna.bus"):
            bus.publish({"type": "solve", "challenge_id": 1, "secret": "flag{do-not-log}"})
            bus.publish({"type": "award", "value": object()})  # not JSON: dropped, not raised
    finally:
        bus.close()
    assert any("could not publish a solve event" in r.getMessage() for r in caplog.records)
    assert any("could not publish a award event" in r.getMessage() for r in caplog.records)
    assert all("flag{do-not-log}" not in r.getMessage() for r in caplog.records)
    assert not bus._thread.is_alive()
