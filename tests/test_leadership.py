"""Work under a lease (bot/leadership.py) on a real database file shared by two "processes": two
databases opened on the same file, each with its own connections, as two bot processes have.

What a cluster relies on: of two asking at once exactly one wins; the work runs in one of them
at a time; it moves to the other when its holder stops renewing (dies) or stops cleanly; and a
holder that has lost its lease stops its work. No timing is asserted beyond generous bounds that
are part of correctness (the lease's time)."""
from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.leadership import Leadership, holder_id, lease_name
from storage.database import Database
from tests.drivers import eventually
from tests.process import ROOT

TTL = 0.9


@asynccontextmanager
async def two_processes(tmp_path: Path) -> AsyncIterator[tuple[Database, Database]]:
    first = await Database.open(tmp_path / "cluster.db")
    second = await Database.open(tmp_path / "cluster.db", migrate=False)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


class Watch:
    """Work that notes how many copies of it run at once, and the most ever."""

    def __init__(self) -> None:
        self.running: set[str] = set()
        self.most = 0
        self.runs: list[str] = []

    def work(self, who: str):
        async def run() -> None:
            self.running.add(who)
            self.runs.append(who)
            self.most = max(self.most, len(self.running))
            try:
                await asyncio.Event().wait()
            finally:
                self.running.discard(who)
        return run


async def test_of_two_processes_asking_at_once_exactly_one_wins(tmp_path):
    async with two_processes(tmp_path) as (first, second):
        async def ask(db: Database, name: str, holder: str) -> bool:
            async with db.transaction() as tx:
                return await tx.leases.acquire(name, holder, 60)

        for round_ in range(30):
            name = f"send:telegram:{round_}"
            won = await asyncio.gather(ask(first, name, "a:1:x"), ask(second, name, "b:2:y"))
            assert sorted(won) == [False, True], (round_, won)
            lease = await first.reader.leases.holder(name)
            assert lease is not None and lease.holder == ("a:1:x" if won[0] else "b:2:y")


async def test_a_single_process_has_the_work_running_when_start_returns(tmp_path):
    async with two_processes(tmp_path) as (db, _):
        watch = Watch()
        alone = Leadership(db, "scheduler", holder_id(), watch.work("a"), TTL)
        await alone.start()
        try:
            assert alone.leading and watch.running == {"a"}
        finally:
            await alone.stop()
        assert watch.running == set() and await db.reader.leases.holder("scheduler") is None


async def test_the_work_runs_in_one_process_and_moves_when_its_holder_dies(tmp_path):
    async with two_processes(tmp_path) as (first, second):
        watch = Watch()
        a = Leadership(first, "receive:telegram:x", "a:1:x", watch.work("a"), TTL)
        b = Leadership(second, "receive:telegram:x", "b:2:y", watch.work("b"), TTL)
        await a.start()
        await b.start()
        try:
            await asyncio.sleep(TTL * 2)  # several renewals, and several asks of the standby
            assert watch.running == {"a"} and watch.runs == ["a"]
            await first.close()  # "a" can no longer reach the database: it stops, and renews no more
            died = asyncio.get_running_loop().time()
            await eventually(lambda: watch.running == {"b"}, timeout=3 * TTL)
            took = asyncio.get_running_loop().time() - died
            print(f"takeover after {took:.2f} s with a lease of {TTL} s")
            assert watch.runs == ["a", "b"] and watch.most == 1
        finally:
            await b.stop()
            await a.stop()


async def test_a_clean_stop_hands_the_work_over_without_waiting_for_the_lease_to_expire(tmp_path):
    async with two_processes(tmp_path) as (first, second):
        watch = Watch()
        a = Leadership(first, "scheduler", "a:1:x", watch.work("a"), 6.0)
        b = Leadership(second, "scheduler", "b:2:y", watch.work("b"), 6.0)
        await a.start()
        await b.start()
        try:
            assert watch.running == {"a"}
            await a.stop()
            await eventually(lambda: watch.running == {"b"}, timeout=6.0 / 3 + 3)  # not the whole lease
            assert watch.most == 1
        finally:
            await b.stop()


async def test_a_holder_that_lost_its_lease_stops_its_work(tmp_path):
    async with two_processes(tmp_path) as (first, second):
        watch = Watch()
        a = Leadership(first, "send:max:x", "a:1:x", watch.work("a"), TTL)
        await a.start()
        try:
            assert watch.running == {"a"}
            async with second.transaction() as tx:  # what a takeover after an expiry amounts to
                assert await tx.leases.release("send:max:x", "a:1:x")
                assert await tx.leases.acquire("send:max:x", "c:3:z", 60)
            await eventually(lambda: watch.running == set(), timeout=3 * TTL)
            await asyncio.sleep(TTL)
            assert watch.running == set() and not a.leading  # and it stays stopped while the other holds it
        finally:
            await a.stop()
        lease = await second.reader.leases.holder("send:max:x")
        assert lease is not None and lease.holder == "c:3:z"  # a's stop released nothing of c's


async def test_a_renewal_held_up_by_another_writer_stops_the_work_until_it_is_confirmed(tmp_path):
    async with two_processes(tmp_path) as (first, second):
        watch = Watch()
        a = Leadership(first, "receive:max:x", "a:1:x", watch.work("a"), TTL)
        await a.start()
        try:
            assert watch.running == {"a"}
            async with second.transaction():  # another process writes for longer than a lease
                await eventually(lambda: watch.running == set(), timeout=TTL)  # before it could pass on
                await asyncio.sleep(TTL)
                assert watch.running == set()
            await eventually(lambda: watch.running == {"a"}, timeout=3 * TTL)  # confirmed again: resumed
            assert watch.most == 1
        finally:
            await a.stop()


def test_a_lease_on_a_token_never_names_the_token():
    token = "123456:TEST-fake-token_0123456789"
    name = lease_name("receive", "telegram", token)
    assert name.startswith("receive:telegram:") and token not in name and "123456" not in name
    assert name == lease_name("receive", "telegram", token) != lease_name("receive", "telegram", token + "x")
    assert lease_name("send", "telegram", token) != name


async def _holder_of_a_process_that_ended() -> str:
    """The holder id a bot process of this machine had, once that process has exited (SIGKILL or
    a crash leaves its lease in the table, as this one does)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from bot.leadership import holder_id; print(holder_id())",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    out, _ = await child.communicate()
    return out.decode().strip()


async def test_a_restarted_bot_takes_over_at_once_from_its_crashed_self_on_this_machine(tmp_path):
    async with two_processes(tmp_path) as (db, _):
        crashed = await _holder_of_a_process_that_ended()
        async with db.transaction() as tx:
            assert await tx.leases.acquire("scheduler", crashed, 3600)  # an hour: waiting it out would show
        watch = Watch()
        restarted = Leadership(db, "scheduler", holder_id(), watch.work("restarted"), TTL)
        await restarted.start()
        try:
            assert restarted.leading and watch.running == {"restarted"}
        finally:
            await restarted.stop()


async def test_a_living_holder_or_one_of_another_machine_is_waited_for(tmp_path):
    living = await asyncio.create_subprocess_exec(sys.executable, "-c", "import time; time.sleep(60)")
    ended = await _holder_of_a_process_that_ended()
    machine = ended.partition(":")[0]
    holders = {"alive here": f"{machine}:{living.pid}:0a0b0c0d",
               "ended elsewhere": "another-host/4026531836:" + ended.partition(":")[2],
               "ended, no namespace known": socket.gethostname() + ":" + ended.partition(":")[2]}
    try:
        async with two_processes(tmp_path) as (db, _):
            for name, holder in holders.items():
                async with db.transaction() as tx:
                    assert await tx.leases.acquire(name, holder, 3600)
                watch = Watch()
                waiting = Leadership(db, name, holder_id(), watch.work("me"), TTL)
                await waiting.start()
                try:
                    assert not waiting.leading and watch.runs == [], name
                    lease = await db.reader.leases.holder(name)
                    assert lease is not None and lease.holder == holder, name
                finally:
                    await waiting.stop()
    finally:
        living.kill()
        await living.wait()
