"""The baseline: a bare aiohttp handler that parses the same JSON and answers a canned reply.

Whatever the machine, the web chat's rate divided by this one's says what the core costs.
"""
from __future__ import annotations

import sys

from aiohttp import web

REPLY = {"replies": [{"id": 1, "text": "ok", "buttons": [], "menu": [], "media": []}], "duplicate": False}


async def handle(request: web.Request) -> web.Response:
    await request.json()
    return web.json_response(REPLY)


def main() -> None:
    app = web.Application()
    app.router.add_post("/api/webchat/messages", handle)
    app.router.add_get("/healthz", lambda request: web.json_response({"ok": True}))
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
