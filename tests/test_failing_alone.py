"""An event whose processing fails fails alone (issue 10, point 1).

The issue's attack: one resident's message made the batch write fail, recording the failure
raised again, and every event queued behind it failed too: 40 innocent web-chat residents got
500s. Here 40 residents walk the start of a proposal in rounds of 41 concurrent requests while
one resident sends a message that fails in every round; nobody else may notice.
"""
from __future__ import annotations

import asyncio
import secrets
import uuid
from typing import Any

import pytest

from bot.core.filters import command
from bot.core.routing import Router
from tests import stored
from tests.drivers.webchat import API, world as webchat_world
from tests.journey import onboard

SORRY = "не удалось обработать"
# What each innocent sends, and a payload its answer must offer: the start of a proposal (their
# browser reports no language, so it is asked).
INNOCENT_STEPS = [({"text": "/start"}, "consent:yes"), ({"button": "consent:yes"}, "lang:ru"),
                  ({"button": "lang:ru"}, "menu:propose"), ({"button": "menu:propose"}, "nav:cancel"),
                  ({"text": "Поставить скамейки у пруда и фонарь"}, "prop:confirm"),
                  ({"text": "У главного входа в парк"}, "prop:confirm")]


async def post(world, session: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """One web-chat request, as the page sends it; any status is returned, none asserted."""
    message = {"session": session, "id": uuid.uuid4().hex, **body}
    async with world.http.post(world.base + API, json=message) as response:
        if response.content_type != "application/json":  # a 500 from aiohttp itself
            return response.status, {"body": await response.text()}
        return response.status, await response.json()


def payloads(answer: dict[str, Any]) -> list[str]:
    return [b.get("payload") for r in answer.get("replies", []) for row in r["buttons"] for b in row]


def texts(answer: dict[str, Any]) -> str:
    return "\n".join(r["text"] for r in answer.get("replies", []))


async def storm(world, poisoned_session: str, poison: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """40 innocents take the proposal's first steps, each round with one poisoned request among
    them; asserts that every innocent got its normal answer; returns the poisoned answers."""
    innocents = [secrets.token_hex(16) for _ in range(40)]
    poisoned = []
    for body, expected in INNOCENT_STEPS:
        *answers, bad = await asyncio.gather(*(post(world, s, body) for s in innocents),
                                             post(world, poisoned_session, poison))
        poisoned.append(bad)
        for status, answer in answers:
            assert status == 200, answer
            assert expected in payloads(answer) and SORRY not in texts(answer), answer
    return poisoned


async def test_a_lone_surrogate_in_a_proposal_disturbs_nobody_and_is_stored_repaired(tmp_path):
    """The issue's own poison: the raw JSON escape "\\ud800" typed at the proposal's text step."""
    async with webchat_world(tmp_path) as world:
        attacker = world.resident()
        await onboard(attacker)
        await attacker.press("menu:propose")
        answers = await storm(world, attacker.session, {"text": "Сделайте \ud800 тут фонтан, пожалуйста"})
        assert all(status == 200 and SORRY not in texts(answer) for status, answer in answers), answers
        assert "prop:confirm" in payloads(answers[0][1])  # the text was taken, repaired
        assert await stored.count(world.app.db, "inbox", error=stored.SET) == 0


class Unprintable(Exception):
    def __str__(self) -> str:
        raise ValueError("this exception cannot describe itself")


@pytest.mark.parametrize("failure, reason", [
    # A message quoting text that cannot be stored, as the failure record did.
    (RuntimeError("could not read the answer 'тут \ud800 фонтан'"),
     "RuntimeError: could not read the answer 'тут \ufffd фонтан'"),
    (Unprintable(), "Unprintable (its message could not be rendered)"),
], ids=["unstorable-message", "unprintable-message"])
async def test_an_event_that_fails_gets_a_plain_reply_and_the_others_in_its_batch_do_not_notice(
        tmp_path, failure, reason):
    broken = Router("broken")

    @broken.on(command("boom"))
    async def explode(ctx, argument):
        await ctx.db.subscriptions.subscribe(ctx.resident.id, "news")  # rolled back with the failure
        raise failure

    async with webchat_world(tmp_path) as world:
        dispatcher = world.app.dispatcher
        dispatcher.routers = (broken, *dispatcher.routers)
        attacker = world.resident()
        await onboard(attacker)
        answers = await storm(world, attacker.session, {"text": "/boom"})

        for status, answer in answers:
            assert status == 200 and SORRY in texts(answer) and "ещё раз" in texts(answer), answer
        db = world.app.db
        rows = await stored.rows(db, "inbox", "error", "processed_at", error=stored.SET)
        outcomes = [(error, processed_at is not None) for error, processed_at in rows]
        assert outcomes == [(reason, True)] * len(INNOCENT_STEPS)
        assert await stored.count(db, "subscriptions") == 0
        assert await stored.count(db, "inbox", processed_at=None) == 0


@pytest.mark.sqlite_only("the one write lock of a database file")
async def test_when_even_the_failure_cannot_be_written_the_request_is_answered_try_again(tmp_path):
    """Another process holds the database's write lock (a backup, the CLI): nothing can be
    written, not even the failure. The request is answered at once with 503 and the plain
    reason, nothing waits forever, and the same message goes through once the lock is gone."""
    async with webchat_world(tmp_path, SOUCHASTIE_STORAGE_BUSY_TIMEOUT_MS="50") as world:
        resident = world.resident()
        with stored.InFile(tmp_path / "souchastie.db").write_locked():  # another process holds the lock
            body = {"session": resident.session, "id": "same-message", "text": "/start"}
            async with world.http.post(world.base + API, json=body) as response:
                refused = response.status, await response.json(), response.headers.get("Retry-After")
        status, answer, retry_after = refused
        assert status == 503 and retry_after, answer
        assert answer["error"] == "not_processed" and SORRY in answer["reason"]

        again = await resident.post({"text": "/start"}, message_id="same-message")
        assert "consent:yes" in payloads(again) and not again["duplicate"]
