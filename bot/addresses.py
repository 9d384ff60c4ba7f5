"""Where a request comes from, seen through the operator's own reverse proxies only.

Behind a reverse proxy every connection comes from the proxy, and the client's address is in
the ``X-Forwarded-For`` header the proxy adds. Anyone can write that header, so it is believed
only when the connection comes from one of ``server.trusted_proxies``; then the right-most
address in it that is not itself such a proxy is the client (each proxy appends the address it
saw, so that one was written by a proxy we trust, and whatever the client wrote is to its left).
"""
from __future__ import annotations

import ipaddress
from typing import Iterable

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def networks(items: Iterable[str]) -> tuple[Network, ...]:
    """Settings' "a.b.c.d/nn" strings (a bare address is a network of one) as networks."""
    return tuple(ipaddress.ip_network(item, strict=False) for item in items)


def _address(text: str | None) -> Address | None:
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _within(address: Address, trusted: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def client_address(request: web.Request, trusted_networks: tuple[Network, ...]) -> str:
    """The client's address as text: the connection's own, or, when that is a trusted proxy,
    the nearest address in X-Forwarded-For that is not one. A header value that is not an
    address stops the walk at the proxy that passed it on, so garbage never becomes a client."""
    nearest = _address(request.remote)
    if nearest is None:
        return request.remote or ""
    if not _within(nearest, trusted_networks):
        return str(nearest)
    hops = [hop for value in request.headers.getall("X-Forwarded-For", []) for hop in value.split(",")]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        nearest = address
        if not _within(address, trusted_networks):
            break
    return str(nearest)
