"""How ``KIZUNA_REDIS_URL`` names a Redis Cluster (pure parsing; the adapters build the clients).

``redis://`` and ``rediss://`` name one server (or a managed primary endpoint), as redis-py reads
them. A Redis Cluster is named with its own scheme, since redis-py has no URL form for one:

    redis+cluster://[[user]:[password]@]host[:port][,host[:port]...][/0][?option=value...]
    rediss+cluster://...   (the same over TLS)

The hosts are seed nodes: any reachable one is enough to find the others. A cluster has only
database 0. Query options (``ssl_cert_reqs``, ``ssl_ca_certs``…) apply to every node, as redis-py
reads them from a ``redis://`` URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}
DEFAULT_PORT = 6379


def scheme_of(url: str) -> str:
    return url.partition("://")[0].strip().lower() if "://" in url else ""


def is_cluster_url(url: str) -> bool:
    return scheme_of(url) in CLUSTER_SCHEMES


@dataclass(frozen=True)
class ClusterURL:
    """A parsed ``redis+cluster://`` URL: its seed nodes, and a plain URL for any node."""

    scheme: str  # "redis" or "rediss"
    userinfo: str  # as written (still percent-encoded), "" when absent
    nodes: tuple[tuple[str, int], ...]
    query: str

    def node_url(self, host: str, port: int) -> str:
        """A ``redis://`` (or ``rediss://``) URL for one node, with the same credentials and options."""
        where = f"[{host}]" if ":" in host else host
        netloc = f"{self.userinfo}@{where}:{port}" if self.userinfo else f"{where}:{port}"
        return urlunsplit((self.scheme, netloc, "/0", self.query, ""))


def parse_cluster_url(url: str) -> ClusterURL:
    """Parse a ``redis+cluster://`` or ``rediss+cluster://`` URL; ``ValueError`` when it is not one
    Kizuna can use (the message never repeats the URL, which may hold a password)."""
    scheme = scheme_of(url)
    if scheme not in CLUSTER_SCHEMES:
        raise ValueError("not a redis+cluster:// or rediss+cluster:// URL")
    parts = urlsplit(url.strip())
    userinfo, _, hosts = parts.netloc.rpartition("@")
    nodes: list[tuple[str, int]] = []
    for item in hosts.split(","):
        if not item.strip():
            continue
        node = urlsplit("//" + item.strip())
        try:
            port = node.port or DEFAULT_PORT
        except ValueError:
            raise ValueError("a Redis Cluster node has an invalid port") from None
        if not node.hostname:
            raise ValueError("a Redis Cluster node has no host")
        nodes.append((node.hostname, port))
    if not nodes:
        raise ValueError("a Redis Cluster URL needs at least one host:port")
    if parts.path not in ("", "/", "/0"):
        raise ValueError("a Redis Cluster has only database 0 (end the URL with / or /0)")
    return ClusterURL(CLUSTER_SCHEMES[scheme], userinfo, tuple(nodes), parts.query)
