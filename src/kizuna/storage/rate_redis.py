"""Throttling counters in Redis (``services.throttle.Counter``), used when ``redis_url`` is set.

Every call has a short timeout and raises when Redis does not answer; the throttle then counts in
the database instead, so the limits hold through an outage.

A hit is one Lua script on one key (INCR, an expiry when the key has none, the seconds left), so it
is atomic on a single server and on a Redis Cluster alike: a script touching one key runs on the
node that owns the key's slot, which redis-py finds (and follows when slots move); keys need no hash
tag, since no command names two of them. A ``redis+cluster://`` or ``rediss+cluster://`` URL
(``kizuna.redis_url``) selects ``redis.cluster.RedisCluster``; its client is built on first use,
because building one needs a reachable node, and built again on a later call if that failed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import redis

from kizuna.redis_url import is_cluster_url, parse_cluster_url

PREFIX = "kizuna:rate:"
_TIMEOUT_SECONDS = 0.5

# KEYS[1]: the counter; ARGV[1]: the window in seconds. Returns {hits, seconds left}.
_HIT = """
local hits = redis.call('INCR', KEYS[1])
local left = redis.call('TTL', KEYS[1])
if left < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {hits, left}
"""
# Gives a hit back, unless the window ended meanwhile (a DECR would make a key without expiry).
_REFUND = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('DECR', KEYS[1])
end
return 0
"""


def _connector(url: str) -> Callable[[], Any]:
    options: dict[str, Any] = {
        "socket_connect_timeout": _TIMEOUT_SECONDS,
        "socket_timeout": _TIMEOUT_SECONDS,
    }
    if not is_cluster_url(url):
        client = redis.Redis.from_url(url, **options)  # connects lazily by itself
        return lambda: client
    from redis.backoff import NoBackoff
    from redis.cluster import ClusterNode, RedisCluster
    from redis.retry import Retry

    parsed = parse_cluster_url(url)
    (host, port), *others = parsed.nodes
    seeds = [ClusterNode(h, p) for h, p in others]
    # No retries: redis-py would retry a cluster that is down (CLUSTERDOWN, a node not answering)
    # three times with a topology refresh and a pause each, several seconds per log-in, where the
    # database can count at once. Redirections (MOVED, ASK) are still followed.
    options["retry"] = Retry(NoBackoff(), 0)
    return lambda: RedisCluster.from_url(parsed.node_url(host, port), startup_nodes=list(seeds), **options)


class RedisCounter:
    def __init__(self, url: str) -> None:
        self._connect = _connector(url)  # a malformed URL fails here, at start-up
        self._lock = threading.Lock()
        self._redis: Any = None
        self._scripts: tuple[Any, Any] | None = None

    def _ready(self) -> tuple[Any, Any]:
        """The hit and refund scripts, on a client built now if there is none yet."""
        scripts = self._scripts
        if scripts is None:
            with self._lock:
                if self._scripts is None:
                    client = self._connect()
                    self._redis = client
                    self._scripts = (client.register_script(_HIT), client.register_script(_REFUND))
                scripts = self._scripts
        return scripts

    def hit(self, key: str, seconds: int) -> tuple[int, int]:
        hits, left = self._ready()[0](keys=[PREFIX + key], args=[seconds])
        return int(hits), int(left) if int(left) > 0 else seconds

    def refund(self, key: str) -> None:
        self._ready()[1](keys=[PREFIX + key])

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
