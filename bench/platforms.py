"""The fake VK, Telegram, MAX, OK, WhatsApp and gateway of the tests, with their ceilings
enforced, in a process of their own: the broadcast benchmark's process then holds only the bot's side, so its CPU time
and its memory (the peak measured at 10,000 and 100,000 recipients) are the sender's, not the fakes'.

``python -m bench.platforms VK TELEGRAM MAX OK WHATSAPP GATEWAY`` (calls / messages / requests a
second; the last three may be left out, and those fakes then enforce no ceiling) prints one
JSON line with the fakes' URLs and tokens, then serves until SIGTERM. ``GET /stats`` on the
control port tells, per platform, how many calls were answered within the ceiling, when the
first and the last of them came, and how many were refused with the platform's rate-limit answer;
``GET /times`` when each accepted call came.
"""
from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import Any

from aiohttp import web

from tests.fakes.gateway import FakeGateway
from tests.fakes.max import FakeMax
from tests.fakes.ok import FakeOk
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVk
from tests.fakes.whatsapp import PHONE_NUMBER_ID, FakeGraph


def stats(fake) -> dict:
    times = fake.accepted_at
    return {"accepted": len(times), "first": times[0] if times else None, "last": times[-1] if times else None,
            "rate_limited": fake.rate_limited}


async def main(vk_ceiling: float, telegram_ceiling: float, max_ceiling: float, ok_ceiling: float | None = None,
               whatsapp_ceiling: float | None = None, gateway_ceiling: float | None = None) -> None:
    vk, telegram = FakeVk(ceiling=vk_ceiling), FakeTelegram(ceiling=telegram_ceiling)
    max_ = FakeMax(ceiling=max_ceiling)
    ok, whatsapp = FakeOk(ceiling=ok_ceiling), FakeGraph(ceiling=whatsapp_ceiling)
    gateway = FakeGateway(ceiling=None if gateway_ceiling is None else int(gateway_ceiling))
    await vk.start()
    await telegram.start()
    await max_.start()
    await ok.start()
    await whatsapp.start()
    await gateway.start()

    async def report(request: web.Request) -> web.Response:
        return web.json_response({"vk": stats(vk), "telegram": stats(telegram), "max": stats(max_),
                                  "ok": stats(ok), "whatsapp": stats(whatsapp), "gateway": stats(gateway)})

    async def times(request: web.Request) -> web.Response:
        """Every accepted call's ``time.monotonic()``: the clock all processes of a machine share,
        so a benchmark can count the calls within its own window (a running bot's polls are calls too)."""
        fakes: dict[str, Any] = {"vk": vk, "telegram": telegram, "max": max_, "ok": ok, "whatsapp": whatsapp,
                                 "gateway": gateway}
        return web.json_response({name: fake.accepted_at for name, fake in fakes.items()})

    control = web.Application()
    control.router.add_get("/stats", report)
    control.router.add_get("/times", times)
    runner = web.AppRunner(control, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(json.dumps({"control": f"http://127.0.0.1:{runner.addresses[0][1]}",
                      "vk": {"url": vk.api_url, "token": vk.token, "group_id": vk.group_id},
                      "telegram": {"url": telegram.url, "token": telegram.token},
                      "max": {"url": max_.url, "token": max_.token},
                      "ok": {"url": ok.url, "token": ok.token},
                      "whatsapp": {"url": whatsapp.url, "token": whatsapp.token, "version": whatsapp.version,
                                   "app_secret": whatsapp.app_secret, "verify_token": whatsapp.verify_token,
                                   "phone_number_id": PHONE_NUMBER_ID},
                      "gateway": {"url": gateway.outbound_url, "secret": gateway.secret}}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    await runner.cleanup()
    await vk.stop()
    await telegram.close()
    await max_.stop()
    await ok.close()
    await whatsapp.close()
    await gateway.close()


if __name__ == "__main__":
    asyncio.run(main(*(float(value) for value in sys.argv[1:7])))
