"""Two bot processes on one database (issue 15): what the batch worker relies on when another
process may handle the same resident or the same stored event at the same moment. On SQLite the
write lock serialises whole transactions; on PostgreSQL the rows are locked (``FOR UPDATE``),
and a stored event another transaction is processing is skipped (``SKIP LOCKED``)."""
from __future__ import annotations

import asyncio

from storage.ports.proposals import NewProposal
from tests import stored
from tests.contract.conftest import Backend

REF = ("webchat", "f" * 64)


async def _held_transaction(backend: Backend, work, inside: asyncio.Event, release: asyncio.Event):
    async with backend.db.transaction() as tx:
        result = await work(tx)
        inside.set()
        await release.wait()
        return result


async def test_two_processes_changing_one_resident_lose_neither_change(backend: Backend) -> None:
    async with backend.db.transaction() as tx:
        await tx.residents.get_or_create_many([REF])
    other = await backend.another()
    try:
        async def bump(tx):
            resident = (await tx.residents.get_or_create_many([REF]))[REF]
            resident.state_data["n"] = resident.state_data.get("n", 0) + 1
            await tx.residents.save_states([resident])

        async def bump_in_other() -> None:
            async with other.transaction() as tx:
                await bump(tx)

        inside, release = asyncio.Event(), asyncio.Event()
        first = asyncio.ensure_future(_held_transaction(backend, bump, inside, release))
        await inside.wait()
        second = asyncio.ensure_future(bump_in_other())
        await asyncio.sleep(0.3)  # the other process reads meanwhile (or waits for the lock)
        release.set()
        await asyncio.gather(first, second)
        resident = await backend.db.reader.residents.find(*REF)
        assert resident is not None and resident.state_data == {"n": 2}
    finally:
        await other.close()


async def test_a_stored_event_is_taken_by_one_process_only(backend: Backend) -> None:
    async with backend.db.transaction() as tx:
        stored = await tx.inbox.store_many([("webchat", "update-1", "{}")])
    inbox_id = stored[("webchat", "update-1")]
    other = await backend.another()
    try:
        async def take(tx):
            open_ = await tx.inbox.still_unprocessed([inbox_id])
            if open_:
                await tx.inbox.mark_processed_many(list(open_))
            return open_

        async def take_in_other() -> set[int]:
            async with other.transaction() as tx:
                return await take(tx)

        inside, release = asyncio.Event(), asyncio.Event()
        first = asyncio.ensure_future(_held_transaction(backend, take, inside, release))
        await inside.wait()
        second = asyncio.ensure_future(take_in_other())
        await asyncio.sleep(0.3)
        release.set()
        taken = await asyncio.gather(first, second)
        assert taken == [{inbox_id}, set()]
    finally:
        await other.close()


async def test_two_processes_meeting_a_new_resident_at_once_make_one(backend: Backend) -> None:
    other = await backend.another()
    try:
        async def meet(database) -> int:
            async with database.transaction() as tx:
                return (await tx.residents.get_or_create_many([REF]))[REF].id

        inside, release = asyncio.Event(), asyncio.Event()

        async def meet_held(tx) -> int:
            return (await tx.residents.get_or_create_many([REF]))[REF].id

        first = asyncio.ensure_future(_held_transaction(backend, meet_held, inside, release))
        await inside.wait()
        second = asyncio.ensure_future(meet(other))
        await asyncio.sleep(0.3)
        release.set()
        ids = await asyncio.gather(first, second)
        assert ids[0] == ids[1]
    finally:
        await other.close()


async def test_proposal_revisions_become_visible_in_the_order_they_are_given(backend: Backend) -> None:
    """The similar-proposals index and the public page read "above the last revision seen": a
    revision given earlier but committed later would never be read."""
    async with backend.db.transaction() as tx:
        author = (await tx.residents.get_or_create_many([REF]))[REF].id
    other = await backend.another()
    try:
        def new(text: str) -> NewProposal:
            return NewProposal(resident_id=author, channel="webchat", source=None, category="idea", text=text)

        async def propose_held(tx) -> int:
            return await tx.proposals.create(new("Скамейки у пруда"))

        async def propose_in_other() -> int:
            async with other.transaction() as tx:
                return await tx.proposals.create(new("Фонари в аллее"))

        inside, release = asyncio.Event(), asyncio.Event()
        first = asyncio.ensure_future(_held_transaction(backend, propose_held, inside, release))
        await inside.wait()
        second = asyncio.ensure_future(propose_in_other())
        await asyncio.sleep(0.3)
        release.set()
        earlier, later = await asyncio.gather(first, second)
        revisions = {n: (await stored.values(backend.db, "proposals", "revision", id=n))[0] for n in (earlier, later)}
        assert revisions[earlier] < revisions[later], revisions
    finally:
        await other.close()
