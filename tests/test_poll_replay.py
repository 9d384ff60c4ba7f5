"""The park-name vote of 2020 replayed: 7,838 voters spread over every channel, an exact tally.

Every voter's ballot and thanks are checked, and the final count. A sample votes through each
channel's whole path (the platform's fake, its client library, the bot's webhook or long poll,
the web chat's HTTP API); the bulk of the web chat's voters hand their messages to the core as
the web chat does (``tests.drivers.core``), without an HTTP request each: the replay then costs
the core's work, in its batches, rather than thousands of loopback requests.
"""
from __future__ import annotations

import asyncio
import random
from pathlib import Path

from bot.content import load_content, storable
from tests import stored
from tests.drivers import JOURNEY_CHANNELS, load_world
from tests.drivers.core import CoreResident
from tests.journey import all_text, consent

CONTENT = Path(__file__).parent / "fixtures" / "content" / "polls.yaml"
KNOWN_TALLY = {"urguy": 3608, "detsky": 1500, "solnechny": 1200, "raduga": 900, "semeyny": 630}
PER_MESSENGER = 50  # voters through each messenger's fake; the web chat takes the rest
THROUGH_THE_PAGE = 200  # of the web chat's voters, those who send HTTP requests as the page does
CONCURRENCY = 200  # voters in flight at once (each channel's sample is in flight all at once)


async def vote(resident, option: str) -> None:
    await resident.send_text("/start poll-park_name")
    ballot = await consent(resident)
    assert any(f"vote:park_name:{option}" in m.payloads for m in ballot), all_text(ballot)
    thanks = await resident.press(f"vote:park_name:{option}")
    assert "голос учтён" in all_text(thanks)


async def vote_all(residents: list, options: list[str]) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(resident, option: str) -> None:
        async with gate:
            await vote(resident, option)

    await asyncio.gather(*(one(resident, option) for resident, option in zip(residents, options, strict=True)))


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
            through_the_channel = share if channel != "webchat" else THROUGH_THE_PAGE
            residents = [world.resident(number + n + 1) for n in range(through_the_channel)]
            residents += [CoreResident(world.app) for _ in range(share - through_the_channel)]
            number += share
            await vote_all(residents, choices[start:start + share])
            per_channel = await stored.grouped(world.app.db, "ballots", "channel")
            if channel == list(shares)[-1]:
                assert await stored.choices(world.app.db) == KNOWN_TALLY
        start += share
    assert start == len(choices) and per_channel == shares


async def test_a_phone_poll_counts_one_person_once_across_telegram_and_max(tmp_path):
    content = Path(__file__).parent / "fixtures" / "content" / "polls.yaml"
    phone = "+7 914 000-11-22"
    async with load_world("telegram")(tmp_path) as world:
        async with world.app.db.transaction() as tx:
            await tx.content.store(storable(load_content(content)))
        resident = world.resident(1)
        await resident.send_text("/start")
        await consent(resident)
        asked = await resident.send_text("/start poll-by_phone")
        assert "contact" in [r for m in asked for r in m.requests()]
        someone_else = await resident.send_contact("+79990001122", own=False)
        assert "не подтверждён" in all_text(someone_else)
        ballot = await resident.send_contact(phone)
        assert "vote:by_phone:yes" in [p for m in ballot for p in m.payloads]
        thanks = await resident.press("vote:by_phone:yes")
        assert "голос учтён" in all_text(thanks)
    async with load_world("max")(tmp_path) as world:
        resident = world.resident(2)
        await resident.send_text("/start")
        await consent(resident)
        await resident.send_text("/start poll-by_phone")
        refused = await resident.send_contact("8 (914) 000-11-22")
        assert "уже проголосовали" in all_text(refused)
        assert await stored.voters(world.app.db, "by_phone") == [("phone:+79140001122", "telegram")]


async def test_forgetting_a_phone_voter_keeps_the_vote_but_not_the_number(tmp_path):
    content = Path(__file__).parent / "fixtures" / "content" / "polls.yaml"
    async with load_world("telegram")(tmp_path) as world:
        async with world.app.db.transaction() as tx:
            await tx.content.store(storable(load_content(content)))
        resident = world.resident(1)
        await resident.send_text("/start poll-by_phone")
        await consent(resident)
        await resident.send_contact("+79140001122")
        await resident.press("vote:by_phone:no")
        await resident.send_text("/forget")
        await resident.press("priv:confirm")
        db = world.app.db
        rows = await stored.rows(db, "ballots", "voter_key", "resident_id")
        assert len(rows) == 1 and rows[0][1] is None and "79140001122" not in rows[0][0]
        assert await stored.count(db, "ballot_choices") == 1
        kept = await stored.values(db, "deletions", "kept")
        assert '"votes_without_voter": 1' in kept[0]
