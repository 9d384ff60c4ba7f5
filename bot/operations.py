"""The pages a load balancer and a monitoring system ask for: ``/healthz``, ``/readyz``, ``/metrics``.

- ``/healthz``: the process is alive and its event loop answers (``{"ok": true}``); nothing more
  is asked, so a slow database does not get a live process restarted.
- ``/readyz``: send this process traffic. Ready once it has started (database open and migrated,
  channels receiving) and until it begins to stop; and only while the database answers a
  trivial query (the schema version) within ``server.readiness_timeout_seconds`` with no
  migration pending. Otherwise 503 with the reason in a line of Russian. On SIGTERM readiness
  turns 503 first, so a load balancer stops sending before the server stops listening.
- ``/metrics``: Prometheus' text format (``bot.core.metrics``), for the networks in
  ``server.metrics_networks`` (the client's address seen through ``server.trusted_proxies``)
  or a request bearing ``server.metrics_token``; 403 for anyone else, since the figures say how
  busy the campaign is and which messengers it uses.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.addresses import Network, client_address, networks, within
from bot.config import ServerSettings
from bot.core.metrics import Metrics
from storage.ports.repositories import Database

log = logging.getLogger(__name__)


@dataclass
class Readiness:
    """Where the process stands, as the application tells it: starting, ready, stopping."""

    db: Database | None = None
    state: str = "starting"   # "starting" | "ready" | "stopping"
    timeout: float = 2.0

    async def reason_not_ready(self) -> str:
        """Why this process should get no traffic now; "" when it should."""
        if self.state == "starting":
            return "бот запускается"
        if self.state == "stopping":
            return "бот останавливается"
        if self.db is None:
            return "база данных не открыта"
        try:
            pending = await asyncio.wait_for(self.db.pending_migrations(), self.timeout)
        except asyncio.TimeoutError:
            return f"база данных не ответила за {self.timeout:g} с"
        except Exception as error:
            return f"база данных не отвечает: {type(error).__name__}: {error}"[:300]
        if pending:
            return "не применены миграции: " + ", ".join(pending)
        return ""


@dataclass
class MetricsAccess:
    networks: tuple[Network, ...]
    proxies: tuple[Network, ...]
    token: str | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, server: ServerSettings) -> "MetricsAccess":
        token = server.metrics_token.get_secret_value() if server.metrics_token is not None else None
        return cls(networks(server.metrics_networks), networks(server.trusted_proxies), token or None)

    def allows(self, request: web.Request) -> bool:
        if self.token is not None:
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self.token.encode()):
                return True
        address = client_address(request, self.proxies)
        return address is not None and within(address, self.networks)


def setup_operations(app: web.Application, metrics: Metrics, readiness: Readiness, access: MetricsAccess) -> None:
    async def healthy(request: web.Request) -> web.StreamResponse:
        return web.json_response({"ok": True})

    async def ready(request: web.Request) -> web.StreamResponse:
        reason = await readiness.reason_not_ready()
        if reason:
            return web.json_response({"ready": False, "reason": reason}, status=503,
                                     dumps=lambda value: json.dumps(value, ensure_ascii=False))
        return web.json_response({"ready": True})

    async def metrics_page(request: web.Request) -> web.StreamResponse:
        if not access.allows(request):
            return web.Response(status=403, text="доступ к /metrics: только из server.metrics_networks или с токеном\n")
        if readiness.db is not None and readiness.state != "stopping":
            try:
                await asyncio.wait_for(metrics.refresh(readiness.db.reader), readiness.timeout)
            except Exception as error:  # the counters are still worth serving; the gauges keep their last figures
                log.warning("/metrics: очереди и отложенные события из базы не прочитаны: %s: %s",
                            type(error).__name__, error)
        return web.Response(body=metrics.page(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthy)
    app.router.add_get("/readyz", ready)
    app.router.add_get("/metrics", metrics_page)
