"""Polls, quizzes, surveys and contests live in one table since migration 0021: a database of
the release before, with items of every kind whose ids collide (each kind had its own), keeps
every ballot, attempt, response, work and vote attached to the item it belonged to."""
from __future__ import annotations

import json

from storage.content import StoredItem
from storage.database import Database
from storage.ports.content import ContentKind
from tests.stored import database_at_version, put

STAMP = "2026-06-01T00:00:00+00:00"
LATER = "2026-07-01T00:00:00+00:00"
SURVEY = {"key": "opinion", "title": {"ru": "Опрос"}, "questions": [
    {"key": "visits", "type": "single", "text": {"ru": "Часто?"}, "options": [{"key": "often"}]},
    {"key": "why", "type": "text", "text": {"ru": "Почему?"}}]}


def _old_database(path):
    """Release 20: two polls, a quiz, a survey and a contest, numbered 1 and 2 within their own
    tables; residents 1 and 2 took part in each."""
    old = database_at_version(path, 20)
    for resident in (1, 2):
        put(old, "residents", id=resident, channel="vk", external_id=f"u{resident}", display_name=f"Житель {resident}",
            created_at=STAMP)
    # Polls: 1 'territory' (results already sent), 2 'park_name'.
    put(old, "polls", id=1, key="territory", kind="single", definition='{"key": "territory"}', opens_at=STAMP,
        closes_at=STAMP, results_sent_at=STAMP, updated_at=STAMP)
    put(old, "polls", id=2, key="park_name", kind="top3", definition='{"key": "park_name"}', opens_at=STAMP,
        closes_at=STAMP, updated_at=STAMP)
    put(old, "ballots", id=1, poll_id=2, voter_key="phone:+79140000001", resident_id=1, channel="vk", cast_at=STAMP)
    put(old, "ballots", id=2, poll_id=2, voter_key="resident:2", resident_id=2, channel="vk", cast_at=STAMP)
    put(old, "ballots", id=3, poll_id=1, voter_key="resident:2", resident_id=2, channel="vk", cast_at=STAMP)
    for ballot_id, option_key, score in [(1, "urguy", 3), (1, "detsky", 2), (2, "urguy", 3), (3, "north", 1)]:
        put(old, "ballot_choices", ballot_id=ballot_id, option_key=option_key, score=score)
    # Quizzes: 1 'history' (the same id as poll 1).
    put(old, "quizzes", id=1, key="history", definition='{"key": "history"}', opens_at=STAMP, closes_at=LATER,
        updated_at=STAMP)
    put(old, "quiz_attempts", quiz_id=1, resident_id=1, score=4, answered=5, on_leaderboard=1, leaderboard_name="Аня",
        started_at=STAMP, finished_at=STAMP)
    # Surveys: 1 'opinion'.
    put(old, "surveys", id=1, key="opinion", definition=json.dumps(SURVEY, ensure_ascii=False), opens_at=STAMP,
        closes_at=LATER, updated_at=STAMP)
    put(old, "survey_responses", id=7, survey_id=1, resident_id=2, channel="vk",
        answers=json.dumps({"visits": "often"}), current="why", started_at=STAMP)
    # Contests: 1 'drawings' with two approved works; resident 2 voted for work 11.
    put(old, "contests", id=1, key="drawings", definition='{"key": "drawings"}', opens_at=STAMP, closes_at=STAMP,
        voting_opens_at=STAMP, voting_closes_at=STAMP, updated_at=STAMP)
    for entry, text in ((10, "Парк с озером"), (11, "Качели у пруда")):
        put(old, "contest_entries", id=entry, contest_id=1, resident_id=1, channel="vk", category="drawing",
            age_group="any", text=text, status="approved", created_at=STAMP, moderated_by="admin")
    put(old, "contest_votes", contest_id=1, category="drawing", voter_key="resident:2", resident_id=2, entry_id=11,
        cast_at=STAMP)
    old.commit()
    old.close()


async def test_an_upgraded_database_keeps_every_vote_answer_and_work_with_its_own_item(tmp_path):
    path = tmp_path / "souchastie.db"
    _old_database(path)
    db = await Database.open(path)
    try:
        reader = db.reader
        found = {(kind, key): await reader.content.get(kind, key) for kind, key in (
            (ContentKind.POLLS, "territory"), (ContentKind.POLLS, "park_name"), (ContentKind.QUIZZES, "history"),
            (ContentKind.SURVEYS, "opinion"), (ContentKind.CONTESTS, "drawings"))}
        assert all(found.values())
        ids = {item[0] for item in found.values()}
        assert len(ids) == 5, "one id space: no two items share an id"
        territory = found[ContentKind.POLLS, "territory"][0]
        park = found[ContentKind.POLLS, "park_name"][0]
        quiz = found[ContentKind.QUIZZES, "history"][0]
        survey = found[ContentKind.SURVEYS, "opinion"][0]
        contest = found[ContentKind.CONTESTS, "drawings"][0]

        park_tally = await reader.polls.tally(park)
        assert park_tally.voters == 2 and park_tally.points == {"urguy": 6, "detsky": 2}
        assert (await reader.polls.tally(territory)).counts == {"north": 1}
        assert await reader.polls.ballot(park, "resident:2") == [("urguy", 3)]
        assert await reader.content.polls_to_announce(LATER) == ["park_name"], "territory's results went out"

        attempt = await reader.quizzes.attempt(quiz, 1)
        assert attempt is not None and (attempt.score, attempt.answered, attempt.finished) == (4, 5, True)
        assert await reader.quizzes.leaderboard(quiz) == [("Аня", 4)]
        assert await reader.quizzes.attempt(territory, 1) is None, "the poll of the same old id has no attempts"

        assert [(s.entry.id, s.votes) for s in await reader.contests.results(contest)] == [(11, 1), (10, 0)]
        assert await reader.contests.votes_of(contest, "resident:2") == {"drawing": 11}
        assert [e.id for e in (await reader.contests.search("озеро"))[0]] == [10]
        assert [c.key for c in await reader.contests.overview()] == ["drawings"]

        # The survey's response resumes where it was, and its answers are indexed as they come.
        async with db.transaction() as tx:
            response = await tx.surveys.begin(survey, 2, "vk", "visits")
            assert (response.id, response.current, response.answers) == (7, "why", {"visits": "often"})
            response.answers["why"] = "Нет скамеек"
            response.completed = True
            await tx.surveys.save(response)
        found_responses, total = await reader.surveys.search("скамейка")
        assert total == 1 and found_responses[0].survey_key == "opinion"
        assert await reader.surveys.completed_count(survey) == 1
    finally:
        await db.close()


async def test_after_the_upgrade_items_update_in_place_and_forgetting_still_reaches_votes_and_scores(tmp_path):
    path = tmp_path / "souchastie.db"
    _old_database(path)
    db = await Database.open(path)
    try:
        quiz, _ = await db.reader.content.get(ContentKind.QUIZZES, "history")
        park, _ = await db.reader.content.get(ContentKind.POLLS, "park_name")
        async with db.transaction() as tx:
            # The same key of another kind is another item; storing an existing one keeps its id.
            await tx.content.store([
                StoredItem(ContentKind.SURVEYS, "history", json.dumps({"key": "history"}),
                           {"opens_at": STAMP, "closes_at": LATER}),
                StoredItem(ContentKind.QUIZZES, "history", json.dumps({"key": "history", "v": 2}),
                           {"opens_at": STAMP, "closes_at": LATER})])
        again, definition = await db.reader.content.get(ContentKind.QUIZZES, "history")
        assert again == quiz and json.loads(definition)["v"] == 2
        assert (await db.reader.content.get(ContentKind.SURVEYS, "history"))[0] not in (quiz, park)
        assert await db.reader.quizzes.leaderboard(quiz) == [("Аня", 4)]
        assert (await db.reader.content.open_counts("2026-06-15T00:00:00+00:00"))["quizzes"] == 1

        async with db.transaction() as tx:
            await tx.residents.delete(1)
        assert await db.reader.quizzes.leaderboard(quiz) == [], "a forgotten resident leaves the board"
        assert await db.reader.polls.ballot(park, "phone:+79140000001") is None, "their phone is out of the ballot"
        assert (await db.reader.polls.tally(park)).voters == 2, "the vote itself still counts"
    finally:
        await db.close()


async def test_the_content_store_keeps_each_kind_to_its_own_times_and_columns(tmp_path):
    db = await Database.open(tmp_path / "fresh.db")
    try:
        week = {"opens_at": STAMP, "closes_at": "2026-06-08T00:00:00+00:00"}
        async with db.transaction() as tx:
            await tx.content.store([
                StoredItem(ContentKind.POLLS, "park", '{"key": "park"}', week, {"poll_kind": "single"}),
                StoredItem(ContentKind.CONTESTS, "park", '{"key": "park"}',
                           {**week, "voting_opens_at": "2026-06-10T00:00:00+00:00",
                            "voting_closes_at": "2026-06-20T00:00:00+00:00"})])
            for wrong in (StoredItem(ContentKind.SURVEYS, "s", "{}", week, {"poll_kind": "single"}),
                          StoredItem(ContentKind.QUIZZES, "q", "{}", {"opens_at": STAMP}),
                          StoredItem("ballots", "b", "{}", week)):  # type: ignore[arg-type]
                try:
                    await tx.content.store([wrong])
                except ValueError:
                    pass
                else:
                    raise AssertionError(f"stored {wrong}")
        content = db.reader.content
        during_voting = "2026-06-15T00:00:00+00:00"
        assert await content.open_at(ContentKind.CONTESTS, during_voting) == ['{"key": "park"}']
        assert await content.open_at(ContentKind.POLLS, during_voting) == []
        assert await content.open_counts(during_voting) == {"polls": 0, "quizzes": 0, "surveys": 0,
                                                           "contests": 1, "episodes": 0}
        assert await content.contests_voted(during_voting) == []
        assert await content.contests_voted(LATER) == ['{"key": "park"}']
        assert await content.polls_to_announce(during_voting) == ["park"]
        async with db.transaction() as tx:
            assert await tx.content.mark_poll_announced("park")
            assert not await tx.content.mark_poll_announced("park"), "results go out once"
        assert await content.polls_to_announce(LATER) == []
        poll_id, _ = await content.get(ContentKind.POLLS, "park")
        assert await content.definition(ContentKind.POLLS, poll_id) == '{"key": "park"}'
        assert await content.definition(ContentKind.CONTESTS, poll_id) is None, "an id names one kind's item"
    finally:
        await db.close()
