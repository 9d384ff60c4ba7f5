"""Core pieces on their own: texts, payloads, rendering within platform limits, storage."""
from __future__ import annotations

import asyncio

import pytest

from bot.core.channel import Capabilities
from bot.core.payloads import PayloadTooLong, decode, encode
from bot.core.rendering import fit, split_text
from bot.core.replies import Button, Reply, button_by_number
from handlers import LOCALES, get_routers
from storage.database import Database


def test_every_state_a_handler_moves_to_has_a_prompt():
    import re
    from pathlib import Path

    prompts = {state for router in get_routers() for state in router.prompts}
    source = "\n".join(p.read_text() for p in Path(LOCALES).parent.glob("*.py"))
    constants = dict(re.findall(r'^([A-Z_]+) = "([a-z:_]*)"', source, re.M))
    for group in re.findall(r'^[A-Z_, ]+ = \(\s*((?:"[a-z:_]+",?\s*)+)\)', source, re.M):
        for state in re.findall(r'"([a-z_]+:[a-z_]+)"', group):
            assert state in prompts, state
    for state in constants.values():
        if ":" in state or state in ("", "subscriptions", "privacy"):
            assert state in prompts, state


def test_payloads_fit_the_smallest_platform_limit_and_junk_decodes_to_nothing():
    assert decode(encode("cat", "idea")) == ("cat", ("idea",))
    with pytest.raises(PayloadTooLong):
        encode("x", "y" * 70)
    with pytest.raises(ValueError):
        encode("a:b")
    for junk in ["", ":", "ы", "x" * 65, None]:
        assert decode(junk or "") is None or decode(junk or "").namespace


def test_long_text_is_split_at_line_breaks_within_the_limit():
    text = "\n".join(f"Строка номер {n}" for n in range(1000))
    parts = split_text(text, 4096)
    assert all(len(p) <= 4096 for p in parts) and "\n".join(parts) == text


def test_buttons_are_reflowed_and_degrade_to_numbered_text_when_they_do_not_fit():
    reply = Reply(text="Выберите:", buttons=((Button(label="Очень длинная кнопка " * 5, payload="a:1"),
                                              Button(label="Б", payload="a:2"), Button(label="В", payload="a:3")),))
    narrow = fit(reply, Capabilities(max_buttons_per_row=2, max_button_label=20))
    assert [len(row) for row in narrow[-1].buttons] == [2, 1]
    assert all(len(b.label) <= 20 for row in narrow[-1].buttons for b in row)
    plain = fit(reply, Capabilities(inline_buttons=False))
    assert plain[-1].buttons == () and "2. Б" in plain[-1].text
    assert button_by_number(reply, "2").payload == "a:2"
    no_location = fit(Reply(text="Где?", buttons=((Button(label="📍", request="location"),),)),
                      Capabilities(request_location=False))
    assert no_location[-1].buttons == ()


async def test_concurrent_writers_never_see_database_is_locked(tmp_path):
    first = await Database.open(tmp_path / "db.sqlite")
    second = await Database.open(tmp_path / "db.sqlite")  # another process's connection

    async def write(db: Database, n: int) -> None:
        async with db.transaction() as tx:
            resident = await tx.residents.get_or_create("test", str(n))
            await tx.subscriptions.subscribe(resident.id, "news")

    await asyncio.gather(*(write(first if n % 2 else second, n) for n in range(400)))
    rows = await first.reader.residents._db.execute_fetchall("SELECT count(*) FROM subscriptions")
    assert rows[0][0] == 400
    await first.close()
    await second.close()


async def test_old_update_ids_are_forgotten_but_recent_ones_still_catch_retries(tmp_path):
    from bot.maintenance import prune_processed_updates

    db = await Database.open(tmp_path / "db.sqlite")
    async with db.transaction() as tx:
        await tx.inbox.store_many([("vk", "old", "{}"), ("vk", "new", "{}"), ("vk", "open", "{}")])
        for stamp, update_id in (("2020-01-01T00:00:00+00:00", "old"), ("2999-01-01T00:00:00+00:00", "new")):
            await tx.inbox._db.execute("UPDATE inbox SET processed_at = ? WHERE update_id = ?", (stamp, update_id))
    assert await prune_processed_updates(db, retention_days=30) == 1
    rows = await db.reader.inbox._db.execute_fetchall("SELECT update_id FROM inbox ORDER BY id")
    assert [r[0] for r in rows] == ["new", "open"]
    await db.close()
