"""The VK benchmark's baseline: a bot that does nothing but answer each step of the vote at once.

It long-polls the fake VK and answers every update with the one message the simulated voter
waits for next (the consent button, the ballot, the thanks), one
``messages.send`` each, as fast as they come and without a pace: with the fake's ceiling lifted,
the voters per second it reaches are what the load generator itself can drive.

``python -m bench.bare_vk_bot API_URL TOKEN GROUP_ID`` runs until SIGTERM.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import signal
import sys
from typing import Any

import aiohttp

BALLOT = [f"vote:bench_0:{option}" for option in ("urguy", "detsky", "solnechny", "raduga", "semeyny")]
NEXT = {"consent:yes": ("Голосование", BALLOT)}
random_ids = itertools.count(1)


def answer(update: dict[str, Any]) -> tuple[int, str, list[str]] | None:
    obj = update.get("object") or {}
    if update.get("type") == "message_new":
        message = obj.get("message") or {}
        payload = json.loads(message.get("payload") or "{}").get("p", "")
        user, text = message.get("from_id"), message.get("text", "")
    elif update.get("type") == "message_event":
        payload, user, text = (obj.get("payload") or {}).get("p", ""), obj.get("user_id"), ""
    else:
        return None
    if text.startswith("/start"):
        return user, "Согласие?", ["consent:yes"]
    if payload.startswith("vote:"):
        return user, "Спасибо, ваш голос учтён!", []
    text, buttons = NEXT.get(payload, ("?", []))
    return user, text, buttons


def keyboard(payloads: list[str]) -> str:
    return json.dumps({"inline": True, "buttons": [[{"action": {"type": "callback", "label": p,
                                                               "payload": json.dumps({"p": p})}} for p in payloads]]})


async def main(api_url: str, token: str, group_id: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with aiohttp.ClientSession() as http:
        async def call(method: str, **values: Any) -> Any:
            data = {**values, "access_token": token, "v": "5.199"}
            async with http.post(f"{api_url}/{method}", data=data) as response:
                return (await response.json())["response"]

        async def reply(update: dict[str, Any]) -> None:
            found = answer(update)
            if found is not None:
                user, text, buttons = found
                values = {"peer_id": user, "message": text, "random_id": next(random_ids)}
                if buttons:
                    values["keyboard"] = keyboard(buttons)
                await call("messages.send", **values)

        server = await call("groups.getLongPollServer", group_id=group_id)
        ts = server["ts"]
        print("ready", flush=True)
        while not stop.is_set():
            poll = asyncio.ensure_future(http.get(server["server"], params={"act": "a_check", "key": server["key"],
                                                                           "ts": ts, "wait": 25}))
            done, _ = await asyncio.wait({poll, asyncio.ensure_future(stop.wait())},
                                         return_when=asyncio.FIRST_COMPLETED)
            if poll not in done:
                poll.cancel()
                break
            async with poll.result() as response:
                batch = await response.json()
            ts = batch["ts"]
            for update in batch["updates"]:
                loop.create_task(reply(update))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
