"""/forget erases for real: nothing of the resident in the database file, its write-ahead log,
any row or the attachment store, whichever way they chose — and they still hear it is done."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import pytest

from bot.core.events import text_event
from bot.maintenance import forget_leftovers
from channels.webchat.channel import session_ref
from storage.attachment_references import FILE_KEY
from storage.database import Database
from storage.privacy import encoded
from tests import stored
from tests.drivers import eventually, load_content_into, load_world
from tests.drivers.webchat import API, world as webchat_world
from tests.drivers.whatsapp import webhook_body
from tests.journey import JPEG, all_text, last_buttons, onboard, propose, send_contest_work
from tests.stored import database_at_version, every_row, put

CONTENT = Path(__file__).parent / "fixtures" / "content"
# A word no other text of the bot holds, without letters the search index folds (й, ё).
SECRET = "Кворблзнякс"
PIECE = "блзнякс"  # what of it the search index keeps whatever word precedes it


async def no_reply_left(world) -> bool:
    return await stored.count(world.app.db, "outbox") == 0


async def files_on_disk(world) -> set[str]:
    root = world.app.settings.storage.attachments_dir
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


async def everywhere(world, needle: str) -> list[str]:
    """Every table and column whose value holds ``needle`` (as text or as bytes, so the search
    index's blobs count too)."""
    return await stored.columns_holding(world.app.db, needle)


async def deletion_record(world) -> tuple[dict, dict]:
    what, kept = (await stored.rows(world.app.db, "deletions", "what", "kept"))[0]
    return json.loads(what), json.loads(kept)


def raw_bytes(world) -> bytes:
    path = Path(world.app.settings.storage.path)
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


# -- 1. the file and the log ---------------------------------------------------------------------

@pytest.mark.sqlite_only("reads the bytes of the database file and its WAL")
async def test_a_draft_erased_by_forget_is_in_neither_the_database_file_nor_its_log(tmp_path):
    async with webchat_world(tmp_path) as world:
        resident = world.resident()
        await onboard(resident)
        await resident.press("menu:propose")
        asked = await resident.send_text(f"{SECRET}: звоните Ивану 8 914 555-12-34")
        assert "prop:confirm" in last_buttons(asked)  # the text waits in the draft, in the conversation's state
        assert SECRET.encode() in raw_bytes(world)
        await resident.send_text("/forget")
        gone = await resident.press("priv:confirm")
        assert "удалены" in all_text(gone)
        assert await everywhere(world, SECRET) == []
        data = raw_bytes(world)
        assert SECRET.encode() not in data and "555-12-34".encode() not in data


@pytest.mark.sqlite_only("reads the bytes of the database file and its WAL")
async def test_erased_proposal_texts_are_in_neither_the_file_the_log_nor_the_search_index(tmp_path):
    async with webchat_world(tmp_path) as world:
        resident = world.resident()
        await onboard(resident)
        await propose(resident, text=f"Поставить скамейки {SECRET} у пруда", photo=False)
        assert await everywhere(world, PIECE)  # the proposal, the search index, the replies that showed it
        await resident.send_text("/forget")
        gone = await resident.press("priv:erase")
        assert "тексты с фото" in all_text(gone)
        assert await everywhere(world, PIECE) == []
        data = raw_bytes(world)
        assert SECRET.encode() not in data and PIECE.encode() not in data and SECRET.lower().encode() not in data


# -- 2. no row names the erased resident once the confirmation is delivered ------------------------

async def _webchat_resident(world):
    resident = world.resident()
    return resident, session_ref(resident.session).external_id


async def _whatsapp_resident(world):
    resident = world.resident(7)
    return resident, resident.wa_id


async def _gateway_resident(world):
    resident = world.resident(3)
    return resident, resident.user_id


SETUP = {"webchat": _webchat_resident, "whatsapp": _whatsapp_resident, "gateway": _gateway_resident}


async def _confirm_forgetting(channel: str, world, resident) -> str:
    """Press "forget" and return the confirmation as the resident sees it."""
    if channel == "webchat":
        return all_text(await resident.press("priv:confirm"))
    # Push channels: the update id of the press names the resident, so it is renamed by the
    # erasure and cannot be waited for; the resident's screen is what tells.
    if channel == "whatsapp":
        await resident.push(resident.message(
            "interactive", context={"from": "bot", "id": "wamid.prompt"},
            interactive={"type": "button_reply", "button_reply": {"id": "priv:confirm", "title": "Удалить"}}))
    else:
        status, answer = await resident.post(resident.event(button="priv:confirm"))
        assert status == 200, answer
    return all_text(await eventually(lambda: [m for m in resident.new_messages() if "удалены" in m.text]))


@pytest.mark.parametrize("channel", ["webchat", "whatsapp", "gateway"])
async def test_once_the_confirmation_is_delivered_no_row_names_the_forgotten_resident(tmp_path, channel):
    async with load_world(channel)(tmp_path) as world:
        resident, external_id = await SETUP[channel](world)
        await onboard(resident)
        await propose(resident, photo=False)
        await resident.send_text("/forget")
        assert "удалены" in await _confirm_forgetting(channel, world, resident)
        if channel == "whatsapp":
            # WhatsApp reports the confirmation delivered and read after the erasure.
            message_id = world.fake.sent_to(external_id)[-1].get("id", "wamid.confirmation")
            statuses = [{"id": message_id, "status": status, "timestamp": "1767225600",
                         "recipient_id": external_id} for status in ("delivered", "read")]
            assert await world.fake.post_webhook(webhook_body(statuses=statuses)) == 200
        moment = datetime.now(timezone.utc)
        if channel == "webchat":  # the browser reads its replies itself: they are kept a while
            assert await resident.later() == [] and await everywhere(world, external_id)
            moment += timedelta(minutes=world.app.settings.privacy.confirmation_keep_minutes + 1)
        else:  # a platform that took the reply: the row is gone as soon as it was delivered
            await eventually(lambda: no_reply_left(world))
        await forget_leftovers(world.app.db, moment)
        for piece in [external_id, *encoded(external_id)]:
            assert await everywhere(world, piece) == [], piece
        if channel == "webchat":  # nor the first half of it, which update ids used to carry
            assert await everywhere(world, external_id[:32]) == []


# -- 3. ids are never used twice: the web chat's long poll shows the confirmation -----------------------

async def test_the_web_chat_long_poll_shows_the_confirmation_after_the_erasure(tmp_path):
    async with webchat_world(tmp_path) as world:
        resident = world.resident()
        await onboard(resident)
        await resident.send_text("/forget")
        seen = resident.last_id  # what the page has shown; the erasure deletes those replies
        answered = await resident.press("priv:confirm")
        assert "удалены" in all_text(answered)
        # The page's long poll asks for what came after the last reply it showed.
        async with aiohttp.ClientSession() as page:
            query = {"after": str(seen), "timeout": "0"}
            async with page.get(world.base + API, params=query, headers={"X-Session": resident.session}) as poll:
                replies = (await poll.json())["replies"]
        assert len(replies) == 1 and replies[0]["id"] > seen and "удалены" in replies[0]["text"]


async def test_the_gateway_gets_the_confirmation_under_an_idempotency_key_it_has_not_seen(tmp_path):
    async with load_world("gateway")(tmp_path) as world:
        resident = world.resident(5)
        await onboard(resident)
        await resident.send_text("/forget")
        assert "удалены" in await _confirm_forgetting("gateway", world, resident)
        assert world.fake.repeats == 0


# -- 4. keep the proposals without the author, or erase their texts and photos --------------------

async def test_kept_proposals_stay_without_the_authors_name_and_phone(tmp_path):
    async with webchat_world(tmp_path) as world:
        resident = world.resident()
        await onboard(resident)
        text = "Меня зовут Иван Петров, телефон +7 914 555-12-34, ivan@example.ru. Нужна лавочка на улице Карла Маркса"
        await propose(resident, text=text)
        photos = await files_on_disk(world)
        confirm = await resident.send_text("/forget")
        assert last_buttons(confirm)[:3] == ["priv:confirm", "priv:erase", "priv:keep"]
        await resident.press("priv:confirm")
        kept = (await stored.values(world.app.db, "proposals", "text", resident_id=None))[0]
        assert kept == ("Меня зовут [имя скрыто], телефон [телефон скрыт], [почта скрыта]."
                        " Нужна лавочка на улице Карла Маркса")
        assert await everywhere(world, "Петров") == [] and await everywhere(world, "555-12-34") == []
        assert await files_on_disk(world) == photos
        assert await stored.count(world.app.db, "proposal_attachments") == 1
        what, left = await deletion_record(world)
        assert what["mode"] == "keep" and what["names_phones_and_emails_hidden_in_kept_texts"] == 3
        assert left["proposals_without_author"] == 1


async def _survey_and_contest(world, resident) -> None:
    await load_content_into(world.app, CONTENT / "survey.yaml")
    await load_content_into(world.app, CONTENT / "quizzes_contests.yaml")
    await resident.press("menu:surveys")
    await resident.press("survey:opinion")
    await resident.press("sa:opinion:1:0:never")
    await resident.send_text(f"Далеко, {SECRET}")
    await resident.send_text("40")
    await resident.send_photo(JPEG)
    await resident.press("sa:opinion:1:6:_skip")
    sent = await send_contest_work(resident, f"Парк с озером {SECRET}")
    assert "отправлена на проверку" in all_text(sent)


async def test_erasing_everything_removes_texts_answers_works_and_their_photo_files(tmp_path):
    async with webchat_world(tmp_path) as world:
        resident = world.resident()
        await onboard(resident)
        await propose(resident, text=f"Фонтан {SECRET} в центре парка")
        await _survey_and_contest(world, resident)
        assert len(await files_on_disk(world)) == 1  # one picture, sent three times, is one file
        await resident.send_text("/forget")
        gone = await resident.press("priv:erase")
        assert "предложений — 1, ответов на опросы — 2, работ на конкурс — 1" in all_text(gone)
        assert await files_on_disk(world) == set()
        assert await everywhere(world, PIECE) == []
        proposal = (await stored.rows(world.app.db, "proposals", "resident_id", "category", "status", "text",
                                      "address", "latitude"))[0]
        assert proposal == (None, "idea", "new", "", "", None)  # still counted, nothing said
        assert await stored.count(world.app.db, "proposal_attachments") == 0
        assert await stored.count(world.app.db, "contest_entries") == 0
        answers = json.loads((await stored.values(world.app.db, "survey_responses", "answers", resident_id=None))[0])
        assert answers == {"visits": "never", "age": 40}
        assert (await stored.values(world.app.db, "proposal_events", "kind", order_by="id"))[-1] == "erased"
        what, left = await deletion_record(world)
        assert what["mode"] == "erase"
        assert (what["proposal_texts_and_places"], what["proposal_photos"], what["survey_free_answers"],
                what["contest_entries"], what["deleted_files"]) == (1, 1, 2, 1, 1)
        assert left["proposals_without_author"] == 1 and left["survey_responses_without_respondent"] == 1


async def test_a_photo_another_resident_also_sent_stays_until_neither_needs_it(tmp_path):
    async with webchat_world(tmp_path) as world:
        first, second = world.resident(), world.resident()
        for resident in (first, second):
            await onboard(resident)
            await propose(resident)  # the same picture: one file under its SHA-256
        (key,) = await files_on_disk(world)
        assert FILE_KEY.fullmatch(key)
        await first.send_text("/forget")
        await first.press("priv:erase")
        assert await files_on_disk(world) == {key}
        await second.send_text("/forget")
        await second.press("priv:erase")
        assert await files_on_disk(world) == set()


# -- 5. what waits in the inbox ------------------------------------------------------------------

async def test_a_dead_letter_of_the_forgotten_resident_loses_its_text(tmp_path):
    async with webchat_world(tmp_path) as world:
        resident = world.resident()
        await onboard(resident)
        # As the retry pass leaves an event that kept failing: stored, never processed, given up on.
        ref = session_ref(resident.session)
        assert await world.app.dispatcher.accept(text_event(ref, "dead-1", f"Мой адрес {SECRET}"))
        async with world.app.db.transaction() as tx:
            await stored.change(tx, "inbox", {"update_id": "dead-1"}, attempts=5,
                                dead_at=datetime.now(timezone.utc).isoformat(),
                                error=f"ValueError: cannot store {SECRET}")
        assert await everywhere(world, PIECE) == ["inbox.payload", "inbox.error"]
        await resident.send_text("/forget")
        assert "удалены" in all_text(await resident.press("priv:confirm"))
        assert await everywhere(world, PIECE) == []
        payload, error, processed_at = (await stored.rows(world.app.db, "inbox", "payload", "error", "processed_at",
                                                          update_id="dead-1"))[0]
        assert (payload, error, processed_at is not None) == (None, "ValueError", True)


async def test_receipts_for_a_number_no_resident_has_are_not_kept(tmp_path):
    async with load_world("whatsapp")(tmp_path) as world:
        receipt = {"id": "wamid.confirmation", "status": "read", "timestamp": "1767225600",
                   "recipient_id": "79140000042"}
        assert await world.fake.post_webhook(webhook_body(statuses=[receipt])) == 200
        assert await everywhere(world, "79140000042") == []


async def test_upgrading_keeps_every_inbox_and_outbox_row_and_never_gives_an_id_twice(tmp_path):
    path = tmp_path / "souchastie.db"
    old = database_at_version(path, 12)
    for row in [(1, "u1", None, "2026-01-01", None, 1, None), (2, "u2", '{"x": 1}', None, "boom", 3, "2026-01-02"),
                (3, "u3", '{"y": 2}', None, None, 0, None)]:
        put(old, "inbox", channel="vk", received_at="2026-01-01",
            **dict(zip(("id", "update_id", "payload", "processed_at", "error", "attempts", "dead_at"), row)))
    for row in [(1, 1, "{}", "sent", 1, None, "2026-01-01"), (2, 1, "{}", "failed", 2, "no", None),
                (3, 3, "{}", "pending", 0, None, None)]:
        put(old, "outbox", channel="vk", external_id="42", created_at="2026-01-01",
            **dict(zip(("id", "inbox_id", "payload", "status", "attempts", "error", "sent_at"), row)))
    old.commit()
    before = {table: every_row(old, table) for table in ("inbox", "outbox")}
    old.close()

    db = await Database.open(path)
    try:
        async with db.transaction() as tx:
            for table, rows in before.items():
                columns = len(rows[0])
                after = await stored.rows(tx, table, order_by="id")
                assert [row[:columns] for row in after] == rows
            indexes = await stored.index_names(tx)
            assert {"outbox_by_recipient", "outbox_pending", "outbox_by_inbox", "inbox_unprocessed",
                    "inbox_dead"} <= indexes
            with pytest.raises(sqlite3.IntegrityError):  # the constraints came along
                await stored.insert(tx, "inbox", channel="vk", update_id="u1", received_at="x")
            await stored.delete(tx, "outbox", id=3)
            await stored.delete(tx, "inbox", id=3)
            assert await tx.outbox.add_many([("vk", "42", None, "{}", False)]) == [4]
            assert await tx.inbox.store_many([("vk", "u4", "{}")]) == {("vk", "u4"): 4}
    finally:
        await db.close()


async def test_update_ids_that_carry_the_erased_id_are_renamed_and_no_others(tmp_path):
    db = await Database.open(tmp_path / "souchastie.db")
    try:
        async with db.transaction() as tx:
            given = ("gw-3-17", "gw-31-2", "x:gw-3", "evt-9")
            ids = await tx.inbox.store_many([("gateway", key, None) for key in given] + [("ok", "seq:gw-3:4", None)],
                                            processed=True)
            renamed = await tx.inbox.rename_keys_naming("gateway", "gw-3", encoded("gw-3"))
            keys = dict(await stored.rows(tx, "inbox", "id", "update_id"))
        assert renamed == 2
        assert {keys[ids[("gateway", key)]] for key in ("gw-31-2", "evt-9")} == {"gw-31-2", "evt-9"}
        assert keys[ids[("gateway", "gw-3-17")]] == f"erased:{ids[('gateway', 'gw-3-17')]}"
        assert keys[ids[("ok", "seq:gw-3:4")]] == "seq:gw-3:4"  # another channel's resident
    finally:
        await db.close()
