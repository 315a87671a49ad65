"""Who is at the other end: the client's address, in one place.

``X-Forwarded-For`` is believed only from the reverse proxies named in ``Settings.trusted_proxies``
(comma-separated addresses or networks). The header is read from the right: each hop a trusted proxy
added is skipped, and the first address that is not a trusted proxy is the client. Anything to its
left was written by the client itself and is ignored, so a player cannot choose the address their
log-in attempts are counted against. Without trusted proxies the peer's address is the client's.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from fastapi import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_HOPS = 20  # a longer chain is cut: the right-most hops are the ones that matter


@lru_cache(maxsize=8)
def trusted_networks(setting: str) -> tuple[Network, ...]:
    """The networks of ``Settings.trusted_proxies``; entries that are not addresses are skipped."""
    networks: list[Network] = []
    for part in setting.split(","):
        item = part.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            continue
    return tuple(networks)


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = value.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.5:443
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def resolve(peer: str, forwarded_for: list[str], trusted: str) -> str:
    """The client's address given the peer's, the ``X-Forwarded-For`` headers in order, and the
    trusted-proxies setting (pure, for tests)."""
    networks = trusted_networks(trusted)
    current = _parse(peer)
    if current is None or not networks:
        return str(current) if current is not None else peer[:64]
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()][-MAX_HOPS:]
    while _trusted(current, networks) and hops:
        previous = _parse(hops.pop())
        if previous is None:
            # A trusted proxy always appends a real address; garbage here means the header did not
            # come from it, so the last proxy is the most we know.
            break
        current = previous
    return str(current)


def client_address(request: Request) -> str:
    """The client's address for throttling and the audit trail (see the module docstring)."""
    peer = request.client.host if request.client else ""
    settings = getattr(request.app.state, "settings", None)
    trusted = getattr(settings, "trusted_proxies", "") or ""
    if not trusted:
        return peer
    return resolve(peer, request.headers.getlist("x-forwarded-for"), trusted)


def site_url(request: Request) -> str:
    """The site's address as players reach it, without a final slash: ``KIZUNA_PUBLIC_URL`` when set,
    else the address this request came to (shown back to the same reader: a join link, a QR code)."""
    public = str(getattr(request.app.state.settings, "public_url", "") or "").strip().rstrip("/")
    return public or str(request.base_url).rstrip("/")
