"""The park-name vote of 2020 replayed: 7,838 voters spread over every channel, an exact tally."""
from __future__ import annotations

import asyncio
import random
from pathlib import Path

from bot.content import load_content, storable
from tests.drivers import JOURNEY_CHANNELS, load_world
from tests.journey import all_text

CONTENT = Path(__file__).parent / "fixtures" / "content" / "polls.yaml"
KNOWN_TALLY = {"urguy": 3608, "detsky": 1500, "solnechny": 1200, "raduga": 900, "semeyny": 630}
PER_MESSENGER = 150  # voters through each messenger's fake; the web chat takes the rest
CONCURRENCY = 200


async def vote(resident, option: str) -> None:
    await resident.send_text("/start poll-park_name")
    await resident.press("consent:yes")
    ballot = await resident.press("lang:ru")
    assert any(f"vote:park_name:{option}" in m.payloads for m in ballot), all_text(ballot)
    thanks = await resident.press(f"vote:park_name:{option}")
    assert "голос учтён" in all_text(thanks)


async def test_seven_thousand_eight_hundred_thirty_eight_voters_reproduce_the_known_tally(tmp_path):
    choices = [option for option, count in KNOWN_TALLY.items() for _ in range(count)]
    assert len(choices) == 7838
    random.Random(2020).shuffle(choices)
    messengers = [c for c in JOURNEY_CHANNELS if c != "webchat"]
    shares = {channel: PER_MESSENGER for channel in messengers}
    shares["webchat"] = len(choices) - PER_MESSENGER * len(messengers)

    start, number, per_channel = 0, 0, {}
    for channel, share in shares.items():
        async with load_world(channel)(tmp_path) as world:  # one database file for every channel
            if start == 0:
                async with world.app.db.transaction() as tx:
                    await tx.content.store(storable(load_content(CONTENT)))
            gate = asyncio.Semaphore(CONCURRENCY)

            async def one(index: int, resident) -> None:
                async with gate:
                    await vote(resident, choices[index])

            jobs = []
            for index in range(start, start + share):
                number += 1
                jobs.append(one(index, world.resident(number)))
            await asyncio.gather(*jobs)
            rows = await world.app.db.reader.residents._db.execute_fetchall(
                "SELECT channel, count(*) FROM ballots GROUP BY channel")
            per_channel = {r[0]: r[1] for r in rows}
            if channel == list(shares)[-1]:
                counted = await world.app.db.reader.residents._db.execute_fetchall(
                    "SELECT c.option_key, count(*) FROM ballot_choices c GROUP BY c.option_key")
                assert {r[0]: r[1] for r in counted} == KNOWN_TALLY
        start += share
    assert per_channel == shares
