"""Polls as residents meet them: voting once, the kinds of votes, bad and stale input, results."""
from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.content import ContentError, load_content
from tests import postgres, stored
from tests.drivers import load_content_into
from tests.drivers.webchat import world as webchat_world
from tests.journey import all_text, last_buttons, onboard

pytestmark = pytest.mark.both_engines  # a journey: on SQLite and on PostgreSQL (tests/conftest.py)

CONTENT = Path(__file__).parent / "fixtures" / "content" / "polls.yaml"


async def load(app, path: Path = CONTENT) -> None:
    await load_content_into(app, path)


@pytest.fixture
async def world(tmp_path):
    async with webchat_world(tmp_path) as running:
        await load(running.app)
        yield running


async def tally(world, key: str) -> dict[str, int]:
    _, chosen = await world.app.db.reader.statistics.poll_tally(key)
    return {option: times for option, (times, _) in chosen.items()}


async def test_the_menu_offers_polls_while_some_are_open(world):
    resident = world.resident()
    menu = await onboard(resident)
    assert "menu:polls" in last_buttons(menu)
    listing = await resident.press("menu:polls")
    assert {"poll:park_name", "poll:zones", "poll:rate", "poll:best3"} <= set(last_buttons(listing))
    assert "poll:territory" not in last_buttons(listing)  # closed


async def test_a_poster_deep_link_leads_straight_to_the_vote_after_consent(world):
    resident = world.resident()
    greeting = await resident.send_text("/start poll-park_name")
    assert "consent:yes" in last_buttons(greeting)
    await resident.press("consent:yes")
    ballot = await resident.press("lang:ru")
    assert "vote:park_name:urguy" in last_buttons(ballot)
    thanks = await resident.press("vote:park_name:urguy")
    assert "голос учтён" in all_text(thanks)
    assert "Итоги объявим" in all_text(thanks)  # results only after closing
    assert await tally(world, "park_name") == {"urguy": 1}
    assert (await stored.values(world.app.db, "residents", "first_source"))[0] == "poll-park_name"


async def test_a_second_vote_is_refused_and_changes_no_tally(world):
    resident = world.resident()
    await onboard(resident)
    await resident.press("menu:polls")
    await resident.press("poll:park_name")
    await resident.press("vote:park_name:urguy")
    again = await resident.send_text("/start poll-park_name")
    assert "уже проголосовали" in all_text(again) and "Ургуй" in all_text(again)
    replay = await resident.press("vote:park_name:detsky")  # the old ballot's button
    assert "прошлого сообщения" in all_text(replay)
    assert await tally(world, "park_name") == {"urguy": 1}


async def test_a_vote_after_closing_an_unknown_option_and_a_forged_payload_change_nothing(world):
    resident = world.resident()
    await onboard(resident)
    closed = await resident.send_text("/start poll-territory")
    assert "закрыто" in all_text(closed)
    await resident.press("menu:polls")
    await resident.press("poll:park_name")
    unknown = await resident.press("vote:park_name:casino")
    assert "Такого варианта нет" in all_text(unknown) and "vote:park_name:urguy" in last_buttons(unknown)
    other_poll = await resident.press("vote:zones:skate")
    assert "прошлого сообщения" in all_text(other_poll)
    junk = await resident.press("vote:park_name")
    assert "Такого варианта нет" in all_text(junk)
    assert await tally(world, "park_name") == {} and await tally(world, "zones") == {}
    assert await tally(world, "territory") == {}


async def test_multiple_choice_keeps_to_the_limit_and_can_be_changed_while_open(world):
    resident = world.resident()
    await onboard(resident)
    await resident.send_text("/start poll-zones")
    await resident.press("vote:zones:playground")
    await resident.press("vote:zones:skate")
    refused = await resident.press("vote:zones:stage")
    assert "не больше 2" in all_text(refused)
    done = await resident.press("vote:zones:_done")
    assert "голос учтён" in all_text(done) and "Площадка — 1" in all_text(done)
    await resident.send_text("/start poll-zones")
    await resident.press("vote:zones:stage")
    changed = await resident.press("vote:zones:_done")
    assert "изменён" in all_text(changed)
    assert await tally(world, "zones") == {"stage": 1}


async def test_scores_for_every_option_and_a_top_three(world):
    resident = world.resident()
    await onboard(resident)
    await resident.send_text("/start poll-rate")
    await resident.press("vote:rate:lake:5")
    wrong = await resident.press("vote:rate:lake:4")  # the lake is already rated: now the café
    assert "Такого варианта нет" in all_text(wrong)
    result = await resident.press("vote:rate:cafe:2")
    assert "Пруд — 5.0 из 5" in all_text(result)
    await resident.send_text("/start poll-best3")
    await resident.press("vote:best3:c")
    await resident.press("vote:best3:a")
    podium = await resident.press("vote:best3:d")
    assert "В — 3 баллов" in all_text(podium) and "Г — 1 баллов" in all_text(podium)


async def test_a_phone_poll_in_a_web_chat_alone_without_sms_says_so_and_leads_to_the_menu(world):
    resident = world.resident()
    await onboard(resident)
    answer = await resident.send_text("/start poll-by_phone")
    assert "номер подтвердить нельзя, а других способов сейчас нет" in all_text(answer)
    assert last_buttons(answer) == ["nav:menu"]


async def test_concurrent_votes_of_one_resident_never_double_count(world):
    resident = world.resident()
    await onboard(resident)
    await resident.send_text("/start poll-park_name")
    await asyncio.gather(*(resident.press("vote:park_name:raduga") for _ in range(10)))
    assert await tally(world, "park_name") == {"raduga": 1}


async def test_one_ballot_per_voter_is_enforced_by_the_database_itself(world):
    def insert_twice() -> None:  # another process, bypassing our code entirely
        db = stored.InFile(world.app.settings.storage.path)
        db.insert("ballots", poll_id=1, voter_key="phone:+7999", channel="vk", cast_at="x")
        with pytest.raises(sqlite3.IntegrityError):
            db.insert("ballots", poll_id=1, voter_key="phone:+7999", channel="max", cast_at="y")
    await asyncio.to_thread(insert_twice)


async def test_results_of_a_closed_poll_go_once_to_subscribers_of_results(world, tmp_path):
    from handlers.polls import announce_due_results

    fan, other = world.resident(), world.resident()
    for resident in (fan, other):
        await onboard(resident)
    await fan.press("menu:subscriptions")
    await fan.press("sub:results")
    await fan.send_text("/start poll-zones")
    await fan.press("vote:zones:skate")
    await fan.press("vote:zones:_done")
    closed = tmp_path / "closed.yaml"
    closed.write_text(CONTENT.read_text(encoding="utf-8").replace("closes: 2099-01-01T00:00:00+09:00",
                                                                  "closes: 2021-01-01T00:00:00+09:00"),
                      encoding="utf-8")
    await load(world.app, closed)  # "zones" has now closed
    # The scheduler's own run may come first: either way the results go exactly once.
    await announce_due_results(world.app.dispatcher, world.app.dispatcher.texts)
    await announce_due_results(world.app.dispatcher, world.app.dispatcher.texts)
    news = [m.text for m in await fan.later(timeout=5)]
    news += [m.text for m in await fan.later(timeout=1)]
    zones = [text for text in news if text.startswith("Итоги «Что важнее? До двух»")]
    assert len(zones) == 1 and "Скейт — 1 (100%)" in zones[0]
    assert await other.later(timeout=0) == []


def test_a_bad_content_file_names_the_line_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("polls:\n  - key: Bad Key\n    title: {ru: x}\n    options: []\n"
                   "    opens: 2020-01-01T00:00:00+09:00\n    closes: 2021-01-01T00:00:00+09:00\n", encoding="utf-8")
    with pytest.raises(ContentError) as problem:
        load_content(bad)
    text = str(problem.value)
    assert f"{bad}:2: polls[0].key" in text and f"{bad}:4: polls[0].options" in text


def test_survey_skip_logic_must_go_forward(tmp_path):
    bad = tmp_path / "loop.yaml"
    bad.write_text("""surveys:
  - key: s
    title: {ru: s}
    opens: 2020-01-01T00:00:00+09:00
    closes: 2099-01-01T00:00:00+09:00
    questions:
      - {key: a, type: text, text: {ru: a}}
      - {key: b, type: single, text: {ru: b}, next: {x: a},
         options: [{key: x, title: {ru: x}}, {key: y, title: {ru: y}}]}
""", encoding="utf-8")
    with pytest.raises(ContentError, match="переходы только вперёд"):
        load_content(bad)


async def test_a_bad_file_loaded_from_the_cli_changes_nothing(tmp_path):
    import os
    import subprocess
    import sys

    from tests.drivers import ROOT

    env = {**os.environ, **postgres.bot_environment(tmp_path / "c.db")}
    good = subprocess.run([sys.executable, "-m", "bot", "content", "load", str(ROOT / "content" / "campaign.yaml")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert good.returncode == 0 and "4 голосования" in good.stdout
    bad = tmp_path / "bad.yaml"
    campaign = (ROOT / "content" / "campaign.yaml").read_text(encoding="utf-8")
    bad.write_text(campaign.replace("kind: multiple", "kind: many"), encoding="utf-8")
    refused = subprocess.run([sys.executable, "-m", "bot", "content", "load", str(bad)],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "polls[2].kind" in refused.stderr and "ничего не изменено" in refused.stderr
    assert stored.InFile(tmp_path / "c.db").values("content_items", "poll_kind", kind="polls", key="zones") == [
        "multiple"]
