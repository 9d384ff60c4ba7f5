"""Content items, polls (one vote per resident), quizzes, contests and surveys through their ports."""
from __future__ import annotations

import json

import pytest

from storage.ports.content import ContentKind, StoredItem
from storage.ports.repositories import Database
from tests.contract.helpers import OPEN, content, resident

PAST = {"opens_at": "2020-01-01T00:00:00+00:00", "closes_at": "2020-02-01T00:00:00+00:00"}
NOW = "2024-06-01T00:00:00+00:00"


async def test_content_items_are_stored_by_kind_and_key_and_updated_in_place(db: Database) -> None:
    poll = await content(db, ContentKind.POLLS, "park-name", {"key": "park-name", "v": 1})
    survey = await content(db, ContentKind.SURVEYS, "park-name", {"key": "park-name", "survey": True})
    assert poll != survey  # kinds are separate namespaces
    assert await content(db, ContentKind.POLLS, "park-name", {"key": "park-name", "v": 2}) == poll
    assert await db.reader.content.definition(ContentKind.POLLS, poll) == json.dumps({"key": "park-name", "v": 2})
    got = await db.reader.content.get(ContentKind.SURVEYS, "park-name")
    assert got == (survey, json.dumps({"key": "park-name", "survey": True}))
    assert await db.reader.content.get(ContentKind.QUIZZES, "park-name") is None
    assert await db.reader.content.definition(ContentKind.QUIZZES, poll) is None  # an id of another kind
    await content(db, ContentKind.POLLS, "benches")
    assert [json.loads(d)["key"] for d in await db.reader.content.all(ContentKind.POLLS)] == ["park-name", "benches"]


async def test_an_item_whose_times_do_not_fit_its_kind_is_refused(db: Database) -> None:
    with pytest.raises(ValueError):
        async with db.transaction() as tx:
            await tx.content.store([StoredItem(ContentKind.POLLS, "bad", "{}", {"opens_at": OPEN["opens_at"]})])
    with pytest.raises(ValueError):
        async with db.transaction() as tx:  # a poll has no voting period of its own
            await tx.content.store([StoredItem(ContentKind.POLLS, "bad", "{}",
                                               OPEN | {"voting_opens_at": "x", "voting_closes_at": "y"})])
    assert await db.reader.content.all(ContentKind.POLLS) == []


async def test_what_is_open_follows_the_stored_times(db: Database) -> None:
    await content(db, ContentKind.POLLS, "now", {"key": "now"})
    await content(db, ContentKind.POLLS, "over", {"key": "over"}, times=PAST)
    await content(db, ContentKind.QUIZZES, "quiz", {"key": "quiz"})
    await content(db, ContentKind.CONTESTS, "voting", {"key": "voting"}, times=PAST | {
        "voting_opens_at": "2024-01-01T00:00:00+00:00", "voting_closes_at": "2999-01-01T00:00:00+00:00"})
    assert [json.loads(d)["key"] for d in await db.reader.content.open_at(ContentKind.POLLS, NOW)] == ["now"]
    assert [json.loads(d)["key"] for d in await db.reader.content.open_at(ContentKind.CONTESTS, NOW)] == ["voting"]
    counts = await db.reader.content.open_counts(NOW)
    assert (counts["polls"], counts["quizzes"], counts["contests"], counts["surveys"]) == (1, 1, 1, 0)


async def test_a_closed_polls_results_are_announced_once(db: Database) -> None:
    await content(db, ContentKind.POLLS, "over", {"key": "over"}, times=PAST)
    await content(db, ContentKind.POLLS, "open", {"key": "open"})
    assert await db.reader.content.polls_to_announce(NOW) == ["over"]
    async with db.transaction() as tx:
        assert await tx.content.mark_poll_announced("over")
        assert not await tx.content.mark_poll_announced("over")
    assert await db.reader.content.polls_to_announce(NOW) == []


async def test_one_vote_per_resident_unless_changing_is_allowed(db: Database) -> None:
    poll = await content(db, ContentKind.POLLS, "name", extra={"poll_kind": "single"})
    anna, boris = await resident(db, "anna"), await resident(db, "boris")
    async with db.transaction() as tx:
        assert await tx.polls.ballot(poll, "webchat:anna") is None
        assert await tx.polls.cast(poll, "webchat:anna", anna.id, "webchat", [("urgui", 1)], False) == "cast"
        assert await tx.polls.cast(poll, "webchat:anna", anna.id, "webchat", [("sosnovy", 1)], False) == "already"
        assert await tx.polls.cast(poll, "webchat:boris", boris.id, "webchat", [("sosnovy", 1)], False) == "cast"
    assert await db.reader.polls.ballot(poll, "webchat:anna") == [("urgui", 1)]
    tally = await db.reader.polls.tally(poll)
    assert (tally.voters, tally.counts) == (2, {"urgui": 1, "sosnovy": 1})


async def test_a_changed_vote_replaces_the_ballot(db: Database) -> None:
    poll = await content(db, ContentKind.POLLS, "rating", extra={"poll_kind": "scores"})
    anna = await resident(db, "anna")
    async with db.transaction() as tx:
        await tx.polls.cast(poll, "k", anna.id, "webchat", [("a", 5), ("b", 3)], True)
        assert await tx.polls.cast(poll, "k", anna.id, "vk", [("b", 4)], True) == "changed"
    assert await db.reader.polls.ballot(poll, "k") == [("b", 4)]
    tally = await db.reader.polls.tally(poll)
    assert (tally.voters, tally.counts, tally.points) == (1, {"b": 1}, {"b": 4})


async def test_a_ballot_is_read_back_whole_in_the_transaction_that_cast_it(db: Database) -> None:
    poll = await content(db, ContentKind.POLLS, "top", extra={"poll_kind": "top3"})
    anna, boris = await resident(db, "anna"), await resident(db, "boris")
    async with db.transaction() as tx:
        assert await tx.polls.cast(poll, "a", anna.id, "webchat", [("x", 3), ("y", 2), ("z", 1)], False) == "cast"
        assert await tx.polls.ballot(poll, "a") == [("x", 3), ("y", 2), ("z", 1)]
        assert await tx.polls.cast(poll, "b", boris.id, "webchat", [("y", 3), ("x", 2), ("z", 1)], False) == "cast"
        tally = await tx.polls.tally(poll)
        assert (tally.voters, tally.points) == (2, {"x": 5, "y": 5, "z": 2})
        assert await tx.polls.cast(poll, "c", boris.id, "vk", [("z", 3)], False) == "cast"
    # What the transaction cast last, after its last read, is committed with it.
    assert await db.reader.polls.ballot(poll, "c") == [("z", 3)]
    assert (await db.reader.polls.tally(poll)).points == {"x": 5, "y": 5, "z": 5}


async def test_a_ballot_cast_in_a_transaction_rolled_back_leaves_nothing(db: Database) -> None:
    poll = await content(db, ContentKind.POLLS, "name", extra={"poll_kind": "single"})
    anna = await resident(db, "anna")
    try:
        async with db.transaction() as tx:
            assert await tx.polls.cast(poll, "a", anna.id, "webchat", [("x", 1)], False) == "cast"
            raise LookupError("the handler fails after the vote")
    except LookupError:
        pass
    assert await db.reader.polls.ballot(poll, "a") is None
    async with db.transaction() as tx:  # nothing of the rolled-back vote is written later either
        assert await tx.polls.cast(poll, "a", anna.id, "webchat", [("y", 1)], False) == "cast"
    assert await db.reader.polls.ballot(poll, "a") == [("y", 1)]


async def test_votes_in_one_poll_do_not_count_in_another(db: Database) -> None:
    first = await content(db, ContentKind.POLLS, "first", extra={"poll_kind": "single"})
    second = await content(db, ContentKind.POLLS, "second", extra={"poll_kind": "single"})
    anna = await resident(db, "anna")
    async with db.transaction() as tx:
        assert await tx.polls.cast(first, "k", anna.id, "webchat", [("a", 1)], False) == "cast"
        assert await tx.polls.cast(second, "k", anna.id, "webchat", [("a", 1)], False) == "cast"
    assert (await db.reader.polls.tally(second)).voters == 1


async def test_a_quiz_attempt_moves_one_question_at_a_time_to_the_leaderboard(db: Database) -> None:
    quiz = await content(db, ContentKind.QUIZZES, "trees")
    anna, boris = await resident(db, "anna"), await resident(db, "boris")
    async with db.transaction() as tx:
        assert await tx.quizzes.attempt(quiz, anna.id) is None
        attempt = await tx.quizzes.begin(quiz, anna.id)
        assert (await tx.quizzes.begin(quiz, anna.id)).id == attempt.id
        assert await tx.quizzes.answer(attempt.id, 0, True, False)
        assert not await tx.quizzes.answer(attempt.id, 0, True, False)  # already answered
        assert not await tx.quizzes.join_leaderboard(attempt.id, "Анна")  # not finished yet
        assert await tx.quizzes.answer(attempt.id, 1, True, True)
        assert await tx.quizzes.join_leaderboard(attempt.id, "Анна")
        other = await tx.quizzes.begin(quiz, boris.id)
        assert await tx.quizzes.answer(other.id, 0, False, True)
        assert await tx.quizzes.join_leaderboard(other.id, "Борис")
    finished = await db.reader.quizzes.attempt(quiz, anna.id)
    assert finished is not None and (finished.score, finished.answered, finished.finished) == (2, 2, True)
    assert finished.on_leaderboard
    assert await db.reader.quizzes.leaderboard(quiz) == [("Анна", 2), ("Борис", 0)]
    assert await db.reader.quizzes.leaderboard(quiz, size=1) == [("Анна", 2)]


async def test_a_contest_work_is_moderated_then_voted_for_once_per_category(db: Database) -> None:
    contest = await content(db, ContentKind.CONTESTS, "drawings")
    anna, boris = await resident(db, "anna"), await resident(db, "boris")
    async with db.transaction() as tx:
        work = await tx.contests.submit(contest, anna.id, "webchat", "drawing", "7-10", "Мой парк", "ab/1.jpg")
        rejected = await tx.contests.submit(contest, anna.id, "webchat", "drawing", "7-10", "Второй", "")
    assert [s.id for s in await db.reader.contests.submissions(contest, "pending")] == [work, rejected]
    async with db.transaction() as tx:
        with pytest.raises(ValueError):
            await tx.contests.decide(work, "pending")
        assert await tx.contests.decide(work, "approved", actor="mila") == "pending"
        assert await tx.contests.decide(work, "approved", actor="mila") is None
        assert await tx.contests.decide(rejected, "rejected", reason="не по теме", actor="mila") == "pending"
    assert [e.id for e in await db.reader.contests.approved(contest, "drawing")] == [work]
    assert await db.reader.contests.author(work) == ("webchat", "anna", "ru")
    assert await db.reader.contests.holds_photo("ab/1.jpg") and not await db.reader.contests.holds_photo("")
    async with db.transaction() as tx:
        assert await tx.contests.vote(contest, work, "drawing", "webchat:boris", boris.id) == "cast"
        assert await tx.contests.vote(contest, work, "drawing", "webchat:boris", boris.id) == "already"
        assert await tx.contests.vote(contest, rejected, "drawing", "webchat:anna", anna.id) == "not_votable"
    assert await db.reader.contests.votes_of(contest, "webchat:boris") == {"drawing": work}
    assert [(s.entry.id, s.votes) for s in await db.reader.contests.results(contest)] == [(work, 1)]
    overview = await db.reader.contests.overview()
    assert [(c.pending, c.approved, c.rejected) for c in overview] == [(0, 1, 1)]
    found, total = await db.reader.contests.search("парки", contest_id=contest)
    assert total == 1 and [e.id for e in found] == [work]


async def test_a_survey_response_is_saved_answer_by_answer_and_found_by_its_words(db: Database) -> None:
    definition = {"key": "opinion", "questions": [{"key": "why", "type": "text"}, {"key": "age", "type": "number"}]}
    survey = await content(db, ContentKind.SURVEYS, "opinion", definition)
    anna = await resident(db, "anna")
    async with db.transaction() as tx:
        response = await tx.surveys.begin(survey, anna.id, "webchat", "why")
        again = await tx.surveys.begin(survey, anna.id, "webchat", "why")
        assert again.id == response.id
        response.answers["why"] = "Нет скамеек у пруда"
        response.current = "age"
        await tx.surveys.save(response)
    assert await db.reader.surveys.completed_count(survey) == 0
    async with db.transaction() as tx:
        resumed = await tx.surveys.begin(survey, anna.id, "webchat", "why")
        assert (resumed.answers, resumed.current) == ({"why": "Нет скамеек у пруда"}, "age")
        resumed.answers["age"] = 40
        resumed.completed = True
        await tx.surveys.save(resumed)
    assert await db.reader.surveys.completed_count(survey) == 1
    found, total = await db.reader.surveys.search("скамейка", survey_id=survey)
    assert total == 1
    assert (found[0].survey_key, found[0].text_answers) == ("opinion", [("why", "Нет скамеек у пруда")])
    assert await db.reader.surveys.search("") == ([], 0)
