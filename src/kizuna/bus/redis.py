"""The event bus over Redis pub/sub, so every worker and replica hears every event.

Each ``RedisBus`` subscribes to one channel (``kizuna:events``) and runs a daemon thread that reads
it and hands each event to this process's subscribers. An event published here travels through Redis
and comes back the same way, so local and remote subscribers see events in the same order, and in
the listener thread (handlers must be quick and thread-safe).

Publishing happens after a use case has committed, so it never raises into the caller: an event that
cannot be sent (Redis down, a value that is not JSON) is logged and dropped. Nothing depends on the
bus for correctness — shared state lives in the database — it only makes other replicas react sooner.
If Redis is unreachable the listener keeps retrying in the background and resumes when it returns.

While Redis is down this process falls back to in-process delivery: an event it publishes is handed
straight to its own subscribers (as ``MemoryBus`` would), so its streams, toasts and caches keep
working; other replicas still catch up from the stored event log, which their streams poll. ``ping``
tells ``/readyz`` whether Redis answers.

A Redis Cluster (``redis+cluster://host:port[,host:port...]/``, ``rediss+cluster://`` for TLS; see
``kizuna.redis_url``): classic PUBLISH/SUBSCRIBE is broadcast over the cluster bus, so a subscriber
connected to any node hears what is published on any other. Each process therefore does its pub/sub
on one node, its *home* (the first seed that answers): it publishes and listens there, and moves to
the next known node when its home stops answering (the seeds, and every node the cluster listed
when we last connected). Sharded pub/sub (SPUBLISH) is not used: Kizuna has one channel, which
would live in one slot, so it would load one shard all the same, and every subscriber would have to
follow that slot across failovers and resharding. ``ping`` asks the home node whether the cluster
is ``ok`` (all slots served), so ``/readyz`` reports a cluster that cannot serve as degraded.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import redis

from kizuna.bus import Event, Handler
from kizuna.redis_url import ClusterURL, is_cluster_url, parse_cluster_url

log = logging.getLogger(__name__)

CHANNEL = "kizuna:events"
_POLL_SECONDS = 0.2
_MAX_BACKOFF_SECONDS = 5.0
_CONNECT_TIMEOUT_SECONDS = 2.0


class RedisBus:
    """A ``Bus`` whose events go through Redis pub/sub (see the module docstring)."""

    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        self.channel = channel
        # A Redis Cluster: the nodes this process may use as its home, the seeds first.
        self._cluster: ClusterURL | None = parse_cluster_url(url) if is_cluster_url(url) else None
        self._nodes: list[tuple[str, int]] = list(self._cluster.nodes) if self._cluster else []
        self._home = 0
        self._redis, self._listen = self._clients(
            self._cluster.node_url(*self._nodes[0]) if self._cluster else url
        )
        self._pubsub: Any = None
        self._handlers: list[Handler] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        # Subscribe before returning when Redis is there, so an event published right after
        # construction is not missed; otherwise the listener thread keeps trying.
        self._connect(log_failure=True)
        self._thread = threading.Thread(target=self._run, name="kizuna-redis-bus", daemon=True)
        self._thread.start()

    # --- the Bus protocol ---------------------------------------------------------------------

    def publish(self, event: Event) -> None:
        kind = event.get("type") if isinstance(event, dict) else None
        try:
            payload = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        except Exception as exc:
            # Only the event type is logged: values stay out of logs whatever they are.
            log.error("could not publish a %s event: %s", kind, type(exc).__name__)
            return
        if self._pubsub is None:
            # Our listener is not subscribed (Redis down or reconnecting), so the event would not
            # come back to this process through Redis: deliver it here, as MemoryBus does.
            log.warning("could not publish a %s event through Redis (not connected); delivered locally", kind)
            self._dispatch(event)
            return
        try:
            self._redis.publish(self.channel, payload)
        except Exception as exc:
            log.warning(
                "could not publish a %s event through Redis (%s); delivered locally", kind, type(exc).__name__
            )
            self._dispatch(event)

    def ping(self) -> bool:
        """Whether Redis answers now (for ``/readyz``), and for a cluster whether it serves every slot
        (``cluster_state:ok`` on the home node); never raises."""
        try:
            if self._cluster is None:
                return bool(self._redis.ping())
            info = self._redis.execute_command("CLUSTER INFO")
            if isinstance(info, bytes | str):
                info = dict(line.split(":", 1) for line in _text(info).splitlines() if ":" in line)
            return _text(info.get("cluster_state", "")) == "ok"
        except Exception:
            return False

    @property
    def home_node(self) -> str | None:
        """For a cluster, the ``host:port`` of the node this process publishes and listens on."""
        if self._cluster is None:
            return None
        host, port = self._nodes[self._home]
        return f"{host}:{port}"

    @property
    def connected(self) -> bool:
        """Whether the listener is subscribed (events travel through Redis) right now."""
        return self._pubsub is not None

    def subscribe(self, handler: Handler) -> Callable[[], None]:
        with self._lock:
            self._handlers.append(handler)

        def unsubscribe() -> None:
            with self._lock:
                if handler in self._handlers:
                    self._handlers.remove(handler)

        return unsubscribe

    def close(self) -> None:
        """Stop the listener thread and close the connections; safe to call more than once."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        with self._lock:
            self._handlers.clear()
        self._drop_pubsub()
        for client in (self._redis, self._listen):
            try:
                client.close()
            except Exception:  # noqa: S110 - closing a broken connection has nothing left to do
                pass

    # --- the listener -------------------------------------------------------------------------

    @staticmethod
    def _clients(url: str) -> tuple[Any, Any]:
        # Publishing has its own client: a pub/sub connection cannot send ordinary commands.
        publish = redis.Redis.from_url(
            url, socket_connect_timeout=_CONNECT_TIMEOUT_SECONDS, socket_timeout=_CONNECT_TIMEOUT_SECONDS
        )
        listen = redis.Redis.from_url(
            url, socket_connect_timeout=_CONNECT_TIMEOUT_SECONDS, health_check_interval=30
        )
        return publish, listen

    def _move_home(self) -> None:
        """A cluster: make the next known node this process's home (its home did not answer)."""
        assert self._cluster is not None
        self._home = (self._home + 1) % len(self._nodes)
        old = (self._redis, self._listen)
        self._redis, self._listen = self._clients(self._cluster.node_url(*self._nodes[self._home]))
        for client in old:
            try:
                client.close()
            except Exception:  # noqa: S110 - closing a broken connection has nothing left to do
                pass

    def _learn_nodes(self) -> None:
        """A cluster: remember every node the home node knows (primaries and replicas; each relays
        classic pub/sub), so the bus can move when its home fails. Best effort."""
        try:
            slots = self._redis.execute_command("CLUSTER SLOTS")
        except Exception:
            return
        for entry in slots or []:
            for node in list(entry)[2:] if isinstance(entry, list | tuple) else []:
                if isinstance(node, list | tuple) and len(node) >= 2:
                    host = _text(node[0])
                    if host and host != "?" and isinstance(node[1], int):
                        if (host, node[1]) not in self._nodes:
                            self._nodes.append((host, node[1]))

    def _connect(self, log_failure: bool) -> bool:
        """Open the pub/sub connection and wait for Redis to confirm the subscription."""
        if not self._listen_here(log_failure):
            if self._cluster is not None and len(self._nodes) > 1:
                self._move_home()  # the next attempt tries another node
            return False
        if self._cluster is not None:
            self._learn_nodes()
        return True

    def _listen_here(self, log_failure: bool) -> bool:
        pubsub = self._listen.pubsub()
        try:
            pubsub.subscribe(self.channel)
            deadline = _CONNECT_TIMEOUT_SECONDS / _POLL_SECONDS
            for _ in range(int(deadline) + 1):
                message = pubsub.get_message(timeout=_POLL_SECONDS)
                if message is not None and message.get("type") == "subscribe":
                    self._pubsub = pubsub
                    return True
            raise TimeoutError("no subscription confirmation")
        except Exception as exc:
            if log_failure:
                log.warning("event bus cannot reach Redis yet (%s); retrying", type(exc).__name__)
            try:
                pubsub.close()
            except Exception:  # noqa: S110 - the connection is already broken
                pass
            return False

    def _drop_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            try:
                pubsub.close()
            except Exception:  # noqa: S110 - the connection is already broken
                pass

    def _run(self) -> None:
        backoff = _POLL_SECONDS
        while not self._stop.is_set():
            if self._pubsub is None:
                if not self._connect(log_failure=False):
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, _MAX_BACKOFF_SECONDS)
                    continue
                log.info("event bus connected to Redis")
                backoff = _POLL_SECONDS
            try:
                message = self._pubsub.get_message(ignore_subscribe_messages=True, timeout=_POLL_SECONDS)
            except Exception as exc:
                if self._stop.is_set():
                    break
                log.warning("event bus lost Redis (%s); reconnecting", type(exc).__name__)
                self._drop_pubsub()
                continue
            if message is not None and message.get("type") == "message":
                self._deliver(message.get("data"))

    def _deliver(self, data: Any) -> None:
        try:
            event = json.loads(data)
        except (TypeError, ValueError):
            log.warning("ignored a malformed event on %s", self.channel)
            return
        if not isinstance(event, dict):
            log.warning("ignored a malformed event on %s", self.channel)
            return
        self._dispatch(event)

    def _dispatch(self, event: Event) -> None:
        with self._lock:
            handlers = list(self._handlers)
        for handler in handlers:
            try:
                handler(event)
            except Exception:
                # One failing subscriber must not keep the event from the others.
                log.exception("event handler failed for %s", event.get("type"))


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
