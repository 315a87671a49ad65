"""Throttling counters in Redis (``services.throttle.Counter``), used when ``redis_url`` is set.

Every call has a short timeout and raises when Redis does not answer; the throttle then counts in
the database instead, so the limits hold through an outage."""

from __future__ import annotations

from typing import Any

import redis

PREFIX = "kizuna:rate:"
_TIMEOUT_SECONDS = 0.5


class RedisCounter:
    def __init__(self, url: str) -> None:
        self._redis: Any = redis.Redis.from_url(
            url, socket_connect_timeout=_TIMEOUT_SECONDS, socket_timeout=_TIMEOUT_SECONDS
        )

    def hit(self, key: str, seconds: int) -> tuple[int, int]:
        name = PREFIX + key
        pipe = self._redis.pipeline(transaction=True)
        pipe.incr(name)
        pipe.expire(name, seconds, nx=True)
        pipe.ttl(name)
        hits, _set, left = pipe.execute()
        return int(hits), int(left) if int(left) > 0 else seconds

    def refund(self, key: str) -> None:
        self._redis.decr(PREFIX + key)

    def close(self) -> None:
        self._redis.close()
