"""Survey waves through their ports: a response per resident per wave, a wave's reminder settled
once, its deliveries skipped for whoever answered the wave, drafts a crash left found, and the
answers counted per wave."""
from __future__ import annotations

from storage.ports.content import ContentKind
from storage.ports.repositories import Database
from storage.ports.surveys import REMINDER_BY
from tests.contract.helpers import Audience, content, resident

DEFINITION = {"key": "pulse", "questions": [{"key": "mood", "type": "scale"}, {"key": "safe", "type": "single"},
                                            {"key": "comment", "type": "text"}]}


async def answer(db: Database, survey: int, resident_id: int, wave: int, answers: dict, done: bool = True) -> int:
    async with db.transaction() as tx:
        response = await tx.surveys.begin(survey, resident_id, "webchat", "mood", wave=wave)
        response.answers = answers
        response.completed = done
        await tx.surveys.save(response)
        return response.id


async def test_each_wave_has_its_own_response_and_completion(db: Database) -> None:
    survey = await content(db, ContentKind.SURVEYS, "pulse", DEFINITION)
    anna = await resident(db, "anna")
    first = await answer(db, survey, anna.id, 1, {"mood": 4})
    second = await answer(db, survey, anna.id, 2, {"mood": 2}, done=False)
    assert first != second
    async with db.transaction() as tx:
        again = await tx.surveys.begin(survey, anna.id, "webchat", "mood", wave=1)
        assert (again.id, again.wave, again.completed, again.answers) == (first, 1, True, {"mood": 4})
    assert await db.reader.surveys.answered(survey, 1, anna.id)
    assert not await db.reader.surveys.answered(survey, 2, anna.id)  # started, not completed
    assert not await db.reader.surveys.answered(survey, 3, anna.id)
    assert await db.reader.surveys.completed_count(survey) == 1
    assert await db.reader.surveys.completed_count(survey, 2) == 0


async def test_a_wave_is_settled_once_and_who_answered_it_is_not_reminded(db: Database) -> None:
    survey = await content(db, ContentKind.SURVEYS, "pulse", DEFINITION)
    anna, boris = await resident(db, "anna"), await resident(db, "boris")
    async with db.transaction() as tx:
        await tx.subscriptions.subscribe(anna.id, "surveys")
        await tx.subscriptions.subscribe(boris.id, "surveys")
        broadcast, recipients = await tx.broadcasts.create(
            title="Волна 2", texts={"ru": "Открылась волна 2"}, buttons=[], media=[],
            audience=Audience(topic="surveys"), topic="surveys", status="draft", send_at=None,
            created_by=f"{REMINDER_BY}pulse:2")
    assert recipients == 2
    assert await db.reader.surveys.stray_reminder_drafts("9999") == [broadcast]
    await answer(db, survey, anna.id, 2, {"mood": 5})
    await answer(db, survey, boris.id, 1, {"mood": 3})  # another wave: still to be reminded
    async with db.transaction() as tx:
        assert await tx.surveys.settle_wave(survey, 2, broadcast)
        assert not await tx.surveys.settle_wave(survey, 2, None)
        assert await tx.surveys.skip_answered(survey, 2) == 1
    assert await db.reader.surveys.wave_settled(survey, 2) and not await db.reader.surveys.wave_settled(survey, 1)
    assert await db.reader.surveys.stray_reminder_drafts("9999") == []
    counts = await db.reader.broadcasts.counts(broadcast)
    assert (counts["pending"], counts["skipped"]) == (1, 1)
    await answer(db, survey, boris.id, 2, {"mood": 1})
    async with db.transaction() as tx:
        assert await tx.surveys.skip_answered(survey, 2, boris.id) == 1
    assert (await db.reader.broadcasts.counts(broadcast))["skipped"] == 2


async def test_answers_are_counted_per_wave(db: Database) -> None:
    survey = await content(db, ContentKind.SURVEYS, "pulse", DEFINITION)
    people = [await resident(db, name) for name in ("anna", "boris", "vera")]
    for person, mood, safe in zip(people, (4, 5, 3), ("partly", "partly", "no")):
        await answer(db, survey, person.id, 1, {"mood": mood, "safe": safe, "comment": f"Волна 1, {person.id}"})
    await answer(db, survey, people[0].id, 2, {"mood": 2, "safe": "yes"}, done=False)
    assert await db.reader.statistics.survey_wave_counts(survey) == {1: (3, 3), 2: (1, 0)}
    moods = await db.reader.statistics.survey_wave_answers(survey, "mood")
    assert (moods[1].respondents, moods[1].average, moods[1].counts) == (3, 4.0, {"4": 1, "5": 1, "3": 1})
    assert (moods[2].respondents, moods[2].average) == (1, 2.0)
    safe = await db.reader.statistics.survey_wave_answers(survey, "safe")
    assert safe[1].counts == {"partly": 2, "no": 1} and safe[1].average is None and safe[2].counts == {"yes": 1}
    texts = await db.reader.statistics.survey_wave_texts(survey, "comment", 2)
    assert texts == {1: [f"Волна 1, {people[2].id}", f"Волна 1, {people[1].id}"]}  # the newest two
    pages = [page async for page in db.reader.exports.survey_responses(survey, False, wave=2)]
    assert [[row["wave"] for row in page] for page in pages] == [[2]]
