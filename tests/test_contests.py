"""Contests as residents meet them: sending a work, which nobody sees before moderation; voting
once per category; stale, forged and unapproved votes refused; results once voting has closed."""
from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import postgres, stored
from tests.drivers import ROOT, load_content_into
from tests.drivers.webchat import world as webchat_world
from tests.journey import JPEG, all_text, last_buttons, onboard

CONTENT = Path(__file__).parent / "fixtures" / "content" / "quizzes_contests.yaml"
STALE = "прошлого сообщения"


async def load(app, path: Path = CONTENT) -> None:
    await load_content_into(app, path)


@pytest.fixture
async def world(tmp_path):
    async with webchat_world(tmp_path) as running:
        await load(running.app)
        yield running


async def enter(resident, category: str = "drawing", text: str | None = "Парк с озером и каруселью",
                photo: bool = True) -> int:
    """From the main menu to a work sent for review; returns the work's number."""
    listing = await resident.press("menu:contests")
    assert {"contest:drawings", "contest:spring"} <= set(last_buttons(listing))
    page = await resident.press("contest:drawings")
    assert {"cpage:drawings:enter", "cpage:drawings:vote"} <= set(last_buttons(page))
    categories = await resident.press("cpage:drawings:enter")
    assert "ccat:drawings:essay" in last_buttons(categories)
    ages = await resident.press(f"ccat:drawings:{category}")
    assert "cage:drawings:age_10_13" in last_buttons(ages)
    asked_photo = await resident.press("cage:drawings:age_10_13")
    assert "cskip:drawings:photo" in last_buttons(asked_photo)
    asked_text = await (resident.send_photo(JPEG) if photo else resident.press("cskip:drawings:photo"))
    assert ("cskip:drawings:text" in last_buttons(asked_text)) is photo
    sent = await (resident.send_text(text) if text is not None else resident.press("cskip:drawings:text"))
    assert "отправлена на проверку — после неё её увидят все" in all_text(sent), all_text(sent)
    return int(re.search(r"Работа №(\d+)", all_text(sent)).group(1))


async def moderate(world, entry_id: int, approve: bool = True) -> None:
    async with world.app.db.transaction() as tx:
        assert await tx.contests.decide(entry_id, "approved" if approve else "rejected") == "pending"


async def works_shown(resident, category: str = "drawing") -> list[dict]:
    """Open voting in ``category`` and return the replies as the web chat sends them (with media)."""
    await resident.press("menu:contests")
    await resident.press("contest:drawings")
    await resident.press("cpage:drawings:vote")
    data = await resident.post({"button": f"cvc:drawings:{category}"})
    return data["replies"]


def vote_buttons(replies: list[dict]) -> list[str]:
    return [b["payload"] for r in replies for row in r["buttons"] for b in row
            if b.get("payload", "").startswith("cv:")]


async def votes(world) -> dict[int, int]:
    return await stored.grouped(world.app.db, "contest_votes", "entry_id")


async def test_a_work_with_photo_and_text_waits_for_moderation_and_is_seen_only_once_approved(world):
    author, visitor = world.resident(), world.resident()
    await onboard(author)
    entry_id = await enter(author)
    work = await world.app.db.reader.contests.entry(entry_id)
    assert work.status == "pending" and work.file_key and work.text == "Парк с озером и каруселью"

    await onboard(visitor)
    before = await works_shown(visitor)
    assert "Работ пока нет" in "\n".join(r["text"] for r in before) and vote_buttons(before) == []

    await moderate(world, entry_id)
    after = await works_shown(visitor)
    shown = next(r for r in after if f"Работа №{entry_id}" in r["text"])
    assert "Парк с озером" in shown["text"] and "10–13 лет" in shown["text"]
    assert shown["media"] == [{"kind": "photo", "file_key": work.file_key, "url": ""}]
    assert vote_buttons(after) == [f"cv:drawings:{entry_id}"]


async def test_a_rejected_work_is_never_shown(world):
    author, visitor = world.resident(), world.resident()
    await onboard(author)
    rejected = await enter(author, text="Неподходящая работа")
    await moderate(world, rejected, approve=False)
    await onboard(visitor)
    assert vote_buttons(await works_shown(visitor)) == []


async def test_a_work_needs_a_photo_or_a_text(world):
    author = world.resident()
    await onboard(author)
    photo_only = await enter(author, text=None)
    assert (await world.app.db.reader.contests.entry(photo_only)).text == ""
    text_only = await enter(author, category="essay", text="Сочинение о парке", photo=False)
    assert (await world.app.db.reader.contests.entry(text_only)).file_key == ""

    await author.press("menu:contests")
    await author.press("contest:drawings")
    await author.press("cpage:drawings:enter")
    await author.press("ccat:drawings:essay")
    await author.press("cage:drawings:age_6_9")
    asked = await author.press("cskip:drawings:photo")
    assert "без фото нужен текст" in all_text(asked)
    forged_skip = await author.press("cskip:drawings:text")
    assert "хотя бы что-то одно" in all_text(forged_skip)
    too_long = await author.send_text("а" * 201)
    assert "Слишком длинно: 201" in all_text(too_long)
    cancelled = await author.press("nav:cancel")
    assert "не отправлена" in all_text(cancelled)
    assert await stored.count(world.app.db, "contest_entries") == 2


async def test_one_vote_per_category_and_unapproved_or_other_category_works_are_refused(world):
    author, voter = world.resident(), world.resident()
    await onboard(author)
    drawing, other_drawing = await enter(author), await enter(author, text="Ещё рисунок")
    essay = await enter(author, category="essay", text="Сочинение о парке", photo=False)
    pending = await enter(author, text="Ждёт проверки")
    for entry_id in (drawing, other_drawing, essay):
        await moderate(world, entry_id)

    await onboard(voter)
    shown = await works_shown(voter)
    assert vote_buttons(shown) == [f"cv:drawings:{drawing}", f"cv:drawings:{other_drawing}"]
    unapproved = await voter.press(f"cv:drawings:{pending}")
    assert "нельзя проголосовать" in all_text(unapproved)
    other_category = await voter.press(f"cv:drawings:{essay}")
    assert "нельзя проголосовать" in all_text(other_category)
    other_contest = await voter.press(f"cv:spring:{drawing}")
    assert STALE in all_text(other_contest)
    forged = await voter.press("cv:drawings:abc")
    assert "нельзя проголосовать" in all_text(forged)
    assert await votes(world) == {}

    counted = await voter.press(f"cv:drawings:{drawing}")
    assert f"голос за работу №{drawing}" in all_text(counted) and "cvc:drawings:essay" in last_buttons(counted)
    again = await works_shown(voter)
    assert f"уже проголосовали в этой номинации — за работу №{drawing}" in "\n".join(r["text"] for r in again)
    assert vote_buttons(again) == []
    second = await voter.press(f"cv:drawings:{other_drawing}")  # the button of the first showing
    assert f"уже проголосовали в этой номинации — за работу №{drawing}" in all_text(second)

    await voter.press("nav:menu")
    essays = await works_shown(voter, "essay")
    assert vote_buttons(essays) == [f"cv:drawings:{essay}"]
    await voter.press(f"cv:drawings:{essay}")
    assert await votes(world) == {drawing: 1, essay: 1}


async def test_results_per_category_are_shown_once_voting_has_closed(world, tmp_path):
    author, fans = world.resident(), [world.resident() for _ in range(3)]
    await onboard(author)
    first, second = await enter(author), await enter(author, text="Второй рисунок")
    for entry_id in (first, second):
        await moderate(world, entry_id)
    for fan, choice in zip(fans, (second, second, first)):
        await onboard(fan)
        await works_shown(fan)
        await fan.press(f"cv:drawings:{choice}")
    await works_shown(fans[2], "essay")  # looking at the works when voting closes
    page = await author.press("contest:drawings")
    assert "Итоги" not in all_text(page)

    closed = tmp_path / "closed.yaml"
    closed.write_text(CONTENT.read_text(encoding="utf-8").replace(
        "voting_closes: 2099-05-01", "voting_closes: 2021-05-01"), encoding="utf-8")
    await load(world.app, closed)
    await author.press("nav:menu")
    listing = await author.press("menu:contests")
    assert "contest:drawings" in last_buttons(listing)
    results = all_text(await author.press("contest:drawings"))
    assert "Итоги конкурса «Парк моей мечты»" in results
    assert results.index(f"1. Работа №{second} (10–13 лет) — голосов: 2") < results.index(
        f"2. Работа №{first} (10–13 лет) — голосов: 1")
    assert "Сочинение:\nРабот пока нет." in results
    late = await fans[2].press(f"cv:drawings:{second}")
    assert "не идёт" in all_text(late)
    assert await votes(world) == {second: 2, first: 1}


async def test_concurrent_votes_of_one_resident_in_one_category_count_once(world):
    author, voter = world.resident(), world.resident()
    await onboard(author)
    works = [await enter(author, text=f"Рисунок {n}") for n in range(3)]
    for entry_id in works:
        await moderate(world, entry_id)
    await onboard(voter)
    await works_shown(voter)
    answers = await asyncio.gather(*(voter.press(f"cv:drawings:{entry_id}") for entry_id in works * 3))
    assert sum("Ваш голос за работу" in all_text(a) for a in answers) == 1
    assert sum((await votes(world)).values()) == 1


async def test_staff_approve_and_reject_works_from_the_command_line_and_the_authors_are_told(world):
    author, voter, fan = world.resident(), world.resident(), world.resident()
    await onboard(author)
    kept, refused = await enter(author), await enter(author, text="Не по теме")

    def cli(*arguments: str) -> subprocess.CompletedProcess:
        env = {**os.environ, **postgres.bot_environment(world.app.settings.storage.path)}
        return subprocess.run([sys.executable, "-m", "bot", "contests", *arguments], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)

    approved = await asyncio.to_thread(cli, "approve", str(kept))
    assert approved.returncode == 0 and f"Работа № {kept} одобрена" in approved.stdout
    told = all_text(await author.later())  # the web chat reads the outbox itself: at once
    assert f"Ваша работа №{kept} на конкурс «Парк моей мечты» прошла проверку" in told
    unexplained = await asyncio.to_thread(cli, "reject", str(refused), "--reason", "  ")
    assert unexplained.returncode == 2 and "укажите причину" in unexplained.stderr
    rejected = await asyncio.to_thread(cli, "reject", str(refused), "--reason", "Работа не по теме конкурса.")
    assert rejected.returncode == 0 and f"Работа № {refused} отклонена" in rejected.stdout
    assert (f"Ваша работа №{refused} на конкурс «Парк моей мечты» не принята. Причина: Работа не по теме конкурса."
            in all_text(await author.later()))
    missing = await asyncio.to_thread(cli, "approve", "999")
    assert missing.returncode == 2 and "Конкурсной работы № 999 нет" in missing.stderr
    await onboard(voter)
    assert vote_buttons(await works_shown(voter)) == [f"cv:drawings:{kept}"]

    await onboard(fan)
    await fan.press("menu:subscriptions")
    await fan.press("sub:results")
    results = await asyncio.to_thread(cli, "results", "drawings", "--topic", "results")
    # The fan follows «results», the author sent works: the results reach both.
    assert results.returncode == 0 and "получателей 2" in results.stdout, results.stderr
    [broadcast] = await world.app.db.reader.broadcasts.recent(5)
    assert broadcast.audience["topic"] == "results" and broadcast.created_by == "cli"
    assert f"1. Работа №{kept} (10–13 лет) — голосов: 0" in broadcast.texts["ru"]
    assert (await asyncio.to_thread(cli, "results", "drawings", "--topic", "nosuch")).returncode == 2
    assert (await asyncio.to_thread(cli, "results", "nosuch")).returncode == 2
