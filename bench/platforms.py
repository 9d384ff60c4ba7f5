"""The fake VK, Telegram and MAX of the tests, with their ceilings enforced, in a process of
their own: the broadcast benchmark's process then holds only the bot's side, so its CPU time and
its memory (the peak measured at 10,000 and 100,000 recipients) are the sender's, not the fakes'.

``python -m bench.platforms VK TELEGRAM MAX`` (calls / messages / requests a second) prints one
JSON line with the fakes' URLs and tokens, then serves until SIGTERM. ``GET /stats`` on the
control port tells, per platform, how many calls were answered within the ceiling, when the
first and the last of them came, and how many were refused with the platform's rate-limit answer.
"""
from __future__ import annotations

import asyncio
import json
import signal
import sys

from aiohttp import web

from tests.fakes.max import FakeMax
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVk


def stats(fake) -> dict:
    times = fake.accepted_at
    return {"accepted": len(times), "first": times[0] if times else None, "last": times[-1] if times else None,
            "rate_limited": fake.rate_limited}


async def main(vk_ceiling: float, telegram_ceiling: float, max_ceiling: float) -> None:
    vk, telegram = FakeVk(ceiling=vk_ceiling), FakeTelegram(ceiling=telegram_ceiling)
    max_ = FakeMax(ceiling=max_ceiling)
    await vk.start()
    await telegram.start()
    await max_.start()

    async def report(request: web.Request) -> web.Response:
        return web.json_response({"vk": stats(vk), "telegram": stats(telegram), "max": stats(max_)})

    control = web.Application()
    control.router.add_get("/stats", report)
    runner = web.AppRunner(control, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(json.dumps({"control": f"http://127.0.0.1:{runner.addresses[0][1]}",
                      "vk": {"url": vk.api_url, "token": vk.token, "group_id": vk.group_id},
                      "telegram": {"url": telegram.url, "token": telegram.token},
                      "max": {"url": max_.url, "token": max_.token}}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    await runner.cleanup()
    await vk.stop()
    await telegram.close()
    await max_.stop()


if __name__ == "__main__":
    asyncio.run(main(*(float(value) for value in sys.argv[1:4])))
