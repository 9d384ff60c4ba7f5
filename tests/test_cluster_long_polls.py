"""VK's and MAX's long polls run once per token when two bots share one database, and move to the
other bot when the polling one stops. Two ``Application``s in this process, each with its own
database connections and its own holder id, as two processes would have, against the fake VK
and the fake MAX on loopback (the subprocess tests with SIGKILL are in tests/test_cluster.py)."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable

import pytest

from bot.app import Application
from tests import stored
from tests.drivers import eventually, test_settings
from tests.drivers.max import MaxResident, max_environment
from tests.drivers.vk import VkResident, vk_environment
from tests.fakes.max import FakeMax
from tests.fakes.vk import FakeVk

LEASE = 3.0


class Fakes:
    """What the residents of the drivers read: the fake as ``world.fake``."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake


def vk_case() -> tuple[Any, Callable[..., dict[str, str]], Callable[[Any, int], dict[str, Any]]]:
    fake = FakeVk()

    def update(world: Fakes, n: int) -> dict[str, Any]:
        return VkResident(world, 600_000 + n).message_new("Начать")
    return fake, lambda f, **env: vk_environment(f, "longpoll", SOUCHASTIE_VK_WAIT_SECONDS="1", **env), update


def max_case() -> tuple[Any, Callable[..., dict[str, str]], Callable[[Any, int], dict[str, Any]]]:
    fake = FakeMax()

    def update(world: Fakes, n: int) -> dict[str, Any]:
        return MaxResident(world, 700_000 + n, f"Житель {n}").started()
    return fake, max_environment, update


def processed(path: Path, channel: str) -> int:
    """How many of the channel's stored events are processed; 0 while any is not (an update may
    carry several events)."""
    done = [at is not None for (at,) in stored.InFile(path).rows("inbox", "processed_at", channel=channel)]
    return len(done) if all(done) else 0


@pytest.mark.parametrize("channel", ["vk", "max"])
async def test_two_bots_on_one_database_poll_once_and_the_other_takes_over_at_a_clean_stop(tmp_path, channel):
    fake, environment, update = vk_case() if channel == "vk" else max_case()
    await fake.start()
    world = Fakes(fake)
    settings = test_settings(tmp_path, SOUCHASTIE_WEBCHAT_ENABLED="false",
                             SOUCHASTIE_CLUSTER_LEASE_SECONDS=str(LEASE), **environment(fake))
    first, second = Application(settings), Application(settings)
    running = [first, second]
    path = settings.storage.path
    try:
        await first.start()
        await second.start()
        fake.push(update(world, 1))
        before = await eventually(lambda: processed(path, channel), timeout=20)
        await asyncio.sleep(LEASE)  # renewals, and the standby asking, while one polls
        assert fake.most_polling == 1
        leaders = [app for app in (first, second) if any(lease.leading for lease in app.leaderships
                                                          if lease.name.startswith(f"receive:{channel}:"))]
        assert leaders == [first]  # the first to start took it at once

        running.remove(first)
        await first.stop()  # releases the lease: the other takes it without waiting for it to expire
        fake.push(update(world, 2))
        await eventually(lambda: processed(path, channel) > before, timeout=LEASE / 3 + 20)
        lease = stored.InFile(path).rows("leases", "holder", order_by="name")
        assert any(holder == second.holder for (holder,) in lease)
    finally:
        for app in running:
            await app.stop()
        await fake.stop()
