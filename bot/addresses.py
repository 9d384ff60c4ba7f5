"""Where an HTTP request came from, seen through the operator's reverse proxies only.

The address is the connection's (``request.remote``). ``X-Forwarded-For`` is believed only when
the connection comes from one of the operator's trusted proxies, and then the right-most address
in it that is not such a proxy counts: a caller who writes the header himself cannot claim
another address, because his own proxy appends the address it really saw.
"""
from __future__ import annotations

import ipaddress
from typing import Iterable

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def networks(items: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in items)


def parse_address(text: str | None) -> Address | None:
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    return address.ipv4_mapped or address if isinstance(address, ipaddress.IPv6Address) else address


def within(address: Address, nets: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in nets)


def client_address(request: web.Request, proxies: tuple[Network, ...]) -> Address | None:
    """The address the request came from, seen through the trusted proxies only."""
    address = parse_address(request.remote)
    if address is None or not within(address, proxies):
        return address
    hops = [h for value in request.headers.getall("X-Forwarded-For", []) for h in value.split(",")]
    for hop in reversed(hops):
        hop_address = parse_address(hop)
        if hop_address is None:
            return None
        if not within(hop_address, proxies):
            return hop_address
    return address


def limit_key(address: Address | None) -> str:
    """The key a per-address limit counts under. One IPv6 subscriber holds a whole /64, so the
    /64 is the address; an unknown address (a Unix socket) is one key of its own."""
    if address is None:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
