"""The lease port: one holder at a time, renewed by its holder, free again once expired or
released. Every backend must pass these: several bot processes coordinate through them."""
from __future__ import annotations

import asyncio

from storage.ports.repositories import Database

LONG = 60.0
SHORT = 0.2


async def acquire(db: Database, name: str, holder: str, ttl: float = LONG) -> bool:
    async with db.transaction() as tx:
        return await tx.leases.acquire(name, holder, ttl)


async def release(db: Database, name: str, holder: str) -> bool:
    async with db.transaction() as tx:
        return await tx.leases.release(name, holder)


async def test_a_free_lease_is_taken_and_then_refused_to_another(db: Database) -> None:
    assert await db.reader.leases.holder("receive:telegram:abc") is None
    assert await acquire(db, "receive:telegram:abc", "host:1:a")
    assert not await acquire(db, "receive:telegram:abc", "host:2:b")
    lease = await db.reader.leases.holder("receive:telegram:abc")
    assert lease is not None and lease.holder == "host:1:a" and lease.name == "receive:telegram:abc"
    assert lease.taken_at < lease.expires_at
    assert await acquire(db, "receive:vk:abc", "host:2:b")  # another name is another lease


async def test_the_holder_renews_and_keeps_when_it_took_it(db: Database) -> None:
    assert await acquire(db, "scheduler", "host:1:a", SHORT)
    first = await db.reader.leases.holder("scheduler")
    await asyncio.sleep(SHORT / 2)
    assert await acquire(db, "scheduler", "host:1:a", LONG)
    renewed = await db.reader.leases.holder("scheduler")
    assert first is not None and renewed is not None
    assert renewed.taken_at == first.taken_at and renewed.expires_at > first.expires_at
    await asyncio.sleep(SHORT * 2)  # past the first expiry: the renewal holds it
    assert not await acquire(db, "scheduler", "host:2:b")


async def test_an_expired_lease_goes_to_whoever_asks(db: Database) -> None:
    assert await acquire(db, "send:max:abc", "host:1:a", SHORT)
    await asyncio.sleep(SHORT * 2)
    assert await db.reader.leases.holder("send:max:abc") is None
    assert await acquire(db, "send:max:abc", "host:2:b")
    lease = await db.reader.leases.holder("send:max:abc")
    assert lease is not None and lease.holder == "host:2:b"
    assert not await acquire(db, "send:max:abc", "host:1:a")  # the old holder lost it


async def test_release_frees_it_only_for_its_holder(db: Database) -> None:
    assert await acquire(db, "scheduler", "host:1:a")
    assert not await release(db, "scheduler", "host:2:b")
    assert not await acquire(db, "scheduler", "host:2:b")
    assert await release(db, "scheduler", "host:1:a")
    assert await db.reader.leases.holder("scheduler") is None
    assert not await release(db, "scheduler", "host:1:a")
    assert await acquire(db, "scheduler", "host:2:b")
