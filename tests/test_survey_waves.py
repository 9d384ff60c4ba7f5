"""«Срез мнений» every few months as waves of one survey: each wave answered once per resident,
subscribers reminded once when a wave opens (across restarts, never after answering or erasing),
a closed or forged wave changing nothing, and between waves the date of the next.

Time moves the way the episode tests move it: the content file is written with wave dates
relative to now and loaded again with the next wave a few seconds ahead, and the running bot's
own clock and scheduler open it."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.cli import load_content_file
from bot.content import ContentError, load_content
from storage.ports.content import ContentKind
from tests import stored
from tests.drivers import BotMessage, eventually, load_content_into, load_world, test_settings
from tests.drivers.webchat import WebChatResident, world as webchat_world
from tests.journey import all_text, last_buttons, onboard

FAST = {"SOUCHASTIE_SURVEYS_CHECK_EVERY_SECONDS": "0.5"}
WAVE_CHANNELS = ["webchat", "vk", "max", "telegram"]


def now() -> datetime:
    return datetime.now(timezone.utc)


def waves_file(tmp_path: Path, *starts: datetime, lasts: str = "1 hours", schedule: str = "") -> Path:
    """The «pulse» survey with waves starting at ``starts``, each lasting ``lasts`` (or with the
    lines of ``schedule`` under ``waves:``)."""
    dates = ", ".join(start.isoformat(timespec="seconds") for start in starts)
    schedule = schedule or f"      dates: [{dates}]\n      lasts: {lasts}"
    text = f"""surveys:
  - key: pulse
    title: {{ru: "Срез мнений: как меняется парк", en: "Opinion pulse"}}
    opens: 2020-01-01T00:00:00+09:00
    closes: 2099-01-01T00:00:00+09:00
    waves:
{schedule}
    questions:
      - key: mood
        type: scale
        text: {{ru: "Насколько вам нравится парк сейчас, от 1 до 5?", en: "How much do you like the park?"}}
      - key: safe
        type: single
        text: {{ru: "Чувствуете ли вы себя в парке в безопасности вечером?", en: "Safe in the evening?"}}
        options:
          - {{key: yes_safe, title: {{ru: "Да", en: "Yes"}}}}
          - {{key: partly, title: {{ru: "Не везде", en: "Not everywhere"}}}}
          - {{key: not_safe, title: {{ru: "Нет", en: "No"}}}}
      - key: comment
        type: text
        required: false
        text: {{ru: "Что изменилось с прошлого раза?", en: "What has changed?"}}
"""
    path = tmp_path / f"waves_{len(list(tmp_path.glob('waves_*.yaml')))}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def wave_one_open(tmp_path: Path) -> Path:
    """Wave 1 opened ten minutes ago; wave 2 tomorrow."""
    return waves_file(tmp_path, now() - timedelta(minutes=10), now() + timedelta(days=1))


def wave_two_opening(tmp_path: Path, seconds: float = 4) -> Path:
    """Wave 1 closes and wave 2 opens in ``seconds``."""
    switch = now() + timedelta(seconds=seconds)
    return waves_file(tmp_path, switch - timedelta(hours=1), switch)


async def heard(resident, phrase: str, timeout: float = 20) -> list[BotMessage]:
    """What the bot sent the resident on its own, until a message with ``phrase`` arrives."""
    received: list[BotMessage] = []

    async def arrived() -> bool:
        try:
            received.extend(await resident.later(1))
        except AssertionError:  # a messenger driver found nothing new within the second
            pass
        return phrase in all_text(received)

    await eventually(arrived, timeout)
    return received


async def quiet(resident, seconds: float = 1) -> list[BotMessage]:
    """What the bot sent on its own within ``seconds``: nothing is an empty list on every driver."""
    try:
        return await resident.later(seconds)
    except AssertionError:  # a messenger driver found nothing new
        return []


async def subscribe(resident) -> None:
    await resident.press("menu:subscriptions")
    subscribed = await resident.press("sub:surveys")
    assert "Срезы мнений" in all_text(subscribed)
    await resident.press("nav:menu")


async def responses(db) -> list[tuple[int, dict, bool]]:
    """(wave, answers, completed) of every response, in order."""
    rows = await stored.rows(db, "survey_responses", "wave", "answers", "completed_at", order_by="id")
    return [(wave, json.loads(answers), completed is not None) for wave, answers, completed in rows]


def all_sent(tmp_path: Path) -> bool:
    return not {"pending", "sending"} & set(stored.InFile(tmp_path / "souchastie.db").grouped("deliveries", "status"))


@pytest.fixture(params=WAVE_CHANNELS)
async def world(request, tmp_path):
    async with load_world(request.param)(tmp_path, **FAST) as running:
        yield running


async def test_a_subscriber_answers_each_wave_once_and_is_reminded_when_the_next_opens(world, tmp_path):
    resident = world.resident(3)
    await onboard(resident)
    await subscribe(resident)
    await load_content_into(world.app, wave_one_open(tmp_path))
    reminder = await heard(resident, "Открылась волна 1")
    assert "survey:pulse:1" in [p for m in reminder for p in m.payloads]

    await resident.press("menu:surveys")
    first = await resident.press("survey:pulse")
    assert "Волна 1 опроса «Срез мнений: как меняется парк»" in all_text(first)
    assert "sa:pulse:1:0:4" in last_buttons(first)
    await resident.press("sa:pulse:1:0:4")
    await resident.press("sa:pulse:1:1:partly")
    thanks = await resident.send_text("Стало светлее у пруда")
    assert "сохранены" in all_text(thanks) and "Следующая волна откроется" in all_text(thanks)

    await resident.press("menu:surveys")
    again = await resident.press("survey:pulse")
    assert "уже ответили на волну 1" in all_text(again)
    assert await responses(world.app.db) == [(1, {"mood": 4, "safe": "partly", "comment": "Стало светлее у пруда"},
                                              True)]

    await load_content_into(world.app, wave_two_opening(tmp_path))
    reminded = await heard(resident, "Открылась волна 2")
    assert "survey:pulse:2" in [p for m in reminded for p in m.payloads]

    closed = await resident.press("survey:pulse:1")  # wave 1's reminder, pressed late
    assert "Волна 1 опроса «Срез мнений: как меняется парк» закрыта" in all_text(closed)
    assert len(await responses(world.app.db)) == 1

    second = await resident.press("survey:pulse:2")
    assert "Волна 2" in all_text(second) and "sa:pulse:2:0:2" in last_buttons(second)
    forged = await resident.press("sa:pulse:1:0:5")  # a wave-1 button kept in the chat, or forged
    assert "из волны 1, а сейчас идёт волна 2" in all_text(forged) and "sa:pulse:2:0:2" in last_buttons(forged)
    await resident.press("sa:pulse:2:0:2")
    await resident.press("sa:pulse:2:1:not_safe")
    done = await resident.press("sa:pulse:2:2:_skip")
    assert "сохранены" in all_text(done) and "Следующая волна" not in all_text(done)  # the last wave
    assert await responses(world.app.db) == [
        (1, {"mood": 4, "safe": "partly", "comment": "Стало светлее у пруда"}, True),
        (2, {"mood": 2, "safe": "not_safe"}, True)]

    await eventually(lambda: all_sent(tmp_path))
    assert [m for m in await quiet(resident) if "Открылась волна" in m.text] == []
    reminders = await stored.rows(world.app.db, "survey_wave_reminders", "wave", "broadcast_id", order_by="wave")
    assert [wave for wave, broadcast in reminders if broadcast] == [1, 2]


async def test_between_waves_the_survey_says_when_the_next_opens_in_town_time(tmp_path):
    opens = datetime(2098, 1, 15, 1, 0, tzinfo=timezone.utc)  # 10:00 in Chita
    async with webchat_world(tmp_path) as world:
        await load_content_file(world.app.settings, waves_file(tmp_path, now() - timedelta(days=3), opens,
                                                               lasts="2 days"))
        resident = world.resident()
        await onboard(resident)
        listing = await resident.press("menu:surveys")
        assert "survey:pulse" in last_buttons(listing)
        between = await resident.press("survey:pulse")
        assert "следующая, 2-я, откроется 15.01.2098 10:00" in all_text(between)
        forged = await resident.press("survey:pulse:2")  # not open yet
        assert "Волна 2 опроса «Срез мнений: как меняется парк» закрыта" in all_text(forged)
        assert await stored.count(world.app.db, "survey_responses") == 0


async def test_a_wave_is_reminded_once_across_restarts(tmp_path):
    async with webchat_world(tmp_path, **FAST) as world:
        fan = world.resident()
        await onboard(fan)
        await subscribe(fan)
        await load_content_file(world.app.settings, wave_two_opening(tmp_path, seconds=5))
        await heard(fan, "Открылась волна 1")
        await eventually(lambda: world.app.scheduler.has("survey-wave:pulse:2"))
    opened = now() + timedelta(seconds=6)
    await eventually(lambda: now() > opened, timeout=15)  # wave 2 opened while the bot was down

    async with webchat_world(tmp_path, **FAST) as world:
        fan = WebChatResident(world.http, world.base, session=fan.session, last_id=fan.last_id)
        texts = [m.text for m in await heard(fan, "Открылась волна 2") if "Открылась волна" in m.text]
        assert len(texts) == 1
        await eventually(lambda: all_sent(tmp_path))
    async with webchat_world(tmp_path, **FAST) as world:
        fan = WebChatResident(world.http, world.base, session=fan.session, last_id=fan.last_id)
        assert [m for m in await quiet(fan, 2) if "Открылась волна" in m.text] == []
    made = stored.InFile(tmp_path / "souchastie.db").rows("broadcasts", "created_by", "status", order_by="id")
    assert [by for by, status in made if status != "cancelled"] == ["survey-wave:pulse:1", "survey-wave:pulse:2"]


async def test_no_reminder_to_who_answered_the_wave_already_or_erased_their_data(tmp_path):
    """The bot is down when wave 2 opens and its file is loaded; by the time it starts (and
    reminds) one subscriber has answered wave 2 in another process, another has erased their data."""
    async with webchat_world(tmp_path) as world:
        answered, erased, waiting = world.resident(), world.resident(), world.resident()
        for resident in (answered, erased, waiting):
            await onboard(resident)
            await subscribe(resident)
        await load_content_file(world.app.settings, waves_file(tmp_path, now() - timedelta(hours=3),
                                                               now() - timedelta(minutes=30)))
        # The check (every 60 s by default) has not run since: wave 2 is open, not yet reminded of.
        await answered.press("menu:surveys")
        await answered.press("survey:pulse")
        await answered.press("sa:pulse:2:0:5")
        await answered.press("sa:pulse:2:1:yes_safe")
        await answered.press("sa:pulse:2:2:_skip")
        await erased.send_text("/forget")
        await erased.press("priv:erase")
        assert await stored.count(world.app.db, "survey_wave_reminders") == 0
        sessions = {name: (r.session, r.last_id) for name, r in
                    (("answered", answered), ("erased", erased), ("waiting", waiting))}

    async with webchat_world(tmp_path) as world:  # the check at start settles wave 2
        def again(name: str) -> WebChatResident:
            session, last_id = sessions[name]
            return WebChatResident(world.http, world.base, session=session, last_id=last_id)

        await heard(again("waiting"), "Открылась волна 2")
        await eventually(lambda: all_sent(tmp_path))
        assert [m for m in await quiet(again("answered")) if "Открылась волна" in m.text] == []
    deliveries = stored.InFile(tmp_path / "souchastie.db").rows("deliveries", "status", "error", order_by="id")
    assert sorted(deliveries, key=str) == [("sent", None), ("skipped", "answered")]


async def test_erasure_removes_the_residents_answers_of_every_wave(tmp_path):
    async with webchat_world(tmp_path) as world:
        resident = world.resident()
        await onboard(resident)
        await load_content_file(world.app.settings, waves_file(tmp_path, now() - timedelta(hours=3),
                                                               now() + timedelta(days=1)))
        [resident_id] = await stored.values(world.app.db, "residents", "id")
        async with world.app.db.transaction() as tx:
            survey_id = (await tx.content.get(ContentKind.SURVEYS, "pulse"))[0]
            for wave in (1, 2):  # wave 1 answered three hours ago, wave 2 now
                response = await tx.surveys.begin(survey_id, resident_id, "webchat", "mood", wave=wave)
                response.answers = {"mood": wave + 2, "safe": "partly", "comment": f"Волна {wave}: фонарь у дома 5"}
                response.completed = True
                await tx.surveys.save(response)
        await resident.send_text("/forget")
        gone = await resident.press("priv:erase")
        assert "ответов на опросы — 2" in all_text(gone)
        assert await responses(world.app.db) == [(1, {"mood": 3, "safe": "partly"}, True),
                                                 (2, {"mood": 4, "safe": "partly"}, True)]
        assert await stored.values(world.app.db, "survey_responses", "resident_id") == [None, None]


def test_a_wave_schedule_is_checked_with_reasons_in_russian(tmp_path):
    def problems(schedule: str) -> str:
        with pytest.raises(ContentError) as error:
            load_content(waves_file(tmp_path, schedule=schedule), time_zone="Asia/Chita")
        return str(error.value)

    assert "не промежуток времени" in problems("      first: 2026-01-15T10:00\n      every: 3 fortnights\n"
                                               "      lasts: 14 days")
    assert "или first и every, или списком dates" in problems(
        "      first: 2026-01-15T10:00\n      every: 3 months\n      dates: [2026-02-01T10:00]\n      lasts: 1 days")
    assert "нужны оба поля" in problems("      first: 2026-01-15T10:00\n      lasts: 14 days")
    assert "волна 1 ещё идёт, когда начинается волна 2" in problems(
        "      dates: [2026-01-15T10:00, 2026-01-20T10:00]\n      lasts: 7 days")
    assert "по возрастанию" in problems("      dates: [2026-04-15T10:00, 2026-01-15T10:00]\n      lasts: 7 days")
    assert "раньше, чем открывается опрос" in problems("      dates: [2019-04-15T10:00]\n      lasts: 7 days")
    assert "укажите часовой пояс" in str(pytest.raises(ContentError, load_content, waves_file(
        tmp_path, schedule="      dates: [2026-04-15T10:00]\n      lasts: 7 days")).value)
    quarterly = waves_file(tmp_path, schedule="      first: 2026-01-31T10:00\n      every: 3 месяца\n"
                                              "      count: 4\n      lasts: 2 недели")
    survey = load_content(quarterly, time_zone="Asia/Chita").surveys[0]
    assert [(w.number, w.opens.strftime("%d.%m.%Y %H:%M"), w.closes.strftime("%d.%m")) for w in survey.all_waves()] == [
        (1, "31.01.2026 10:00", "14.02"), (2, "30.04.2026 10:00", "14.05"), (3, "31.07.2026 10:00", "14.08"),
        (4, "31.10.2026 10:00", "14.11")]


def test_the_shipped_campaign_has_a_quarterly_survey(tmp_path):
    settings = test_settings(tmp_path)
    content = load_content(Path(__file__).parents[1] / "content" / "campaign.yaml",
                           topics={t.key for t in settings.subscriptions.topics}, time_zone="Asia/Chita")
    pulse = next(s for s in content.surveys if s.key == "pulse")
    waves = pulse.all_waves()
    assert len(waves) >= 4 and pulse.topic == "surveys"
    assert all((b.opens - a.opens).days in range(89, 93) for a, b in zip(waves, waves[1:]))
