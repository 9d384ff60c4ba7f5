"""The «ПАРКУ БЫТЬ!» series: each episode reaches the series' subscribers once, at its air time,
across restarts and downtime; anyone can ask for the latest episode."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.app import Application
from bot.cli import load_content_file
from bot.content import ContentError, load_content
from tests import stored
from tests.drivers import eventually, test_settings
from tests.drivers.webchat import WebChatResident, world as webchat_world
from tests.journey import all_text, last_buttons, onboard

FAST = {"SOUCHASTIE_EPISODES_CHECK_EVERY_SECONDS": "0.5"}


def now() -> datetime:
    return datetime.now(timezone.utc)


def series_file(tmp_path: Path, *episodes: tuple[int, datetime]) -> Path:
    """A content file with the series and these (number, air time) episodes."""
    lines = ["series:", "  - key: parku_byt", "    title: {ru: \"ПАРКУ БЫТЬ!\", en: \"The park will be!\"}",
             "    episodes:"]
    for number, air_at in episodes:
        lines += [f"      - number: {number}",
                  f"        title: {{ru: \"Серия про парк {number}\", en: \"Park episode {number}\"}}",
                  f"        description: {{ru: \"Описание {{{{ серии }}}} {number}\"}}",
                  f"        video_url: https://example.org/parku-byt/{number}",
                  f"        air_at: {air_at.isoformat(timespec='seconds')}"]
    path = tmp_path / f"series_{len(list(tmp_path.glob('series_*.yaml')))}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def subscriber(world) -> WebChatResident:
    resident = world.resident()
    await onboard(resident)
    await resident.press("menu:subscriptions")
    subscribed = await resident.press("sub:episodes")
    assert "✅ Мультсериал" in str(subscribed[-1].buttons)
    return resident


async def received(resident: WebChatResident, number: int, timeout: float = 20) -> list[str]:
    """The announcements of episode ``number`` this resident has been sent, waiting for the first."""
    found: list[str] = []

    async def arrived() -> bool:
        found.extend(m.text for m in await resident.later(timeout=1) if f"Серия про парк {number}" in m.text)
        return bool(found)
    await eventually(arrived, timeout)
    return found


def episode_state(tmp_path: Path) -> dict[int, tuple[bool, int | None]]:
    """number → (settled, broadcast id)."""
    found = stored.InFile(tmp_path / "souchastie.db").rows("episodes", "number", "announced_at", "broadcast_id")
    return {n: (announced_at is not None, broadcast) for n, announced_at, broadcast in found}


def live_broadcasts(tmp_path: Path) -> list[tuple[int, str]]:
    found = stored.InFile(tmp_path / "souchastie.db").rows("broadcasts", "id", "status", order_by="id")
    return [(broadcast_id, status) for broadcast_id, status in found if status != "cancelled"]


def all_done(tmp_path: Path) -> bool:
    return not {"pending", "sending"} & set(stored.InFile(tmp_path / "souchastie.db").grouped("deliveries", "status"))


async def test_an_episode_reaches_subscribers_at_its_air_time_and_nobody_else(tmp_path):
    async with webchat_world(tmp_path, **FAST) as world:
        fan, other = await subscriber(world), world.resident()
        await onboard(other)
        air_at = now() + timedelta(seconds=3)
        await load_content_file(world.app.settings, series_file(tmp_path, (1, air_at)))

        texts = await received(fan, 1)
        assert "Описание {{ серии }} 1" in texts[0] and "https://example.org/parku-byt/1" in texts[0]
        await eventually(lambda: all_done(tmp_path))
        assert await other.later(timeout=0) == []
        assert [m for m in await fan.later(timeout=1) if "Серия про парк" in m.text] == []
    created_at = stored.InFile(tmp_path / "souchastie.db").values("broadcasts", "created_at")[0]
    assert datetime.fromisoformat(created_at) >= air_at.replace(microsecond=0)  # not before its time
    assert len(texts) == 1 and len(live_broadcasts(tmp_path)) == 1


async def test_an_episode_scheduled_across_a_restart_is_announced_once(tmp_path):
    async with webchat_world(tmp_path, **FAST) as world:
        fan = await subscriber(world)
        air_at = now() + timedelta(seconds=4)
        await load_content_file(world.app.settings, series_file(tmp_path, (1, air_at)))
        await eventually(lambda: world.app.scheduler.has("episode:1"))
    assert episode_state(tmp_path) == {1: (False, None)}  # stopped before its air time
    await eventually(lambda: now() > air_at + timedelta(seconds=1), timeout=10)

    async with webchat_world(tmp_path, **FAST) as world:
        fan = WebChatResident(world.http, world.base, session=fan.session, last_id=fan.last_id)
        assert len(await received(fan, 1)) == 1
        await eventually(lambda: all_done(tmp_path))
    async with webchat_world(tmp_path, **FAST) as world:
        fan = WebChatResident(world.http, world.base, session=fan.session, last_id=fan.last_id)
        assert [m for m in await fan.later(timeout=1) if "Серия про парк" in m.text] == []
    assert len(live_broadcasts(tmp_path)) == 1


async def test_a_missed_episode_is_sent_once_at_start_within_the_grace_period_and_never_after_it(tmp_path):
    async with webchat_world(tmp_path) as world:
        fan = await subscriber(world)
    # Loaded while the bot is down: 1 aired an hour ago (grace: 12 h), 2 aired two days ago.
    settings = test_settings(tmp_path)
    await load_content_file(settings, series_file(tmp_path, (1, now() - timedelta(hours=1)),
                                                  (2, now() - timedelta(days=2))))
    async with webchat_world(tmp_path) as world:
        fan = WebChatResident(world.http, world.base, session=fan.session, last_id=fan.last_id)
        assert len(await received(fan, 1)) == 1
        await eventually(lambda: all_done(tmp_path))
        assert [m for m in await fan.later(timeout=1) if "Серия про парк" in m.text] == []
    state = episode_state(tmp_path)
    assert state[1][0] and state[1][1] is not None
    assert state[2] == (True, None)  # skipped: settled without a broadcast
    assert len(live_broadcasts(tmp_path)) == 1


async def test_two_starts_at_once_do_not_send_an_episode_twice(tmp_path):
    async with webchat_world(tmp_path) as world:
        await subscriber(world)
        await subscriber(world)
    await load_content_file(test_settings(tmp_path), series_file(tmp_path, (1, now() - timedelta(minutes=5))))
    first, second = Application(test_settings(tmp_path)), Application(test_settings(tmp_path))
    await asyncio.gather(first.start(), second.start())  # both find the missed episode at start
    try:
        await eventually(lambda: episode_state(tmp_path)[1][0])
        await eventually(lambda: all_done(tmp_path) and len(live_broadcasts(tmp_path)) == 1
                         and live_broadcasts(tmp_path)[0][1] == "done", timeout=20)
    finally:
        await second.stop()
        await first.stop()
    sent = stored.InFile(tmp_path / "souchastie.db").grouped("deliveries", "resident_id", status="sent")
    assert len(sent) == 2 and all(count == 1 for count in sent.values())


async def test_a_crash_between_making_and_releasing_an_announcement_sends_it_once(tmp_path):
    from broadcasts.audience import Audience
    from broadcasts.outbox import BroadcastSpec, create
    from storage.open import open_database

    async with webchat_world(tmp_path) as world:
        fan = await subscriber(world)
    settings = test_settings(tmp_path)
    await load_content_file(settings, series_file(tmp_path, (1, now() - timedelta(minutes=30))))
    db = await open_database(settings.storage.choice())  # the bot made its draft, then died
    try:
        draft, recipients = await create(db, BroadcastSpec("ПАРКУ БЫТЬ! #1", {"ru": "Серия про парк 1"},
                                                           Audience(topic="episodes")),
                                         created_by="episode:parku_byt:1", status="draft")
    finally:
        await db.close()
    assert recipients == 1
    stored.InFile(tmp_path / "souchastie.db").change("broadcasts", {"id": draft},
                                                     created_at=(now() - timedelta(minutes=2)).isoformat())

    async with webchat_world(tmp_path) as world:
        fan = WebChatResident(world.http, world.base, session=fan.session, last_id=fan.last_id)
        assert len(await received(fan, 1)) == 1
        await eventually(lambda: all_done(tmp_path))
        assert [m for m in await fan.later(timeout=1) if "Серия про парк" in m.text] == []
    assert stored.InFile(tmp_path / "souchastie.db").values("broadcasts", "status", id=draft) == ["cancelled"]
    assert len(live_broadcasts(tmp_path)) == 1


async def test_any_resident_can_ask_for_the_latest_episode(tmp_path):
    async with webchat_world(tmp_path) as world:
        resident = world.resident()
        menu = await onboard(resident)
        assert "menu:episode" not in last_buttons(menu)
        assert "ещё не выходили" in all_text(await resident.send_text("/episode"))

        await load_content_file(world.app.settings, series_file(
            tmp_path, (1, now() - timedelta(days=30)), (2, now() - timedelta(days=3)), (3, now() + timedelta(days=7))))
        latest = await resident.send_text("/episode")
        text = all_text(latest)
        assert "Серия про парк 2" in text and "https://example.org/parku-byt/2" in text
        assert "Серия про парк 3" not in text and "Подписки" in text  # not subscribed: told how
        # Back at the menu, which offers it once the menu's short cache (content loaded by
        # another process shows within storage.cache's five seconds) has seen the new series;
        # asked once a second, as a person would (the web chat takes 40 messages a minute).
        assert await eventually(lambda: _menu_offers_episode(resident), timeout=15, interval=1.0)
        assert "Серия про парк 2" in all_text(await resident.press("menu:episode"))


def test_a_bad_series_is_refused_with_its_line_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("""series:
  - key: parku_byt
    title: {ru: "ПАРКУ БЫТЬ!"}
    episodes:
      - number: 1
        title: {ru: "Один"}
        video_url: https://example.org/1
        air_at: 2026-06-25T19:00:00
      - number: 2
        title: {ru: "Два"}
        air_at: 2026-07-02T19:00:00+09:00
      - number: 3
        title: {ru: "Три"}
        video_url: "vk.com/video1"
        air_at: 2026-07-09T19:00:00+09:00
""", encoding="utf-8")
    with pytest.raises(ContentError) as problem:
        load_content(bad)
    text = str(problem.value)
    assert f"{bad}:8: series[0].episodes[0].air_at: укажите часовой пояс" in text
    assert f"{bad}:9: series[0].episodes[1]: эпизоду нужен video_url" in text
    assert f"{bad}:14: series[0].episodes[2].video_url: нужна ссылка" in text

    repeated = tmp_path / "repeated.yaml"
    repeated.write_text(bad.read_text(encoding="utf-8").replace("air_at: 2026-06-25T19:00:00\n",
                                                                "air_at: 2026-06-25T19:00:00+09:00\n")
                        .replace('        air_at: 2026-07-02', '        video_url: https://example.org/2\n'
                                 '        air_at: 2026-07-02')
                        .replace("number: 3", "number: 1").replace('"vk.com/video1"', "https://example.org/3"),
                        encoding="utf-8")
    with pytest.raises(ContentError,
                       match=r"repeated.yaml:2: series\[0\]: номера эпизодов должны быть разными; повторяются: 1"):
        load_content(repeated)

    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(series_file(tmp_path, (1, now())).read_text(encoding="utf-8")
                         .replace("    episodes:", "    topic: cartoons\n    episodes:"), encoding="utf-8")
    with pytest.raises(ContentError, match=r"elsewhere.yaml:4: series\[0\].topic: 'cartoons' — не тема подписки"):
        load_content(elsewhere, topics={"episodes", "news"})
    assert load_content(elsewhere).series[0].topic == "cartoons"  # checked only against a configuration


async def _menu_offers_episode(resident) -> bool:
    return "menu:episode" in last_buttons(await resident.send_text("/menu"))
