"""VK's long-poll ``ts`` is kept in the database, so the process that takes the poll over — on
another machine, which cannot read the files of the one before — goes on where that one stored:
no update skipped, none answered twice. And a ``ts`` an earlier release left in its state file is
carried over once, then the file is left alone.

Two ``Application``s on one database (on SQLite and on PostgreSQL), each with its own state file
in its own folder (two machines), against the fake VK on loopback; the lease's hand-over itself
is tested in tests/test_cluster_long_polls.py."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.app import Application
from tests import stored
from tests.drivers import eventually, test_settings, wait_handled
from tests.drivers.vk import VkResident, vk_environment
from tests.fakes.vk import FakeVk

pytestmark = pytest.mark.both_engines  # several processes share PostgreSQL in production (tests/conftest.py)

LEASE = 3.0


class Fakes:
    """What the residents of the drivers read: the fake as ``world.fake``."""

    def __init__(self, fake: FakeVk) -> None:
        self.fake = fake


def machine(tmp_path: Path, fake: FakeVk, name: str):
    """One bot process on its own machine: the shared database, its own local folder."""
    return Application(test_settings(
        tmp_path, SOUCHASTIE_WEBCHAT_ENABLED="false", SOUCHASTIE_CLUSTER_LEASE_SECONDS=str(LEASE),
        SOUCHASTIE_VK_LONGPOLL_STATE_FILE=str(tmp_path / name / "vk-longpoll.json"),
        **vk_environment(fake, "longpoll", SOUCHASTIE_VK_WAIT_SECONDS="1")))


def kept(tmp_path: Path) -> list[str]:
    return stored.InFile(tmp_path / "souchastie.db").values("inbox", "update_id", order_by="id", channel="vk")


def greetings(fake: FakeVk, user_id: int) -> int:
    return len([m for m in fake.sent_to(user_id) if m["keyboard"]])


async def test_the_bot_on_another_machine_goes_on_from_the_ts_the_first_stored(tmp_path, storage_engine):
    fake = FakeVk()
    await fake.start()
    residents = [VkResident(Fakes(fake), 610_000 + n) for n in range(3)]  # type: ignore[arg-type]
    first, second = machine(tmp_path, fake, "machine-a"), machine(tmp_path, fake, "machine-b")
    running: list[Application] = []
    try:
        await first.start()
        running.append(first)
        await eventually(lambda: fake.requested_ts, timeout=30)  # polling from VK's ts of then
        stored_first = residents[0].message_new("/start")
        fake.push(stored_first)
        await wait_handled(first, "vk", stored_first["event_id"], timeout=20)
        await eventually(lambda: fake.acknowledged >= 1, timeout=20)  # the batch's ts is saved and asked for
        await first.stop()  # the machine is gone; its lease is released
        running.remove(first)

        missed = [r.message_new("/start") for r in residents[1:]]  # VK keeps them for whoever polls next
        for update in missed:
            fake.push(update)
        asked_before = len(fake.requested_ts)
        await second.start()
        running.append(second)
        for update in missed:
            await wait_handled(second, "vk", update["event_id"], timeout=20)
        assert fake.requested_ts[asked_before] == 1  # from the stored ts, not VK's current one
    finally:
        for app in running:
            await app.stop()
        await fake.stop()

    assert sorted(kept(tmp_path)) == sorted(u["event_id"] for u in [stored_first, *missed])
    assert [greetings(fake, r.user_id) for r in residents] == [1, 1, 1]
    assert not (tmp_path / "machine-a").exists() and not (tmp_path / "machine-b").exists()  # no files


async def test_an_earlier_releases_state_file_is_carried_over_once_and_then_left_alone(tmp_path, storage_engine):
    fake = FakeVk()
    await fake.start()
    resident = VkResident(Fakes(fake), 620_000)  # type: ignore[arg-type]
    handled_before = resident.message_new("/start")  # the earlier release stored this one
    waiting = resident.message_new("/help")           # and this one came while it was upgraded
    fake.push(handled_before)
    fake.push(waiting)
    old_file = tmp_path / "old" / "vk-longpoll.json"
    old_file.parent.mkdir()
    old_file.write_text(json.dumps({"group_id": fake.group_id, "ts": "1"}), encoding="utf-8")
    app = machine(tmp_path, fake, "old")
    try:
        await app.start()
        await wait_handled(app, "vk", waiting["event_id"], timeout=20)
        await eventually(lambda: fake.acknowledged >= 2, timeout=20)
        assert fake.requested_ts[0] == 1
        assert kept(tmp_path) == [waiting["event_id"]]
        assert stored.InFile(tmp_path / "souchastie.db").values("poll_positions", "value", channel="vk") == ["2"]
        assert json.loads(old_file.read_text(encoding="utf-8"))["ts"] == "1"  # never written again
    finally:
        await app.stop()

    old_file.write_text(json.dumps({"group_id": fake.group_id, "ts": "0"}), encoding="utf-8")
    later = resident.message_new("спасибо")
    fake.push(later)
    asked_before = len(fake.requested_ts)
    app = machine(tmp_path, fake, "old")
    try:
        await app.start()
        await wait_handled(app, "vk", later["event_id"], timeout=20)
        assert fake.requested_ts[asked_before] == 2  # the database's ts: the file is read only once
    finally:
        await app.stop()
        await fake.stop()
    assert kept(tmp_path) == [waiting["event_id"], later["event_id"]]
